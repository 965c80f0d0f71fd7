"""Making decoded frames model-ready: square them (crop or pad), then resize them to the model's resolution."""

from typing import Sequence, Union

import numpy as np
import torch

from ..errors import InvalidInputError
from ..pipelines.image_inputs import resize_frames

FITS = ("crop", "pad")


def fit_square(image: np.ndarray, fit: str = "crop") -> np.ndarray:
    """Makes an image (H, W, C), or a batch of them (N, H, W, C), square.

    fit: "crop" keeps the centred square of side min(H, W); "pad" centres the image on a square of side
    max(H, W), filled with zeros (black, and transparent where there is an alpha channel).
    """
    if fit not in FITS:
        raise InvalidInputError(f"fit must be one of {FITS}; got {fit!r}.")
    if image.ndim not in (3, 4):
        raise InvalidInputError(f"Expected an image (H, W, C) or images (N, H, W, C); got shape {image.shape}.")
    height, width = image.shape[-3:-1]
    if fit == "crop":
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        return image[..., top : top + side, left : left + side, :]
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    padding = [(0, 0)] * (image.ndim - 3) + [(top, side - height - top), (left, side - width - left), (0, 0)]
    return np.pad(image, padding)


def prepare_video_frames(frames: Union[np.ndarray, Sequence[np.ndarray]], size: int, fit: str = "crop") -> torch.Tensor:
    """Decoded frames, uint8 RGB (H, W, 3) each, -> float tensor (N, 3, size, size) in [0, 1].

    Each frame is made square with :func:`fit_square`, then resized (bilinear, antialiased).
    """
    if len(frames) == 0:
        raise InvalidInputError("No frames to prepare: at least one frame is needed.")
    batch = frames if isinstance(frames, np.ndarray) else np.stack(frames)  # (N, H, W, 3)
    if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[-1] != 3:
        raise InvalidInputError(
            f"Frames must be uint8 RGB frames (H, W, 3); got a {batch.dtype} batch of shape {batch.shape}."
        )
    square = torch.from_numpy(np.ascontiguousarray(fit_square(batch, fit)))
    return resize_frames(square.permute(0, 3, 1, 2).float() / 255, size)
