"""Exported graphs: ONNX Runtime and OpenVINO against PyTorch, int8 end to end, and a pipeline folder round trip."""

import os
import subprocess
import sys

import numpy as np
import onnxruntime  # noqa: F401  (pinned: missing, the tests fail instead of being skipped)
import openvino  # noqa: F401
import pytest
import torch

from fomm_hf import FOMMPipeline
from fomm_hf.animation.exported import GraphRunner
from fomm_hf.errors import InvalidInputError
from fomm_hf.export import ExportRecord, export_graphs
from fomm_hf.models import ModelConfig
from fomm_hf.motion import KeypointOutput
from fomm_hf.video import open_video

from .fake_hub import FakeHub
from .helpers import REPO_ROOT, audio_seconds, ffmpeg, modes_under, run_fomm_here

EXAMPLES = REPO_ROOT / "examples" / "cartoon-face"
TOLERANCE = 1e-4


def with_random_statistics(model: torch.nn.Module) -> torch.nn.Module:
    """Random BatchNorm statistics and affine parameters, so that folding them into the convolutions is tested."""
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            for tensor, low, high in ((module.running_mean, -0.2, 0.2), (module.running_var, 0.5, 1.5),
                                      (module.weight, 0.8, 1.2), (module.bias, -0.1, 0.1)):
                tensor.data.copy_(torch.rand(tensor.shape, generator=generator) * (high - low) + low)
    return model.eval()


def pytorch_outputs(reference, source: torch.Tensor, frames: torch.Tensor) -> dict:
    """What the PyTorch engine ``reference`` gives on ``source`` and ``frames``: the source's encoding, the
    frames' keypoints, and the frames generated for keypoints moved from those (as motion transfer does)."""
    encoded, keypoints = reference.encode_source(source), reference.detect(frames)
    moved = KeypointOutput(value=keypoints.value + 0.05, jacobian=keypoints.jacobian * 1.1)
    return {"encoded": encoded, "keypoints": keypoints, "moved": moved, "frames": reference.generate(encoded, moved)}


def largest_differences(engine, expected: dict, source: torch.Tensor, frames: torch.Tensor) -> dict:
    """Largest absolute differences of every output of ``engine`` from PyTorch's (:func:`pytorch_outputs`, on
    the same inputs), the source's encoding included."""
    encoded, encoded_reference = engine.encode_source(source), expected["encoded"]
    keypoints, keypoints_reference = engine.detect(frames), expected["keypoints"]
    return {
        "source features": (encoded.features - encoded_reference.features).abs().max().item(),
        "source keypoints": (encoded.keypoints.value - encoded_reference.keypoints.value).abs().max().item(),
        "keypoints": (keypoints.value - keypoints_reference.value).abs().max().item(),
        "jacobians": (keypoints.jacobian - keypoints_reference.jacobian).abs().max().item(),
        "frames": (engine.generate(encoded_reference, expected["moved"]) - expected["frames"]).abs().max().item(),
    }


# Both grid_sample conventions at 256x256 with Jacobians, about 60 s each: the slow run (CI). The default run
# has the bundled model, whose ONNX Runtime and OpenVINO frames test_export_into_a_pipeline_folder_... holds to
# PyTorch's within the same 1e-4 (64x64, Jacobians too, align_corners=True as converted original models use).
@pytest.mark.slow
@pytest.mark.parametrize("align_corners", [True, False])
def test_vox_256_graphs_reproduce_pytorch_on_onnxruntime_and_openvino(tmp_path, monkeypatch, align_corners):
    monkeypatch.setenv("FOMM_CACHE", str(tmp_path))
    torch.manual_seed(0)
    config = ModelConfig.from_yaml(REPO_ROOT / "configs" / "vox-256.yaml", align_corners=align_corners)
    pipe = FOMMPipeline(with_random_statistics(config.build_kp_detector()),
                        with_random_statistics(config.build_generator()), image_size=256)
    source, frames = torch.rand(1, 3, 256, 256), torch.rand(3, 3, 256, 256)  # a batch other than the export's
    expected = pytorch_outputs(pipe.engine(), source, frames)  # computed once, for both backends
    for backend in ("onnxruntime", "openvino"):
        differences = largest_differences(pipe.engine(backend=backend), expected, source, frames)
        assert max(differences.values()) < TOLERANCE, (backend, differences)
    assert ExportRecord.read(pipe.engines.exported_graphs("openvino")).with_jacobians


