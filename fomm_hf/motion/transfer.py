"""Motion transfer: which keypoints drive the generator for each driving frame (paper, Sec. 3.4).

* absolute: the driving frame's keypoints are used as they are (only sensible when source and driving
  objects are aligned and alike);
* relative: the displacement of each driving keypoint since an initial driving frame is added to the
  source's own keypoints, and the Jacobians are composed as J_d J_d0^{-1} J_s, so the source keeps its
  shape and only the motion is transferred;
* adapt_scale: in relative mode, displacements are scaled by sqrt(area(source kps) / area(initial driving
  kps)), areas of convex hulls, so a small face driven by a large one moves proportionally.
"""

import torch

from ..models.outputs import KeypointOutput
from .geometry import full_precision, inverse_2x2


def convex_hull_area(points: torch.Tensor) -> torch.Tensor:
    """Area of the convex hull of 2-D points (N, 2) (Andrew's monotone chain, then the shoelace formula)."""
    pts = sorted(set(map(tuple, points.detach().double().cpu().tolist())))
    if len(pts) < 3:
        return torch.tensor(0.0, dtype=torch.float64)

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def half_hull(sequence):
        hull = []
        for p in sequence:
            while len(hull) >= 2 and cross(hull[-2], hull[-1], p) <= 0:
                hull.pop()
            hull.append(p)
        return hull[:-1]

    hull = half_hull(pts) + half_hull(reversed(pts))
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(hull, hull[1:] + hull[:1])) / 2
    return torch.tensor(abs(area), dtype=torch.float64)


def movement_scale(kp_source: KeypointOutput, kp_driving_initial: KeypointOutput) -> float:
    """sqrt(source hull area / initial driving hull area), computed on the first batch entry as the original."""
    source_area = convex_hull_area(kp_source.value[0])
    driving_area = convex_hull_area(kp_driving_initial.value[0])
    if driving_area <= 0:
        raise ValueError("adapt_scale needs the initial driving keypoints to span an area; they are collinear.")
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
