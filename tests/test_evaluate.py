"""The procedural benchmark: its geometry, its baselines, and the `fomm evaluate` command's output shape."""

import json

import numpy as np
import torch

from fomm_hf.evaluation.procedural_set import (
    LandmarkRegressor,
    fit_affine,
    global_affine_baseline,
    sampling_theta,
    warp,
)

from .helpers import run_fomm_here


def test_fit_affine_recovers_an_exact_map():
    rng = np.random.default_rng(0)
    affine = np.array([[1.1, 0.2, 3.0], [-0.1, 0.9, -2.0]])
    points = rng.uniform(0, 64, (12, 2))
    moved = points @ affine[:, :2].T + affine[:, 2]
    np.testing.assert_allclose(fit_affine(points, moved), affine, atol=1e-9)


def test_warp_moves_image_content_where_the_affine_sends_it():
    image = torch.zeros(3, 32, 32)
    image[:, 10:12, 6:8] = 1  # a bright 2x2 block whose centre is at pixel coordinates (7, 11)
    shift = np.array([[1.0, 0, 5.0], [0, 1.0, 3.0]])  # 5 px right, 3 px down
    moved = warp(image, torch.tensor(sampling_theta(shift, 32, 32), dtype=torch.float32)[None])[0]
    ys, xs = torch.nonzero(moved[0] > 0.5, as_tuple=True)
    assert (xs.float().mean() + 0.5, ys.float().mean() + 0.5) == (12.0, 14.0)


def test_global_affine_baseline_is_never_worse_than_the_static_source():
    generator = torch.Generator().manual_seed(0)
    source = torch.nn.functional.interpolate(torch.rand(1, 3, 8, 8, generator=generator), size=32, mode="bilinear")[0]
    shifts = [np.array([[1.0, 0, dx], [0, 1.0, 0.0]]) for dx in (0.0, 2.0, 4.0)]
    targets = torch.stack([warp(source, torch.tensor(sampling_theta(s, 32, 32), dtype=torch.float32)[None])[0]
                           for s in shifts])
    landmarks = np.array([[8.0, 8.0], [24.0, 8.0], [16.0, 24.0]])
    target_landmarks = np.stack([landmarks + [s[0, 2], 0] for s in shifts])
    fitted = global_affine_baseline(source, targets, landmarks, target_landmarks)
    fitted_error = (fitted - targets).abs().mean(dim=(1, 2, 3))
    static_error = (source[None] - targets).abs().mean(dim=(1, 2, 3))
    assert (fitted_error <= static_error + 1e-6).all() and fitted_error.max() < 0.01


def test_landmark_regressor_fits_a_linear_relation():
    rng = np.random.default_rng(1)
    keypoints = rng.uniform(-1, 1, (200, 4, 2))
    mapping = rng.normal(size=(9, 6))
    landmarks = (np.concatenate([keypoints.reshape(200, -1), np.ones((200, 1))], 1) @ mapping).reshape(200, 3, 2)
    regressor = LandmarkRegressor.fit(keypoints, landmarks, ridge=1e-9)
    np.testing.assert_allclose(regressor(keypoints), landmarks, atol=1e-6)


def test_fomm_evaluate_writes_the_documented_json(tiny_pipeline, tmp_path, capsys):
    tiny_pipeline.save_pretrained(tmp_path / "model")  # 32x32: the faces render at the model's size
    result = run_fomm_here(capsys, "evaluate", "--model", tmp_path / "model", "--num-test", "2", "--frames", "4",
                           "--json", tmp_path / "results.json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| model |" in result.stdout and "| global_affine |" in result.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results) == {"cartoon-face"}
    assert set(results["cartoon-face"]) == {"model", "static_source", "global_affine"}
    for metrics in results["cartoon-face"].values():
        assert set(metrics) == {"reconstruction_l1", "animation_l1", "akd"}
        assert all(np.isfinite(v) and v >= 0 for v in metrics.values())