def test_export_into_a_pipeline_folder_then_load_and_animate_with_each_backend(tmp_path, monkeypatch, capsys):
    """The bundled model saved as a folder; ``fomm export`` without ``--output`` writes its ONNX graphs beside its
    weights (onnx/), where the backends find them, and with ``--output DIR`` its OpenVINO graphs elsewhere, which
    ``fomm animate --graphs DIR`` uses: nothing is exported again. Loaded from the folder, each backend runs
    those graphs and gives PyTorch's frames."""
    folder, elsewhere, cache = tmp_path / "pipeline", tmp_path / "exported-openvino", tmp_path / "fomm-cache"
    FOMMPipeline.from_pretrained().save_pretrained(folder)
    monkeypatch.setenv("FOMM_CACHE", str(cache))
    result = run_fomm_here(capsys, "export", "--model", folder, "--format", "onnx")
    assert result.returncode == 0, result.stderr
    assert f"to {folder / 'onnx'}" in result.stdout and "--backend onnxruntime uses them" in result.stdout
    result = run_fomm_here(capsys, "export", "--model", folder, "--format", "openvino", "--output", elsewhere)
    assert result.returncode == 0, result.stderr
    assert f"--backend openvino --graphs {elsewhere} uses them" in result.stdout
    assert modes_under(folder) == {"folders": {0o755}, "files": {0o644}}
    result = run_fomm_here(capsys, "animate", "--model", folder, "--backend", "openvino", "--graphs", elsewhere,
                           "--source", EXAMPLES / "face.png", "--driving", EXAMPLES / "driving.mp4", "--output",
                           tmp_path / "out.mp4", "--max-frames", "4")
    assert result.returncode == 0, result.stderr
    assert "(openvino float32)" in result.stdout and not cache.exists()  # the graphs given, none exported

    pipe = FOMMPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    with open_video(EXAMPLES / "driving.mp4") as video:
        driving = np.stack(list(video.frames()))[:12]
    reference = pipe(EXAMPLES / "face.png", driving).frames
    assert pipe.engines.exported_graphs("onnx") == folder / "onnx"  # the folder's own, not a cached export
    for backend, graphs in (("onnxruntime", None), ("openvino", elsewhere)):
        frames = pipe(EXAMPLES / "face.png", driving, backend=backend, graphs=graphs).frames
        assert (frames - reference).abs().max().item() < TOLERANCE, backend


def test_graphs_in_a_hub_repository_are_downloaded_when_a_backend_asks_for_them(tmp_path, monkeypatch):
    """Two repositories of the bundled model on a local fake of the Hub, one with its ONNX graphs beside its
    weights: ``fomm animate --model owner/name --backend onnxruntime`` downloads the pipeline, then that
    repository's graphs, and exports nothing; ``FOMMPipeline.from_pretrained("owner/name")`` downloads the other
    (diffusers' own Hub download refuses this package's components), which gets its graphs exported here, as a
    local folder without them does; offline, from Python, the first runs from the Hub cache."""
    folder = tmp_path / "pipeline"
    pipe = FOMMPipeline.from_pretrained()
    pipe.save_pretrained(folder)
    export_graphs(pipe.kp_detector, pipe.generator, pipe.image_size, folder / "onnx", "onnx")
    files = {name.relative_to(folder).as_posix(): name for name in folder.rglob("*") if name.is_file()}
    hub = FakeHub({("model", "someone/with-graphs", name): path for name, path in files.items()}
                  | {("model", "someone/without-graphs", name): path for name, path in files.items()
                     if not name.startswith("onnx/")})
    hf_home, cache = tmp_path / "hf", tmp_path / "fomm-cache"
    animate = ["animate", "--model", "someone/with-graphs", "--backend", "onnxruntime", "--source",
               str(EXAMPLES / "face.png"), "--driving", str(EXAMPLES / "driving.mp4"), "--output",
               str(tmp_path / "result.mp4"), "--max-frames", "4"]
    # One process downloads (it reads the fake Hub's address from its environment): the command, then Python.
    code = ("import sys; import numpy as np; from fomm_hf import FOMMPipeline; from fomm_hf.cli import main\n"
            f"status = main({animate!r})\n"
            "print('fomm animate:', status, file=sys.stderr)\n"
            "if status: sys.exit(status)\n"
            "pipe = FOMMPipeline.from_pretrained('someone/without-graphs')\n"
            f"pipe({str(EXAMPLES / 'face.png')!r}, np.zeros((2, 64, 64, 3), np.uint8), backend='onnxruntime')")
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env={**os.environ, **hub.environment(hf_home), "FOMM_CACHE": str(cache)})
    finally:
        hub.close()
    assert "fomm animate: 0" in result.stderr.splitlines(), result.stderr
    assert result.returncode == 0, result.stderr
    asked = [path for method, path in hub.requests if method == "GET"]
    assert any("/someone/with-graphs/" in path and path.endswith("/onnx/frame_generator.onnx") for path in asked), asked
    assert [path.name for path in cache.glob("exported/*/*")] == ["onnx"]  # the second repository's only

    monkeypatch.setenv("FOMM_CACHE", str(cache))  # offline (as every test), in this process
    loaded = FOMMPipeline.from_pretrained("someone/with-graphs", cache_dir=hf_home / "hub")
    loaded.set_progress_bar_config(disable=True)
    graphs = loaded.engines.find_exported_graphs("onnx")
    assert graphs is not None and graphs.is_relative_to(hf_home) and graphs.name == "onnx"
    assert loaded.engines.find_exported_graphs("openvino") is None  # the repository has none, and nothing is exported
    frames = loaded(EXAMPLES / "face.png", np.zeros((2, 64, 64, 3), np.uint8), backend="onnxruntime").frames
    assert frames.shape == (2, 3, 64, 64) and len(list(cache.glob("exported/*/*"))) == 1


