"""Choosing the driving frame whose pose is closest to the source's, to start relative motion from.

The original demo compares face landmarks (face_alignment). Here the model's own keypoints are compared,
after removing position (centring on their mean) and scale (dividing by the square root of their convex
hull's area), so it works for any object category the model was trained on.

Using frame ``i`` as the initial frame of relative motion is what the original does when it animates
forwards from ``i`` and backwards from ``i`` and joins the two halves: every frame is then driven by its
displacement from frame ``i``.
"""

import torch

from ..models import KeypointOutput
from ..motion import convex_hull_area


def normalise_pose(keypoints: torch.Tensor) -> torch.Tensor:
    """(K, 2) keypoints -> centred and scaled to unit hull area."""
    centred = keypoints - keypoints.mean(dim=0, keepdim=True)
    area = float(convex_hull_area(keypoints))
    return centred / max(area, 1e-12) ** 0.5


def best_matching_frame(kp_source: KeypointOutput, kp_driving: KeypointOutput) -> int:
    """Index of the driving frame (kp_driving has N frames) with the pose closest to the source's."""
    source_pose = normalise_pose(kp_source.value[0].float().cpu())
    distances = [
        ((normalise_pose(frame.float().cpu()) - source_pose) ** 2).sum().item() for frame in kp_driving.value
    ]
    return min(range(len(distances)), key=distances.__getitem__)
