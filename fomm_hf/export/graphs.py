"""The three graphs an animation runs, as modules of plain tensors that ONNX can export.

- ``keypoints``: frames (B, 3, H, W) -> keypoint values (B, K, 2) and Jacobians (B, K, 2, 2); run on the
  source once and on every driving frame.
- ``source_encoder``: the source (1, 3, H, W) -> the generator's encoder features (1, C, h, w); run once.
- ``frame_generator``: the source, its features and keypoints, and a batch of driving keypoints -> frames
  (B, 3, H, W): dense motion, warps, occlusion and decoder; run on every batch of driving frames.

The keypoint geometry is exported as ordinary operators (the closed-form 2x2 inverse, ``GridSample``), and the
models are the engine's inference copies (BatchNorm folded, upsampling fused). Models without Jacobians
(``estimate_jacobian=False``) export graphs without them.
"""

from typing import Dict, List, Tuple

import torch
from torch import nn

from ..models import KeypointDetector, OcclusionAwareGenerator
from ..motion import KeypointOutput

GRAPH_NAMES = ("keypoints", "source_encoder", "frame_generator")


class KeypointsGraph(nn.Module):
    def __init__(self, kp_detector: KeypointDetector):
        super().__init__()
        self.kp_detector = kp_detector

    def forward(self, frames: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        keypoints = self.kp_detector(frames)
        return (keypoints.value,) if keypoints.jacobian is None else (keypoints.value, keypoints.jacobian)


class SourceEncoderGraph(nn.Module):
    def __init__(self, generator: OcclusionAwareGenerator):
        super().__init__()
        self.generator = generator

    def forward(self, source: torch.Tensor) -> torch.Tensor:
        return self.generator.encode(source)


class FrameGeneratorGraph(nn.Module):
    """Inputs: source (1, 3, H, W), source_features (1, C, h, w), kp_source (1, K, 2) [and its Jacobians
    (1, K, 2, 2)], kp_driving (B, K, 2) [and (B, K, 2, 2)]. Output: frames (B, 3, H, W)."""

    def __init__(self, generator: OcclusionAwareGenerator, with_jacobians: bool):
        super().__init__()
        self.generator, self.with_jacobians = generator, with_jacobians

    def forward(self, source, source_features, *keypoints) -> torch.Tensor:
        middle = len(keypoints) // 2
        kp_source, kp_driving = keypoint_output(keypoints[:middle]), keypoint_output(keypoints[middle:])
        count = kp_driving.value.shape[0]
        return self.generator(
            source.expand(count, -1, -1, -1),
            kp_driving=kp_driving,
            kp_source=kp_source.expand(count),
            source_features=source_features.expand(count, -1, -1, -1),
            return_deformed_source=False,
        ).prediction


def keypoint_output(tensors) -> KeypointOutput:
    return KeypointOutput(value=tensors[0], jacobian=tensors[1] if len(tensors) > 1 else None)


def keypoint_names(prefix: str, with_jacobians: bool) -> List[str]:
    return [f"{prefix}_value", f"{prefix}_jacobian"] if with_jacobians else [f"{prefix}_value"]


def graph_signatures(with_jacobians: bool) -> Dict[str, Tuple[List[str], List[str]]]:
    """{graph: (input names, output names)}."""
    return {
        "keypoints": (["frames"], keypoint_names("kp", with_jacobians)),
        "source_encoder": (["source"], ["source_features"]),
        "frame_generator": (
            ["source", "source_features", *keypoint_names("kp_source", with_jacobians),
             *keypoint_names("kp_driving", with_jacobians)],
            ["frames"],
        ),
    }
