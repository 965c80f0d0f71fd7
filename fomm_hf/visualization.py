"""Pictures of keypoints: drawn on frames, and side by side as the original's visualizer (source | driving with
keypoints | result)."""

import colorsys

import numpy as np
import PIL.Image
import PIL.ImageDraw
import torch

from .images import to_uint8


def keypoint_colours(num_kp: int) -> list:
    """Distinct colours along the hue circle (as the original's rainbow colormap)."""
    hues = [i / max(num_kp, 1) * 0.85 for i in range(num_kp)]
    return [tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, 1.0, 1.0)) for hue in hues]


def to_uint8_image(frame: torch.Tensor) -> np.ndarray:
    """(3, H, W) float in [0, 1] -> (H, W, 3) uint8."""
    return to_uint8(frame[None])[0]


def draw_keypoints(image: np.ndarray, keypoints: torch.Tensor, radius: int = None) -> np.ndarray:
    """Draws (K, 2) keypoints in [-1, 1] on an (H, W, 3) uint8 image."""
    height, width = image.shape[:2]
    radius = radius or max(2, width // 64)
    picture = PIL.Image.fromarray(image)
    draw = PIL.ImageDraw.Draw(picture)
    for (x, y), colour in zip(keypoints.tolist(), keypoint_colours(len(keypoints))):
        px, py = (x + 1) / 2 * (width - 1), (y + 1) / 2 * (height - 1)
        draw.ellipse([px - radius, py - radius, px + radius, py + radius], fill=colour, outline=(0, 0, 0))
    return np.asarray(picture)


def side_by_side(source: torch.Tensor, driving: torch.Tensor, kp_driving: torch.Tensor, result: torch.Tensor):
    """(3, H, W) source, driving frame and result, (K, 2) driving keypoints -> (H, 3W, 3) uint8."""
    panels = [to_uint8_image(source), draw_keypoints(to_uint8_image(driving), kp_driving), to_uint8_image(result)]
    return np.concatenate(panels, axis=1)


def side_by_side_batch(source: torch.Tensor, driving: torch.Tensor, kp_driving: torch.Tensor, results: torch.Tensor):
    """(3, H, W) source, (N, 3, H, W) driving frames and results, (N, K, 2) driving keypoints -> (N, H, 3W, 3) uint8."""
    keypoints = kp_driving.float().cpu()
    return np.stack([side_by_side(source, driving[i], keypoints[i], results[i]) for i in range(len(driving))])
