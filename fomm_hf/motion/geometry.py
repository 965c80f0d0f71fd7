"""Coordinate grids, keypoint heatmaps, 2x2 matrix algebra and hull areas shared by the models and motion transfer.

Coordinates follow the original implementation: ``x`` runs along the width, ``y`` along the height, both
in ``[-1, 1]`` with the extreme values on the centres of the border pixels.
"""

import torch


def full_precision(tensor: torch.Tensor):
    """Context in which autocast is off on ``tensor``'s device: coordinates and Jacobians stay float32 even in
    the fast (reduced-precision) mode, where an error of 1/256 would move pixels."""
    return torch.autocast(tensor.device.type, enabled=False)


def make_coordinate_grid(height: int, width: int, dtype=torch.float32, device=None) -> torch.Tensor:
    """Grid of (x, y) coordinates in [-1, 1], shape (height, width, 2)."""
    x = torch.arange(width, dtype=dtype, device=device)
    y = torch.arange(height, dtype=dtype, device=device)
    x = 2 * (x / (width - 1)) - 1
    y = 2 * (y / (height - 1)) - 1
    yy, xx = torch.meshgrid(y, x, indexing="ij")
    return torch.stack([xx, yy], dim=-1)


def keypoint_heatmaps(keypoints: torch.Tensor, height: int, width: int, kp_variance: float) -> torch.Tensor:
    """Unnormalised Gaussians centred on keypoints.

    keypoints: (B, K, 2) -> heatmaps: (B, K, height, width).
    """
    grid = make_coordinate_grid(height, width, keypoints.dtype, keypoints.device)  # (H, W, 2)
    offsets = grid - keypoints[:, :, None, None, :]  # (B, K, H, W, 2)
    return torch.exp(-0.5 * (offsets**2).sum(-1) / kp_variance)


def determinant_2x2(matrix: torch.Tensor) -> torch.Tensor:
    """Determinants of (..., 2, 2) matrices, shape (...)."""
    return matrix[..., 0, 0] * matrix[..., 1, 1] - matrix[..., 0, 1] * matrix[..., 1, 0]


def inverse_2x2(matrix: torch.Tensor) -> torch.Tensor:
    """Closed-form inverse of (..., 2, 2) matrices (adjugate over determinant)."""
    a, b = matrix[..., 0, 0], matrix[..., 0, 1]
    c, d = matrix[..., 1, 0], matrix[..., 1, 1]
    adjugate = torch.stack([torch.stack([d, -b], -1), torch.stack([-c, a], -1)], -2)
    return adjugate / determinant_2x2(matrix)[..., None, None]


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
