"""The engine behind the pipeline, video-to-video animation (``pipe.animate_video``) and ``fomm animate``."""


import copy
import threading
import warnings

import numpy as np
import PIL.Image
import pytest
import torch

from fomm_hf import FOMMPipeline, transfer_motion
from fomm_hf.animation import Variant, limit_threads_here, reduced_precision_dtype, resolve_device
from fomm_hf.errors import InvalidInputError
from fomm_hf.motion import KeypointOutput, best_matching_frame
from fomm_hf.video import open_video

from .helpers import MEDIA, assert_frames_match, audio_seconds, make_clip, needs, psnr, random_frames, read_all


@torch.no_grad()
def per_frame_loop(pipe, source, driving, relative=True):
    """The original demo's algorithm: keypoints and the whole generator for each frame, on the pipeline's own
    modules (not an engine). Returns the frames and the normalised keypoints that moved the source."""
    kp_source = pipe.kp_detector(source)
    kp_initial = pipe.kp_detector(driving[:1])
    frames, kp_norm = [], []
    for frame in driving:
        kp_norm.append(transfer_motion(kp_source, pipe.kp_detector(frame[None]), kp_initial, relative=relative))
        frames.append(pipe.generator(source, kp_driving=kp_norm[-1], kp_source=kp_source).prediction)
    return torch.cat(frames), KeypointOutput.concat(kp_norm)


@pytest.mark.parametrize("relative", [True, False])
def test_exact_engine_matches_the_per_frame_loop(bundled, bundled_example, relative):
    """The bundled model on the example's first 8 frames: the engine (inference copies, folded BatchNorm, fused
    upsampling, batches of 3) gives the per-frame loop's normalised keypoints and frames within 1e-4, where the
    driving frames in another order change them by more than 0.1."""
    source, driving = bundled_example.source, bundled_example.driving[:8]
    expected, kp_expected = per_frame_loop(bundled, source, driving, relative)
    engine = bundled.engine()
    kp_driving = engine.detect(driving)
    kp_norm = transfer_motion(engine.encode_source(source).keypoints, kp_driving, kp_driving.select(0),
                              relative=relative)
    torch.testing.assert_close(kp_norm.value, kp_expected.value, atol=1e-5, rtol=0)
    torch.testing.assert_close(kp_norm.jacobian, kp_expected.jacobian, atol=1e-5, rtol=0)
    frames = bundled(source, driving, relative=relative, batch_size=3).frames
    assert (frames - expected).abs().max() <= 1e-4


def test_the_engine_is_built_once_and_rebuilt_for_new_weights_and_precision(tiny_pipeline):
    engine = tiny_pipeline.engine()
    assert tiny_pipeline.engine() is engine
    source, driving = torch.rand(1, 3, 32, 32), torch.rand(2, 3, 32, 32)
    before = tiny_pipeline(source, driving).frames
    with torch.no_grad():
        tiny_pipeline.generator.output_conv.bias.add_(0.5)  # new weights, changed in place
    assert tiny_pipeline.engine() is not engine
    assert not torch.equal(tiny_pipeline(source, driving).frames, before)

    tiny_pipeline.to(torch.bfloat16)  # honoured: the networks run in bfloat16
    assert tiny_pipeline.engine().dtype == torch.bfloat16
    assert tiny_pipeline.engine().generator.output_conv.weight.dtype == torch.bfloat16
    frames = tiny_pipeline(source, driving).frames
    assert frames.dtype == torch.float32 and frames.shape == (2, 3, 32, 32)


