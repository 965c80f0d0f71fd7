"""The ``fomm`` command: one line and exit status 2 for every mistake, found before any model is loaded."""

import re
import signal
import subprocess
import sys
import time

import PIL.Image
import pytest
import torch

from fomm_hf import FOMMPipeline
from fomm_hf.cli import main

from .helpers import REPO_ROOT, assert_frames_match, audio_seconds, make_clip, random_frames, read_all, run_fomm


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    """A source image, a driving clip and a few wrong files, shared by the cases."""
    folder = tmp_path_factory.mktemp("cli")
    PIL.Image.fromarray(random_frames(1, 40, 40)[0]).save(folder / "face.png")
    make_clip(folder / "driving.mp4", size="48x48", seconds=0.4)
    (folder / "notes.txt").write_text("not a video")
    (folder / "junk.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "not-a-model").mkdir()
    return {"folder": folder, "source": folder / "face.png", "driving": folder / "driving.mp4",
            "config": REPO_ROOT / "configs" / "test-tiny.yaml"}


ANIMATE = ["animate", "--source", "{source}", "--driving", "{driving}", "--output", "{folder}/out.mp4"]
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")

# case -> (arguments, with {folder}, {source}, {driving} and {config} filled in; a pattern of the one error line).
# A flag given twice counts the second time, so ANIMATE + ["--source", ...] replaces the source.
BAD_INPUTS = {
    "missing source": (ANIMATE + ["--source", "{folder}/missing.png"], "missing.png does not exist"),
    "video given as the source": (ANIMATE + ["--source", "{driving}"], "driving.mp4 is a video"),
    "image given as the driving video": (ANIMATE + ["--driving", "{source}"], "face.png is a still image"),
    "text file as the driving video": (ANIMATE + ["--driving", "{folder}/notes.txt"],
                                       "Cannot read .*notes.txt as a video"),
    "output in a missing folder": (ANIMATE + ["--output", "{folder}/missing/out.mp4"],
                                   "the folder .*missing does not exist"),
    "output of an unknown format": (ANIMATE + ["--output", "{folder}/out.txt"], "must be one of .mp4"),
    "output that is a folder": (ANIMATE + ["--output", "{folder}/not-a-model"], "it is a folder"),
    "batch size 0": (ANIMATE + ["--batch-size", "0"], "--batch-size: .*at least 1"),
    "unknown fit": (ANIMATE + ["--fit", "squash"], "invalid choice: 'squash'"),
    "unknown device": (ANIMATE + ["--device", "gpu"], "Unknown device 'gpu'"),
    "CUDA on a machine without it": (ANIMATE + ["--device", "cuda"], "The device 'cuda' is not available"),
    "unknown model": (ANIMATE + ["--model", "nobody/no-such-model"], "Cannot find the model 'nobody/no-such-model'"),
    "folder that is not a model": (ANIMATE + ["--model", "{folder}/not-a-model"], "not a pipeline folder"),
    "missing model folder": (ANIMATE + ["--model", "{folder}/runs/x/pipeline"], "not a folder here"),
    "missing flag": (ANIMATE[:-2], "the following arguments are required: --output"),
    "config that is not text": (["convert", "--config", "{folder}/junk.bin", "--checkpoint", "{folder}/junk.bin",
                                 "--output", "{folder}/converted"], "junk.bin is not a text file"),
    "missing checkpoint": (["convert", "--config", "{config}", "--checkpoint", "{folder}/missing.pth.tar",
                            "--output", "{folder}/converted"], "missing.pth.tar does not exist"),
    "output over the driving video": (ANIMATE + ["--output", "{driving}"],
                                      "it is the driving video, which would be lost"),
    "conversion into a folder of other files": (
        ["convert", "--config", "{config}", "--checkpoint", "{folder}/junk.bin", "--output", "{folder}"],
        "it is not empty and not a pipeline folder; give a new folder"),
    "conversion into the current folder": (
        ["convert", "--config", "{config}", "--checkpoint", "{folder}/junk.bin", "--output", "."],
        "it holds the current folder"),
    "conversion pushed while offline": (
        ["convert", "--config", "{config}", "--checkpoint", "{folder}/junk.bin", "--output", "{folder}/converted",
         "--push-to-hub", "someone/model"], "HF_HUB_OFFLINE is set"),
    "evaluation of 0 clips": (["evaluate", "--num-test", "0"], "--num-test: .*at least 1"),
    "evaluation on CUDA without it": (["evaluate", "--device", "cuda"], "'cuda' is not available"),
    "unknown command": (["animat"], "invalid choice: 'animat'"),
}
NEEDS_NO_CUDA = {"CUDA on a machine without it", "evaluation on CUDA without it"}


@pytest.mark.parametrize(
    "case", [pytest.param(case, marks=NO_CUDA) if case in NEEDS_NO_CUDA else case for case in BAD_INPUTS]
)
def test_bad_inputs_give_one_line_and_status_2_before_any_model_is_loaded(inputs, capsys, monkeypatch, case):
    arguments, message = BAD_INPUTS[case]
    arguments = [argument.format(**inputs) for argument in arguments]

    def no_loading(*args, **kwargs):
        raise AssertionError("a model was loaded before the inputs were checked")

    monkeypatch.setattr(FOMMPipeline, "from_pretrained", no_loading)
    try:
        status = main(arguments)
    except SystemExit as exit:  # argparse's own errors
        status = exit.code
    stderr = capsys.readouterr().err
    lines = stderr.strip().splitlines()
    assert status == 2, stderr
    assert len(lines) == 1 and "error:" in lines[0], stderr
    assert re.search(message, lines[0]), lines[0]
    assert not (inputs["folder"] / "out.mp4").exists() and not (inputs["folder"] / "converted").exists()


def test_a_mistake_in_a_real_process_is_one_line_without_traceback(inputs):
    arguments = [argument.format(**inputs) for argument in ANIMATE + ["--source", "{driving}"]]
    result = run_fomm(*arguments)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"fomm animate: error: {inputs['driving']} is a video; a still image (png, jpg, webp, ...) is needed here."
    ]


