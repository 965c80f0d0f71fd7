"""fomm score: identity and motion scores of an animation, which rank a result that does not move below one that
does; without the extra, one line that names it, exit status 2 and nothing written."""

import json
import sys

import cv2
import numpy as np
import pytest

from fomm_hf.images import read_image
from fomm_hf.video import VideoWriter, open_video

from .helpers import MEDIA, needs, run_fomm_here

CARPHONE, ASTRONAUT = MEDIA / "carphone.mp4", MEDIA / "astronaut.png"
FRAMES = 40


@pytest.fixture(scope="module")
def animations(bundled, tmp_path_factory):
    """(driving video, the astronaut animated by it, the astronaut not moving): the driving video is carphone's first
    frame turned 25 degrees and back, a motion that framing does not take out (it follows the face across the
    frame, not its roll)."""
    folder = tmp_path_factory.mktemp("score")
    with open_video(CARPHONE) as video:
        face = next(iter(video.frames()))
    height, width = face.shape[:2]
    turns = [cv2.getRotationMatrix2D((width / 2, height / 2), 25 * np.sin(np.pi * i / FRAMES), 1.0)
             for i in range(FRAMES)]
    with VideoWriter(folder / "turning.mp4", 25) as writer:
        writer.write(np.stack([cv2.warpAffine(face, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
                               for turn in turns]))
    bundled.animate_video(ASTRONAUT, folder / "turning.mp4", folder / "animated.mp4", progress=False)
    with VideoWriter(folder / "still.mp4", 25) as writer:
        writer.write(np.repeat(read_image(ASTRONAUT)[None], FRAMES, axis=0))
    return folder / "turning.mp4", folder / "animated.mp4", folder / "still.mp4"


@needs(CARPHONE, ASTRONAUT)
def test_the_scores_rank_a_still_result_below_the_animation_on_motion(animations, tmp_path, capsys):
    pytest.importorskip("dlib")
    driving, animated, still = animations
    scores = {}
    for name, result in {"animated": animated, "still": still}.items():
        command = run_fomm_here(capsys, "score", "--source", ASTRONAUT, "--driving", driving, "--result", result,
                                "--json", tmp_path / f"{name}.json")
        assert command.returncode == 0, command.stderr
        assert "Identity (aed" in command.stdout and "Motion (akd" in command.stdout and "mkr" in command.stdout
        scores[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert scores["animated"]["akd"] < 0.85 * scores["still"]["akd"]
    assert scores["still"]["aed"] < 0.01 and scores["still"]["mkr"] == 0  # the source itself: the same person
    assert scores["animated"]["aed"] < 0.36  # dlib's threshold between two people (0.6, squared)


def test_without_the_extra_fomm_score_says_so_in_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)  # import dlib fails, as where the extra is not installed
    command = run_fomm_here(capsys, "score", "--source", ASTRONAUT, "--driving", CARPHONE, "--result", CARPHONE,
                            "--json", tmp_path / "scores.json")
    assert command.returncode == 2
    assert command.stderr.count("\n") == 1 and "fomm_hf[faces]" in command.stderr, command.stderr
    assert command.stdout == "" and list(tmp_path.iterdir()) == []