def psnr(frames: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Per frame, in dB, of frames in [0, 1]."""
    return 10 * torch.log10(1 / ((frames - reference) ** 2).mean(dim=(1, 2, 3)))


def test_fomm_animate_on_openvino_int8_streams_real_content_with_its_sound(tmp_path, monkeypatch, capsys):
    """int8 graphs made on first use, calibrated on the driving video's first frames, cached; the result keeps
    the driving video's length and audio, and stays within 35 dB of PyTorch's float32 frames."""
    driving = tmp_path / "driving.mp4"
    ffmpeg("-i", EXAMPLES / "driving.mp4", "-f", "lavfi", "-i", "sine=frequency=440:duration=30", "-map", "0:v",
           "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", driving)
    with open_video(driving) as video:
        num_frames, duration = video.num_frames, video.duration
    output, cache = tmp_path / "result.mp4", tmp_path / "cache"
    monkeypatch.setenv("FOMM_CACHE", str(cache))
    result = run_fomm_here(capsys, "animate", "--source", EXAMPLES / "face.png", "--driving", driving, "--output",
                           output, "--backend", "openvino", "--int8")
    assert result.returncode == 0, result.stderr
    assert "openvino int8" in result.stdout
    with open_video(output) as video:
        assert video.num_frames == num_frames and video.has_audio
    assert audio_seconds(output) == pytest.approx(duration, abs=0.1)
    int8_folders = list(cache.glob("exported/*/openvino-int8"))
    assert len(int8_folders) == 1 and ExportRecord.read(int8_folders[0]).precision == "int8"

    pipe = FOMMPipeline.from_pretrained()  # a new pipeline: the int8 graphs it finds are those the command cached
    pipe.set_progress_bar_config(disable=True)
    assert pipe.engines.find_exported_graphs("openvino", int8=True) == int8_folders[0]
    with open_video(EXAMPLES / "driving.mp4") as video:
        frames = np.stack(list(video.frames()))
    quality = psnr(pipe(EXAMPLES / "face.png", frames, backend="openvino", int8=True).frames,
                   pipe(EXAMPLES / "face.png", frames).frames)
    assert quality.mean() >= 35 and quality.min() >= 30, quality


def test_a_missing_backend_or_wrong_options_are_one_line_before_any_model_loads(tmp_path, monkeypatch, capsys):
    common = ["animate", "--source", EXAMPLES / "face.png", "--driving", EXAMPLES / "driving.mp4", "--output",
              tmp_path / "out.mp4", "--model", tmp_path / "no-such-model"]

    def no_loading(*args, **kwargs):
        raise AssertionError("a model was loaded before the options were checked")

    with monkeypatch.context() as loading:
        loading.setattr(FOMMPipeline, "from_pretrained", no_loading)
        for options, message in ((["--int8"], "--int8 runs on --backend openvino"),
                                 (["--backend", "onnxruntime", "--device", "cuda"], "runs on the CPU")):
            result = run_fomm_here(capsys, *common, *options)
            assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
            assert message in result.stderr and not (tmp_path / "out.mp4").exists()

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed: importing it fails
    pipe = FOMMPipeline.from_pretrained()
    folder = export_graphs(pipe.kp_detector, pipe.generator, pipe.image_size, tmp_path / "onnx", "onnx")
    with pytest.raises(InvalidInputError, match=r"pip install 'fomm_hf\[onnx\]'"):
        GraphRunner(folder, "onnxruntime")
    with pytest.raises(InvalidInputError, match="not a folder of exported graphs"):
        GraphRunner(tmp_path, "openvino")
    with pytest.raises(InvalidInputError, match="holds float32 graphs, not int8"):
        GraphRunner(folder, "openvino", "int8")