def test_fast_mode_runs_the_quickest_variant_and_bfloat16_stays_close_to_exact(bundled, bundled_example):
    """``fast`` runs the machine's quickest reduced-precision variant: bfloat16 where the CPU computes it
    natively, else OpenVINO int8 (OpenVINO and NNCF are requirements). bfloat16 networks (forced here with
    ``pipe.to``, slower where the CPU lacks it) stay above 40 dB of PSNR against float32 on the bundled example,
    where the source frozen on its first frame is below 25 dB."""
    native = reduced_precision_dtype(torch.device("cpu"))
    variant = bundled.engines.fast_variant()
    assert variant.precision == "bfloat16" if native else variant == Variant("openvino", "int8")
    source, driving, exact = bundled_example.source, bundled_example.driving[:4], bundled_example.expected[:4]
    reduced = FOMMPipeline(copy.deepcopy(bundled.kp_detector), copy.deepcopy(bundled.generator), 64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # diffusers' note on casting with .to()
        reduced.to(torch.bfloat16)
    reduced.set_progress_bar_config(disable=True)
    fast = reduced(source, driving, fast=True).frames
    assert reduced.engine(fast=True).dtype == torch.bfloat16
    assert psnr(fast, exact) > 40
    whole = bundled_example.expected
    assert psnr(whole[:1].expand_as(whole), whole) < 25  # the measure tells the source frozen on its first frame


def test_fast_mode_makes_its_int8_graphs_once_and_keeps_35_db(bundled, bundled_example, tmp_path, monkeypatch,
                                                              capsys):
    """Where the quickest variant is OpenVINO int8 (a CPU without bfloat16), the first fast call makes the graphs
    from its own frames and says so, later calls use them; the frames stay above 35 dB of mean PSNR against the
    exact ones. (Where the CPU has bfloat16, ``fast`` needs no graphs: the other test covers it.)"""
    monkeypatch.setenv("FOMM_CACHE", str(tmp_path / "cache"))
    pipe = FOMMPipeline(bundled.kp_detector, bundled.generator, 64, category=bundled.category)
    pipe.set_progress_bar_config(disable=True)
    if pipe.engines.fast_variant() != Variant("openvino", "int8"):
        pytest.skip("this CPU has bfloat16: the fast variant makes no int8 graphs")
    source, driving = bundled_example.source, bundled_example.driving
    fast = pipe(source, driving, fast=True).frames
    assert "first use of int8 graphs on this machine" in capsys.readouterr().err
    graphs = pipe.engines.find_exported_graphs("openvino", int8=True)
    assert graphs is not None and pipe.engine(fast=True).precision == "openvino int8"
    made = (graphs / "frame_generator.xml").stat().st_mtime_ns
    psnrs = [psnr(frame, truth) for frame, truth in zip(fast, bundled_example.expected)]
    assert np.mean(psnrs) >= 35, np.mean(psnrs)
    pipe(source, driving[:4], fast=True)
    assert (graphs / "frame_generator.xml").stat().st_mtime_ns == made and not capsys.readouterr().err


def test_streaming_file_output_matches_the_modules_frame_by_frame(bundled, bundled_example, tmp_path):
    """pipe.animate_video streams the example's driving video through the engine into an mp4: each written frame
    is the frame of the same index computed by the modules themselves (through a lossy codec: 28 dB at least);
    and the engine's stream of batches equals the in-memory call."""
    result = bundled.animate_video(bundled_example.source_path, bundled_example.driving_path, tmp_path / "out.mp4",
                                   framing="none", batch_size=3, progress=False)
    written = read_all(result.output)
    assert result.num_frames == 64 and result.fps == pytest.approx(25)
    assert_frames_match(written, bundled_example.expected)

    engine = bundled.engine()
    encoded = engine.encode_source(bundled_example.source)
    batches = bundled_example.driving[:10].split(3)
    streamed = torch.cat(list(engine.animate(encoded, (engine.detect(batch) for batch in batches))))
    torch.testing.assert_close(streamed, bundled(bundled_example.source, bundled_example.driving[:10]).frames,
                               atol=1e-5, rtol=0)


def test_audio_is_carried_over_and_silence_stays_silent(tiny_pipeline, tmp_path):
    with_audio = make_clip(tmp_path / "talk.mp4", size="40x40", seconds=1.2, audio_seconds=1.2)
    result = tiny_pipeline.animate_video(torch.rand(1, 3, 32, 32), with_audio, tmp_path / "out.mp4", progress=False)
    assert audio_seconds(result.output) == pytest.approx(1.2, abs=0.1)

    silent = make_clip(tmp_path / "silent.mp4", size="40x40", seconds=0.4)
    result = tiny_pipeline.animate_video(torch.rand(1, 3, 32, 32), silent, tmp_path / "silent_out.mp4",
                                         progress=False)
    with open_video(result.output) as video:
        assert not video.has_audio and video.num_frames == 10


def test_find_best_frame_picks_the_frame_with_the_source_pose(tiny_pipeline):
    frames = torch.from_numpy(random_frames(6, 32, 32, seed=3)).permute(0, 3, 1, 2).float() / 255
    source = frames[4:5]
    assert best_matching_frame(tiny_pipeline.detect_keypoints(source), tiny_pipeline.detect_keypoints(frames)) == 4
    # In relative mode the chosen frame reproduces the source's own pose.
    out = tiny_pipeline(source, frames, find_best_frame=True).frames
    assert torch.equal(out, tiny_pipeline(source, frames, initial_frame=4).frames)


@pytest.mark.parametrize("kind", ["portrait", "grey", "gif", "one_frame", "truncated"])
def test_odd_driving_videos(tiny_pipeline, tmp_path, kind):
    path = tmp_path / ("driving.gif" if kind == "gif" else "driving.mp4")
    if kind == "portrait":
        make_clip(path, size="36x80", seconds=0.4)
    elif kind == "grey":
        make_clip(path, size="48x48", seconds=0.4, output_args=("-c:v", "libx264", "-pix_fmt", "gray"))
    elif kind == "gif":
        make_clip(path, size="48x48", seconds=0.4, output_args=())
    elif kind == "one_frame":
        make_clip(path, size="48x48", seconds=0.04)
    else:
        # Frequent keyframes and the index first, so that a cut file still has decodable frames.
        make_clip(path, size="96x96", seconds=2, output_args=("-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "5",
                                                               "-movflags", "+faststart"))
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * 0.7)])
    result = tiny_pipeline.animate_video(torch.rand(1, 3, 32, 32), path, tmp_path / "out.mp4", progress=False)
    frames = read_all(result.output)
    assert frames.shape[1:] == (32, 32, 3)
    expected = {"portrait": 10, "grey": 10, "gif": 10, "one_frame": 1}
    if kind in expected:
        assert len(frames) == expected[kind]
    else:
        assert 0 < len(frames) < 50