def test_a_stopped_animation_is_one_line_and_leaves_no_file(inputs, tmp_path):
    """SIGTERM (kill, timeout, docker stop) stops like Ctrl-C: the files being written are removed."""
    driving = make_clip(tmp_path / "long.mp4", size="48x48", seconds=40)
    output = tmp_path / "out" / "result.mp4"
    output.parent.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "fomm_hf", "animate", "--source", str(inputs["source"]),
                                "--driving", str(driving), "--output", str(output), "--keypoints", "--framing", "none"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(output.parent.iterdir()) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)  # until the result is being written
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert stderr.strip().splitlines()[-1] == "fomm animate: stopped" and "Traceback" not in stderr
    assert list(output.parent.iterdir()) == []


@pytest.fixture
def tiny_model_dir(tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path / "tiny-model")
    return tmp_path / "tiny-model"


def test_cli_animates_the_example_frame_by_frame_as_the_models_do(bundled_example, tmp_path, capsys):
    """``fomm animate`` with the bundled model (no --model), the centre square of each frame: every written frame
    is the frame the modules compute for it; the summary says that this model knows cartoon faces only and names
    the model for real faces."""
    output = tmp_path / "result.mp4"
    assert main(["animate", "--source", str(bundled_example.source_path), "--driving",
                 str(bundled_example.driving_path), "--output", str(output), "--framing", "none"]) == 0
    assert_frames_match(read_all(output), bundled_example.expected)
    printed = capsys.readouterr().out
    assert f"Wrote {output}" in printed and "64 frames at 25 fps" in printed
    assert "This model knows cartoon faces only; for real faces, use --model vox-adv-256." in printed


def test_cli_animates_end_to_end_with_keypoints_and_audio(tiny_model_dir, tmp_path, capsys):
    clip = make_clip(tmp_path / "driving.mp4", size="64x48", seconds=0.8, audio_seconds=0.8)
    PIL.Image.fromarray(random_frames(1, 40, 40)[0]).save(tmp_path / "face.png")
    output = tmp_path / "result.mp4"
    arguments = ["animate", "--model", tiny_model_dir, "--source", tmp_path / "face.png", "--driving", clip]
    assert main([*map(str, arguments), "--output", str(output), "--keypoints", "--find-best-frame", "--adapt-scale",
                 "--batch-size", "2"]) == 0
    printed = capsys.readouterr()
    assert f"Wrote {output} and {tmp_path / 'result_keypoints.mp4'}" in printed.out
    assert "20 frames at 25 fps" in printed.out and "frames per second, the first written after" in printed.out
    assert "Animating" in printed.err and "frame/s" in printed.err  # the tqdm progress bar
    assert read_all(output).shape == (20, 32, 32, 3)
    assert read_all(tmp_path / "result_keypoints.mp4").shape == (20, 32, 96, 3)
    assert audio_seconds(output) == pytest.approx(0.8, abs=0.1)

    assert main([*map(str, arguments), "--output", str(tmp_path / "absolute.gif"), "--absolute",
                 "--device", "cpu", "--max-frames", "7"]) == 0
    printed = capsys.readouterr().out
    assert read_all(tmp_path / "absolute.gif").shape == (7, 32, 32, 3)
    assert "only its first 7 frames (0.3 s) were animated (--max-frames 7)" in printed
    assert "The driving video's sound is not in the result: a GIF holds no sound" in printed


def test_the_model_comes_from_the_environment(tiny_model_dir, tmp_path, monkeypatch):
    clip = make_clip(tmp_path / "driving.mp4", size="32x32", seconds=0.2)
    PIL.Image.fromarray(random_frames(1, 40, 40)[0]).save(tmp_path / "face.png")
    monkeypatch.setenv("FOMM_MODEL", str(tiny_model_dir))
    assert main(["animate", "--source", str(tmp_path / "face.png"), "--driving", str(clip), "--output",
                 str(tmp_path / "out.mp4")]) == 0
    assert read_all(tmp_path / "out.mp4").shape == (5, 32, 32, 3)  # the tiny model's 32 px, not the bundled 64
