"""The reference pose chosen by face landmarks (the original demo's method) where the faces extra finds them, else
by the model's keypoints, and the summary says which."""

import sys

import cv2
import numpy as np
import pytest

from fomm_hf.pipelines import best_frame as best_frame_module
from fomm_hf.video import VideoWriter, open_video

from .helpers import MEDIA, needs

FACING = 5  # the driving frame that faces the camera as the source does
# How much each driving frame is squeezed across, as a head turned away from the camera looks: the first the most.
SQUEEZE = (0.55, 0.62, 0.7, 0.78, 0.88, 1.0, 0.88, 0.78, 0.7, 0.62)


def turned_away(frame: np.ndarray, squeeze: float) -> np.ndarray:
    """``frame`` squeezed across about its centre by ``squeeze``, its sides filled with its edge columns."""
    height, width = frame.shape[:2]
    narrow = cv2.resize(frame, (round(width * squeeze), height), interpolation=cv2.INTER_AREA)
    left = (width - narrow.shape[1]) // 2
    return cv2.copyMakeBorder(narrow, 0, 0, left, width - narrow.shape[1] - left, cv2.BORDER_REPLICATE)


@pytest.fixture(scope="module")
def turning_clip(tmp_path_factory):
    """(the source: carphone's first frame, a driving video of it turned away but for frame FACING)."""
    with open_video(MEDIA / "carphone.mp4") as video:
        face = next(iter(video.frames()))
    path = tmp_path_factory.mktemp("turning") / "turning.mp4"
    with VideoWriter(path, 25) as writer:
        writer.write(np.stack([turned_away(face, squeeze) for squeeze in SQUEEZE]))
    return face, path


@needs(MEDIA / "carphone.mp4")
def test_landmarks_choose_the_driving_frame_that_faces_the_camera_like_the_source(bundled, turning_clip, tmp_path):
    pytest.importorskip("dlib")
    source, driving = turning_clip
    result = bundled.animate_video(source, driving, tmp_path / "out.mp4", find_best_frame=True, progress=False)
    assert abs(result.initial_frame - FACING) <= 1, result.initial_frame
    assert result.best_frame.method == best_frame_module.LANDMARKS
    assert (f"Relative motion from driving frame {result.initial_frame}, the closest to the source's pose by face "
            "landmarks.") in result.summary()


@needs(MEDIA / "carphone.mp4")
def test_without_the_extra_the_keypoints_choose_and_the_summary_says_why(bundled, turning_clip, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)  # import dlib fails, as where the extra is not installed
    source, driving = turning_clip
    result = bundled.animate_video(source, driving, tmp_path / "out.mp4", find_best_frame=True, progress=False)
    assert result.best_frame.method == best_frame_module.KEYPOINTS
    assert (f"Relative motion from driving frame {result.initial_frame}, the closest to the source's pose by the "
            "model's keypoints (the extra fomm_hf[faces] is not installed: pip install 'fomm_hf[faces]').") in \
        result.summary()


@needs(MEDIA / "carphone.mp4")
def test_in_memory_the_landmarks_choose_too(bundled, turning_clip, monkeypatch):
    """pipe(...) takes the same frame: animated from it, the result's first frames are those of starting there."""
    pytest.importorskip("dlib")
    source, driving = turning_clip
    with open_video(driving) as video:
        frames = np.stack(list(video.frames()))
    chosen = bundled(source, frames, find_best_frame=True, progress=False).frames
    expected = bundled(source, frames, initial_frame=FACING, progress=False).frames
    assert (chosen - expected).abs().max() < 1e-5
