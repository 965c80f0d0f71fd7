"""Pasting the animated square back into the full-size source picture.

The animated square (at the model's resolution) is resized to its size in the source and blended in with a
feathered mask: fully animated inside, fading linearly to the source over ``feather`` x its side at its edges.
Pixels outside the square are the source's own, exactly.
"""

import numpy as np
import torch

from .squares import Square


def feather_mask(side: int, feather: float) -> np.ndarray:
    """(side, side) float32: 1 inside, falling linearly to 0 over ``feather`` x side at the four edges."""
    ramp_width = max(1.0, feather * side)
    distance = np.minimum(np.arange(side), np.arange(side)[::-1]) + 0.5  # to the nearest edge, per row/column
    ramp = np.clip(distance / ramp_width, 0, 1).astype(np.float32)
    return np.minimum(ramp[:, None], ramp[None, :])


class PasteBack:
    """Pastes animated squares into ``source`` (H, W, 3) uint8, where ``square`` was cut from it."""

    def __init__(self, source: np.ndarray, square: Square, feather: float = 0.1):
        self.source = source
        self.square = square
        height, width = source.shape[:2]
        # The part of the square inside the picture, in the picture's and in the square's coordinates.
        self.top, self.left = max(square.top, 0), max(square.left, 0)
        self.bottom, self.right = min(square.top + square.side, height), min(square.left + square.side, width)
        if self.bottom <= self.top or self.right <= self.left:
            raise ValueError(f"{square} does not overlap the {width}x{height} source")
        inner = (slice(self.top - square.top, self.bottom - square.top),
                 slice(self.left - square.left, self.right - square.left))
        self.inner = inner
        self.mask = torch.from_numpy(feather_mask(square.side, feather)[inner][..., None])  # (h, w, 1)
        self.background = torch.from_numpy(source[self.top : self.bottom, self.left : self.right]).float()

    @property
    def size(self) -> tuple:
        """(width, height) of the frames made."""
        return self.source.shape[1], self.source.shape[0]

    def __call__(self, animated: torch.Tensor) -> np.ndarray:
        """Frames (N, 3, s, s) float in [0, 1], at the model's resolution -> (N, H, W, 3) uint8 at the source's."""
        side = self.square.side
        shrink = side < animated.shape[-1]
        resized = torch.nn.functional.interpolate(
            animated.float(), size=(side, side), mode="bilinear", align_corners=False, antialias=shrink
        )
        resized = resized.clamp(0, 1).mul(255).permute(0, 2, 3, 1)[:, self.inner[0], self.inner[1]]
        blended = self.background + self.mask * (resized - self.background)
        frames = np.repeat(self.source[None], len(animated), axis=0)
        frames[:, self.top : self.bottom, self.left : self.right] = blended.round().to(torch.uint8).numpy()
        return frames
