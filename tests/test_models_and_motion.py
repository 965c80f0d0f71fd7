"""Unit tests of the models' contracts and of motion transfer, against independent computations."""

import copy
import math

import pytest
import torch

from fomm_hf import (
    KeypointDetector,
    KeypointOutput,
    MultiScaleDiscriminator,
    OcclusionAwareGenerator,
)
from fomm_hf.models.blocks import UpBlock2d
from fomm_hf.models.fusion import TransposedUpBlock2d, fold_batchnorm, fuse_upsampling
from fomm_hf.motion import (
    convex_hull_area,
    inverse_2x2,
    keypoint_heatmaps,
    make_coordinate_grid,
    transfer_motion,
)

from .helpers import TINY_GENERATOR, TINY_KP


def random_keypoints(batch, num_kp, seed=0):
    generator = torch.Generator().manual_seed(seed)
    value = torch.rand(batch, num_kp, 2, generator=generator) * 1.6 - 0.8
    jacobian = torch.eye(2) + 0.3 * torch.randn(batch, num_kp, 2, 2, generator=generator)
    return KeypointOutput(value=value, jacobian=jacobian)


def test_keypoint_output_reads_as_attributes_and_keys():
    detector = KeypointDetector(**TINY_KP).eval()
    out = detector(torch.rand(2, 3, 32, 32))
    assert out.value.shape == (2, 4, 2) and out.jacobian.shape == (2, 4, 2, 2)
    assert out["value"] is out.value and out["jacobian"] is out.jacobian
    assert out.value.abs().max() <= 1


def test_fresh_jacobian_head_predicts_identity():
    for single_map in (False, True):
        detector = KeypointDetector(**TINY_KP, single_jacobian_map=single_map).eval()
        jacobian = detector(torch.rand(2, 3, 32, 32)).jacobian
        torch.testing.assert_close(jacobian, torch.eye(2).expand_as(jacobian), atol=1e-5, rtol=0)


def test_keypoints_are_heatmap_expectations():
    detector = KeypointDetector(**TINY_KP).eval()
    image = torch.rand(1, 3, 32, 32)
    heatmap, _ = detector.heatmaps(image)
    height, width = heatmap.shape[2:]
    xs = torch.linspace(-1, 1, width)
    ys = torch.linspace(-1, 1, height)
    expected_x = (heatmap.sum(2) * xs).sum(-1)
    expected_y = (heatmap.sum(3) * ys).sum(-1)
    torch.testing.assert_close(detector(image).value, torch.stack([expected_x, expected_y], -1))


def test_zero_order_model_runs_without_jacobians():
    detector = KeypointDetector(**TINY_KP, estimate_jacobian=False).eval()
    generator = OcclusionAwareGenerator(**TINY_GENERATOR).eval()
    source, driving = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    kp_source, kp_driving = detector(source), detector(driving)
    assert kp_source.jacobian is None
    kp_target = transfer_motion(kp_source, kp_driving, kp_driving, relative=True)
    out = generator(source, kp_driving=kp_target, kp_source=kp_source)
    assert out.prediction.shape == (1, 3, 32, 32) and out["occlusion_map"].shape == (1, 1, 16, 16)


def test_generator_with_identical_keypoints_warps_by_identity():
    # Same keypoints and Jacobians for source and driving: every local motion is the identity, so the
    # blended deformation is the identity grid whatever the masks are.
    generator = OcclusionAwareGenerator(**TINY_GENERATOR).eval()
    kp = random_keypoints(1, 4)
    out = generator(torch.rand(1, 3, 32, 32), kp_driving=kp, kp_source=kp)
    torch.testing.assert_close(out.deformation[0], make_coordinate_grid(16, 16), atol=1e-5, rtol=0)


def test_cached_source_features_give_the_same_frame():
    generator = OcclusionAwareGenerator(**TINY_GENERATOR).eval()
    source = torch.rand(1, 3, 32, 32)
    kp_source, kp_driving = random_keypoints(1, 4, 0), random_keypoints(1, 4, 1)
    plain = generator(source, kp_driving=kp_driving, kp_source=kp_source).prediction
    cached = generator(source, kp_driving, kp_source, source_features=generator.encode(source)).prediction
    assert torch.equal(plain, cached)


def test_inverse_2x2_matches_linalg():
    matrices = torch.eye(2) + 0.5 * torch.randn(3, 5, 2, 2)
    torch.testing.assert_close(inverse_2x2(matrices), torch.linalg.inv(matrices), atol=1e-5, rtol=1e-5)


