"""Parity with the original implementation on ../shared/reference/original-tiny (outputs of the original code).

Keys without prefix were produced under today's torch (grid_sample align_corners=False), keys under
``legacy/`` under torch 1.0 semantics (align_corners=True). Every tensor must match within 1e-4.
"""

import pytest
import torch
from safetensors.torch import load_file

from fomm_hf import FOMMPipeline, KeypointOutput, transfer_motion
from fomm_hf.conversion import convert_original_checkpoint

from .helpers import REFERENCE, needs

pytestmark = needs(REFERENCE)
TOLERANCE = 1e-4
MODES = {"relative": dict(relative=True), "relative_adapt": dict(relative=True, adapt_scale=True),
         "absolute": dict(relative=False)}
CONVENTIONS = {"": False, "legacy/": True}  # reference key prefix -> align_corners


@pytest.fixture(scope="module")
def reference():
    return load_file(REFERENCE / "io.safetensors")


@pytest.fixture(scope="module", params=list(CONVENTIONS), ids=["torch-today", "torch-1.0"])
def converted(request):
    prefix = request.param
    models = convert_original_checkpoint(
        REFERENCE / "config.yaml", REFERENCE / "checkpoint.pth.tar", align_corners=CONVENTIONS[prefix]
    )
    return prefix, models


def assert_close(actual, expected, what):
    assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    error = (actual - expected).abs().max().item()
    assert error <= TOLERANCE, f"{what}: max abs error {error:.2e}"


@torch.no_grad()
def test_keypoints_match(converted, reference):
    _, models = converted
    kp_source = models.kp_detector(reference["source"])
    assert_close(kp_source.value, reference["kp_source/value"], "kp_source value")
    assert_close(kp_source.jacobian, reference["kp_source/jacobian"], "kp_source jacobian")
    kp_driving = models.kp_detector(reference["driving"])
    for i in range(len(reference["driving"])):
        assert_close(kp_driving.value[i : i + 1], reference[f"kp_driving/{i}/value"], f"kp_driving {i}")
        assert_close(kp_driving.jacobian[i : i + 1], reference[f"kp_driving/{i}/jacobian"], f"jacobian {i}")


@pytest.mark.parametrize("mode", list(MODES))
@torch.no_grad()
def test_generator_outputs_match_per_frame(converted, reference, mode):
    prefix, models = converted
    source = reference["source"]
    kp_source = models.kp_detector(source)
    kp_initial = models.kp_detector(reference["driving"][:1])
    for i in range(len(reference["driving"])):
        kp_driving = models.kp_detector(reference["driving"][i : i + 1])
        kp_norm = transfer_motion(kp_source, kp_driving, kp_initial, **MODES[mode])
        if f"{mode}/{i}/kp_norm/value" in reference:
            assert_close(kp_norm.value, reference[f"{mode}/{i}/kp_norm/value"], f"{mode} {i} kp_norm")
            assert_close(kp_norm.jacobian, reference[f"{mode}/{i}/kp_norm/jacobian"], f"{mode} {i} kp_norm jac")
        out = models.generator(source, kp_driving=kp_norm, kp_source=kp_source)
        key = f"{prefix}{mode}/{i}/"
        assert_close(out.prediction, reference[key + "prediction"], key + "prediction")
        assert_close(out["deformed_source"], reference[key + "deformed"], key + "deformed")
        assert_close(out.mask, reference[key + "mask"], key + "mask")
        assert_close(out.occlusion_map, reference[key + "occlusion_map"], key + "occlusion_map")
        if key + "sparse_deformed" in reference:
            assert_close(out.sparse_deformed, reference[key + "sparse_deformed"], key + "sparse_deformed")


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("batch_size", [1, 2])
def test_pipeline_call_matches(converted, reference, mode, batch_size):
    prefix, models = converted
    pipe = FOMMPipeline(models.kp_detector, models.generator, image_size=models.image_size)
    pipe.set_progress_bar_config(disable=True)
    frames = pipe(reference["source"], reference["driving"], batch_size=batch_size, **MODES[mode]).frames
    for i in range(len(reference["driving"])):
        assert_close(frames[i : i + 1], reference[f"{prefix}{mode}/{i}/prediction"], f"pipeline {mode} {i}")


@torch.no_grad()
def test_discriminator_matches(reference):
    models = convert_original_checkpoint(REFERENCE / "config.yaml", REFERENCE / "checkpoint.pth.tar")
    kp = KeypointOutput(value=reference["discriminator/kp/value"])
    out = models.discriminator(reference["discriminator/input/prediction_1"], kp)
    for j, feature_map in enumerate(out.feature_maps["1"]):
        assert_close(feature_map, reference[f"discriminator/feature_maps_1/{j}"], f"feature map {j}")
    assert_close(out.prediction_maps["1"], reference["discriminator/prediction_map_1"], "prediction map")
