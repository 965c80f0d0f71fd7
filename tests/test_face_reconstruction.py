"""fomm reconstruct with the paper's face metrics: L1, AKD, MKR and AED per video and overall, and AKD that ranks a
model which only copies the first frame below a perfect reconstruction."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from fomm_hf.evaluation import evaluate_reconstruction, reconstruction_summary
from fomm_hf.images import prepare_images
from fomm_hf.video import VideoWriter, open_video

from .helpers import MEDIA, REPO_ROOT, needs, run_fomm_here

CARPHONE = MEDIA / "carphone.mp4"


@pytest.fixture(scope="module")
def carphone() -> torch.Tensor:
    """carphone.mp4's centre square (its face), float (120, 3, 144, 144) in [0, 1]."""
    with open_video(CARPHONE) as video:
        return prepare_images(np.stack(list(video.frames())), 144)


class Reconstructing:
    """A stand-in pipeline of a face model that gives the video back (perfect) or its first frame repeated."""

    category = "face"

    def __init__(self, copies_first_frame: bool):
        self.copies_first_frame = copies_first_frame

    def __call__(self, source, driving, **options):
        return SimpleNamespace(frames=driving[:1].expand_as(driving) if self.copies_first_frame else driving)


@needs(CARPHONE)
def test_a_model_that_copies_the_first_frame_gets_a_worse_akd_than_a_perfect_reconstruction(carphone):
    videos = [{"video": carphone[::4], "name": "carphone"}]
    perfect = evaluate_reconstruction(Reconstructing(False), videos, face_metrics=True)
    copying = evaluate_reconstruction(Reconstructing(True), videos, face_metrics=True)
    assert perfect["mean_l1"] == 0 and perfect["akd"] == 0 and perfect["mkr"] == 0 and perfect["aed"] == 0
    assert copying["akd"] > 1.0 and copying["mean_l1"] > 0.01  # px at 256x256: the head moves and talks
    assert copying["videos"]["carphone"]["akd"] == copying["akd"]
    assert "AKD 0.000 px at 256x256, MKR 0.000, AED 0.000" in reconstruction_summary(perfect)


@needs(CARPHONE)
def test_fomm_reconstruct_reports_all_four_metrics_per_video_and_overall(carphone, tmp_path, capsys):
    """A dataset in the original layout made from carphone (test: two clips of its face at 64x64; train: one),
    reconstructed by the bundled model (a face model: cartoon faces)."""
    clips = {"train/carphone-middle": carphone[48:72], "test/carphone-start": carphone[:24],
             "test/carphone-next": carphone[24:48]}
    for name, frames in clips.items():
        (tmp_path / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        with VideoWriter(tmp_path / "data" / f"{name}.mp4", 25) as writer:
            writer.write(prepare_images(frames, 64))
    config = REPO_ROOT / "fomm_hf" / "configs" / "procedural-faces-64.yaml"
    result = run_fomm_here(capsys, "reconstruct", "--config", config, "--model", REPO_ROOT / "fomm_hf" / "bundled" /
                      "procedural-faces-64", "--data-dir", tmp_path / "data", "--output-dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "reconstruction.json").read_text())
    assert report["num_videos"] == 2 and report["num_frames"] == 48
    for metrics in [report, *report["videos"].values()]:
        assert all(isinstance(metrics[key], float) for key in ("akd", "mkr", "aed"))
    assert 0 < report["videos"]["carphone-start.mp4"]["l1"] < 0.2 and 0 < report["mean_l1"] < 0.2
    assert 0 < report["akd"] < 20 and 0 <= report["mkr"] < 0.5 and 0 < report["aed"] < 0.5
    assert "AKD" in result.stdout and "MKR" in result.stdout and "AED" in result.stdout
