"""Motion transfer: which keypoints drive the generator for each driving frame (paper, Sec. 3.4).

* absolute: the driving frame's keypoints are used as they are (only sensible when source and driving
  objects are aligned and alike);
* relative: the displacement of each driving keypoint since an initial driving frame is added to the
  source's own keypoints, and the Jacobians are composed as J_d J_d0^{-1} J_s, so the source keeps its
  shape and only the motion is transferred;
* adapt_scale: in relative mode, displacements are scaled by sqrt(area(source kps) / area(initial driving
  kps)), areas of convex hulls, so a small face driven by a large one moves proportionally.

The initial driving frame is the first one, or the one whose pose is closest to the source's
(:func:`closest_pose`, after removing position and scale). The original demo compares face landmarks
(face_alignment) for that, as the pipeline does where the ``faces`` extra is installed and finds the faces;
else the model's own keypoints are compared (:func:`best_matching_frame`), which works for any object category
the model was trained on. Using frame ``i`` as the initial frame is what the original does when it animates
forwards and backwards from ``i`` and joins the two halves: every frame is driven by its displacement from
frame ``i``.
"""

from dataclasses import dataclass
from typing import Optional

import torch

from ..errors import InvalidInputError
from .geometry import convex_hull_area, full_precision, inverse_2x2
from .keypoints import KeypointOutput


@dataclass(frozen=True)
class MotionOptions:
    """How driving motion is transferred to the source (see :func:`transfer_motion`)."""

    relative: bool = True
    adapt_scale: bool = False
    relative_jacobian: bool = True


def movement_scale(kp_source: KeypointOutput, kp_driving_initial: KeypointOutput) -> float:
    """sqrt(source hull area / initial driving hull area), computed on the first batch entry as the original."""
    source_area = convex_hull_area(kp_source.value[0])
    driving_area = convex_hull_area(kp_driving_initial.value[0])
    if driving_area <= 0:
        raise InvalidInputError(
            "adapt_scale needs the initial driving keypoints to span an area; they are collinear."
        )
    return float(torch.sqrt(source_area) / torch.sqrt(driving_area))


def transfer_motion(
    kp_source: KeypointOutput,
    kp_driving: KeypointOutput,
    kp_driving_initial: KeypointOutput = None,
    relative: bool = True,
    relative_jacobian: bool = True,
    adapt_scale: bool = False,
) -> KeypointOutput:
    """Keypoints that the generator should move the source to, for a batch of driving frames.

    kp_source and kp_driving_initial have batch 1 (or the driving batch size); kp_driving has B frames.
    ``adapt_scale`` and ``relative_jacobian`` only act in relative mode, as in the original.
    """
    if not relative:
        return kp_driving
    if kp_driving_initial is None:
        raise ValueError("Relative motion needs the keypoints of the initial driving frame.")

    scale = movement_scale(kp_source, kp_driving_initial) if adapt_scale else 1.0
    value = (kp_driving.value - kp_driving_initial.value) * scale + kp_source.value

    jacobian = kp_driving.jacobian
    if relative_jacobian and jacobian is not None:
        with full_precision(jacobian):
            jacobian = jacobian @ inverse_2x2(kp_driving_initial.jacobian) @ kp_source.jacobian
    return KeypointOutput(value=value, jacobian=jacobian)


def normalise_pose(keypoints: torch.Tensor) -> torch.Tensor:
    """(K, 2) keypoints -> centred on their mean and scaled to unit hull area."""
    centred = keypoints - keypoints.mean(dim=0, keepdim=True)
    area = float(convex_hull_area(keypoints))
    return centred / max(area, 1e-12) ** 0.5


def closest_pose(source: torch.Tensor, driving: torch.Tensor) -> Optional[int]:
    """Index of the pose in ``driving`` (N, K, 2), NaN where a frame has none, closest to ``source`` (K, 2), both
    normalised by :func:`normalise_pose` (the original demo's choice of its initial frame); None if none has one."""
    source_pose = normalise_pose(source.float().cpu())
    distances = [
        ((normalise_pose(pose) - source_pose) ** 2).sum().item() if not pose.isnan().any() else float("inf")
        for pose in driving.float().cpu()
    ]
    best = min(range(len(distances)), key=distances.__getitem__, default=None)
    return best if best is not None and distances[best] < float("inf") else None


def best_matching_frame(kp_source: KeypointOutput, kp_driving: KeypointOutput) -> int:
    """Index of the driving frame (kp_driving has N frames) whose keypoints are closest to the source's."""
    return closest_pose(kp_source.value[0], kp_driving.value)
