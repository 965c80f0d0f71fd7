"""Live animation from Python (``pipe.live``): frames animated one at a time, as a camera gives them."""

import threading

import numpy as np
import PIL.Image
import pytest
import torch

from .helpers import MEDIA, as_float_frames, needs, psnr, reference_animation


def camera_frames(example) -> np.ndarray:
    """The bundled example's driving frames as a camera gives them: uint8 (N, H, W, 3)."""
    return (example.driving.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()


def test_each_frame_is_animated_at_once_as_the_modules_animate_it(bundled, bundled_example):
    """Without framing, the live animator's frames are the modules' own, relative to the first frame; after
    reset(), relative to the next one."""
    live = bundled.live(bundled_example.source_path, framing="none")
    frames = camera_frames(bundled_example)[:12]
    animated = np.stack([live(frame) for frame in frames])
    assert animated.shape == (12, 64, 64, 3) and animated.dtype == np.uint8
    driving = as_float_frames(frames)
    assert psnr(as_float_frames(animated), reference_animation(bundled, bundled_example.source, driving)) > 45

    live.reset()  # the next frame is the reference pose: the source's own pose is the camera's from then on
    after_reset = as_float_frames(np.stack([live(frame) for frame in frames[6:]]))
    expected = reference_animation(bundled, bundled_example.source, driving[6:])
    assert psnr(after_reset, expected) > 45
    assert psnr(after_reset, as_float_frames(animated[6:])) < psnr(after_reset, expected) - 5

    stats = live.stats
    assert (stats.frames_in, stats.frames_out) == (18, 18)
    assert stats.frames_per_second > 0 and 0 < stats.latency_p50 <= stats.latency_p95
    live.frame_dropped()
    assert live.stats.frames_in == 19 and live.stats.frames_out == 18
    assert "frames/s" in live.stats.summary()


def test_absolute_motion_takes_the_camera_pose_as_it_is(bundled, bundled_example):
    live = bundled.live(bundled_example.source_path, relative=False, framing="none")
    frames = camera_frames(bundled_example)[:6]
    animated = as_float_frames(np.stack([live(frame) for frame in frames]))
    expected = reference_animation(bundled, bundled_example.source, as_float_frames(frames), relative=False)
    assert psnr(animated, expected) > 45


@needs(MEDIA / "carphone.mp4", MEDIA / "astronaut.png")
def test_a_face_is_followed_and_pasted_back_into_the_whole_picture(bundled):
    """With framing, the result is the source picture at its own size; the camera's face is followed, and the
    status says so; frames of another size (the camera's resolution changed) are taken as they come, and the face
    is found again in them (by the detector's thread: a frame or two later)."""
    from fomm_hf.video import open_video

    live = bundled.live(MEDIA / "astronaut.png")
    with open_video(MEDIA / "carphone.mp4") as video:
        frames = list(video.frames())[:20]
    animated = [live(frame) for frame in frames]
    assert {frame.shape for frame in animated} == {(512, 512, 3)}
    assert "Source: face found" in live.status and "Camera: the face is followed." in live.status
    larger = [np.asarray(PIL.Image.fromarray(frame).resize((352, 288))) for frame in frames]
    assert live(larger[0]).shape == (512, 512, 3)
    for frame in larger[1:]:
        if "Camera: the face is followed." in live.status:
            break
        live(frame)
    assert "Camera: the face is followed." in live.status


def test_without_a_face_the_whole_frame_is_used_and_the_status_says_so(bundled, bundled_example):
    live = bundled.live(bundled_example.source_path)
    blank = np.full((96, 128, 3), 120, np.uint8)
    assert live(blank).shape == (128, 128, 3)  # the source picture's size, the square pasted back
    assert "Camera: no face found: the centre square of each frame is animated." in live.status


def test_a_source_without_a_face_is_animated_whole(bundled, bundled_example, tmp_path):
    PIL.Image.new("RGB", (80, 60), (90, 140, 200)).save(tmp_path / "sky.png")
    live = bundled.live(tmp_path / "sky.png")
    assert live(camera_frames(bundled_example)[0]).shape == (64, 64, 3)  # nothing framed: the model's square
    assert "Source: no face found: the centre square is animated." in live.status


def test_calls_from_several_threads_are_taken_one_at_a_time(bundled, bundled_example):
    live = bundled.live(bundled_example.source_path, framing="none")
    frames = camera_frames(bundled_example)[:8]
    results, errors = [None] * 8, []

    def animate(index):
        try:
            results[index] = live(frames[index])
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=animate, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and all(result.shape == (64, 64, 3) for result in results)
    assert live.stats.frames_out == 8


def test_bad_frames_are_one_message(bundled, bundled_example):
    from fomm_hf.errors import InvalidInputError

    live = bundled.live(bundled_example.source_path, framing="none")
    with pytest.raises(InvalidInputError, match="frame"):
        live(np.zeros((4, 64, 64, 3), np.uint8))