def test_keypoint_heatmaps_peak_at_keypoints():
    keypoints = torch.tensor([[[-1.0, -1.0], [1.0, 0.0]]])
    heatmaps = keypoint_heatmaps(keypoints, 5, 9, kp_variance=0.01)
    assert heatmaps.shape == (1, 2, 5, 9)
    assert heatmaps[0, 0, 0, 0] == 1 and heatmaps[0, 1, 2, 8] == 1
    assert math.isclose(heatmaps[0, 1, 2, 7].item(), math.exp(-0.5 * 0.25**2 / 0.01), rel_tol=1e-5)


def test_convex_hull_area():
    square_with_inner_points = torch.tensor([[0, 0], [2, 0], [2, 2], [0, 2], [1, 1], [0.5, 1.5]])
    assert convex_hull_area(square_with_inner_points).item() == pytest.approx(4.0)
    triangle = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]])
    assert convex_hull_area(triangle).item() == pytest.approx(6.0)
    assert convex_hull_area(torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])).item() == 0


def test_absolute_motion_uses_driving_keypoints():
    kp_source, kp_driving = random_keypoints(1, 4, 0), random_keypoints(3, 4, 1)
    assert transfer_motion(kp_source, kp_driving, relative=False) is kp_driving


def test_relative_motion_at_the_initial_frame_keeps_the_source_pose():
    kp_source, kp_driving = random_keypoints(1, 4, 0), random_keypoints(3, 4, 1)
    initial = kp_driving.select(1)
    out = transfer_motion(kp_source, kp_driving, initial, relative=True).select(1)
    torch.testing.assert_close(out.value, kp_source.value)
    torch.testing.assert_close(out.jacobian, kp_source.jacobian, atol=1e-5, rtol=1e-5)


def test_relative_motion_formula():
    kp_source, kp_driving, initial = random_keypoints(1, 4, 0), random_keypoints(2, 4, 1), random_keypoints(1, 4, 2)
    out = transfer_motion(kp_source, kp_driving, initial, relative=True, adapt_scale=True)
    scale = math.sqrt(convex_hull_area(kp_source.value[0]) / convex_hull_area(initial.value[0]))
    torch.testing.assert_close(out.value, (kp_driving.value - initial.value) * scale + kp_source.value)
    expected_jacobian = kp_driving.jacobian @ torch.linalg.inv(initial.jacobian) @ kp_source.jacobian
    torch.testing.assert_close(out.jacobian, expected_jacobian, atol=1e-5, rtol=1e-5)


def test_discriminator_with_keypoints_and_scales():
    discriminator = MultiScaleDiscriminator(scales=(1, 0.5), num_kp=4, use_kp=True, block_expansion=4,
                                            max_features=16, sn=True).eval()
    out = discriminator(torch.rand(2, 3, 128, 128), kp=random_keypoints(2, 4))
    assert set(out.prediction_maps) == {"1", "0.5"} and len(out.feature_maps["0.5"]) == 4
    with pytest.raises(ValueError, match="use_kp"):
        discriminator(torch.rand(2, 3, 128, 128))


def test_inference_rewrites_compute_the_same_function(tiny_pipeline):
    kp_detector, generator = tiny_pipeline.kp_detector, tiny_pipeline.generator  # BatchNorm statistics not trivial
    rewritten = [fuse_upsampling(fold_batchnorm(copy.deepcopy(model))) for model in (kp_detector, generator)]
    assert not any(isinstance(m, (UpBlock2d, torch.nn.BatchNorm2d)) for m in rewritten[1].up_blocks.modules())
    assert sum(isinstance(m, TransposedUpBlock2d) for m in rewritten[1].modules()) == 2 + 2  # decoder, hourglass
    image, frames = torch.rand(1, 3, 32, 32), torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        kp_source, kp_driving = kp_detector(image), kp_detector(frames)
        torch.testing.assert_close(rewritten[0](frames).value, kp_driving.value, atol=1e-5, rtol=0)
        expected = generator(image.expand(3, -1, -1, -1), kp_driving=kp_driving, kp_source=kp_source.expand(3))
        output = rewritten[1](image.expand(3, -1, -1, -1), kp_driving=kp_driving, kp_source=kp_source.expand(3))
    torch.testing.assert_close(output.prediction, expected.prediction, atol=1e-5, rtol=0)