def test_rgba_and_grey_source_images(tiny_pipeline, tmp_path):
    clip = make_clip(tmp_path / "driving.mp4", size="32x32", seconds=0.2)
    rgb = random_frames(1, 50, 40)[0]
    PIL.Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])).save(tmp_path / "rgba.png")
    PIL.Image.fromarray(rgb[:, :, 0]).save(tmp_path / "grey.png")
    for name in ("rgba.png", "grey.png"):
        result = tiny_pipeline.animate_video(tmp_path / name, clip, tmp_path / f"{name}.mp4", progress=False)
        assert result.num_frames == 5


def test_undecodable_video_leaves_no_output(tiny_pipeline, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video")
    with pytest.raises(InvalidInputError, match="notes.mp4"):
        tiny_pipeline.animate_video(torch.rand(1, 3, 32, 32), bad, tmp_path / "out.mp4", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp4"]


def test_max_frames_cuts_and_says_so(tiny_pipeline, tmp_path):
    clip = make_clip(tmp_path / "driving.mp4", size="32x32", seconds=1)
    result = tiny_pipeline.animate_video(torch.rand(1, 3, 32, 32), clip, tmp_path / "out.mp4", max_frames=7,
                                         progress=False)
    assert result.num_frames == 7 and result.truncated
    assert 0 < result.seconds_to_first_frame <= result.seconds and result.dtype == "float32"


def test_keypoints_of_several_batches_concatenate_in_order(tiny_pipeline):
    frames = torch.rand(5, 3, 32, 32)
    whole = tiny_pipeline.detect_keypoints(frames, batch_size=5)
    parts = KeypointOutput.concat([tiny_pipeline.detect_keypoints(part) for part in (frames[:2], frames[2:])])
    torch.testing.assert_close(parts.value, whole.value, atol=1e-6, rtol=0)
    assert torch.equal(parts.select(-1).value, parts.value[-1:]) and parts.select(1).expand(3).value.shape == (3, 4, 2)


def test_device_selection():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert resolve_device(None).type == expected
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(InvalidInputError, match="Unknown device 'gpu'"):
        resolve_device("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(InvalidInputError, match="'cuda' is not available"):
            resolve_device("cuda")


@needs(MEDIA / "carphone.mp4")
def test_a_thread_limits_its_own_pytorch_threads_and_no_other_threads():
    """limit_threads_here(1) in a thread (the app's live threads): that thread's PyTorch CPU work runs on one
    thread, and the process's other threads, those started later included, keep PyTorch's setting."""
    if torch.get_num_threads() < 2:
        pytest.skip("one CPU thread: nothing to limit")
    before, seen = torch.get_num_threads(), {}

    def limited():
        seen["limited"] = limit_threads_here(1), torch.get_num_threads()
        torch.nn.functional.conv2d(torch.rand(1, 4, 32, 32), torch.rand(4, 4, 3, 3))  # runs on its one thread
        seen["after work"] = torch.get_num_threads()

    def other():
        seen["other"] = torch.get_num_threads()

    for target in (limited, other):
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    assert seen == {"limited": (True, 1), "after work": 1, "other": before}
    assert torch.get_num_threads() == before


def test_real_video_and_portrait(tiny_pipeline, tmp_path):
    result = tiny_pipeline.animate_video(MEDIA / "astronaut.png", MEDIA / "carphone.mp4", tmp_path / "out.mp4",
                                         find_best_frame=True, max_frames=30, progress=False)
    assert result.num_frames == 30 and result.fps == pytest.approx(29.97, abs=0.01)
