"""Turning what users pass as images (PIL images, numpy arrays, tensors, paths) into model-ready tensors.

Conventions: tensors are channels-first, numpy arrays and PIL images channels-last (as they come from
imageio and PIL). uint8 values are scaled by 1/255; float values must already lie in [0, 1]. One or two
channels (grey, grey + alpha) are expanded to RGB; an alpha channel is composited onto white. Images whose
size differs from the model's are resized to it (bilinear with antialiasing, the aspect ratio is not kept:
crop non-square inputs first, or let the video reader do it).
"""

from pathlib import Path

import numpy as np
import PIL.Image
import torch
import torch.nn.functional as F

from ..errors import InvalidInputError

SUPPORTED = "a PIL image, a numpy array, a torch tensor or an image file path"


def _to_rgb(frames: torch.Tensor, name: str) -> torch.Tensor:
    """(N, C, H, W) float with C in 1..4 -> (N, 3, H, W); alpha is composited onto white."""
    channels = frames.shape[1]
    if channels in (2, 4):
        colour, alpha = frames[:, :-1], frames[:, -1:]
        frames = colour * alpha + (1 - alpha)
        channels -= 1
    if channels == 1:
        frames = frames.expand(-1, 3, -1, -1)
    elif channels != 3:
        raise InvalidInputError(f"{name} has {channels} channels; expected 1 (grey), 2, 3 (RGB) or 4 (RGBA).")
    return frames


def _normalise_values(frames: torch.Tensor, name: str) -> torch.Tensor:
    if frames.dtype == torch.uint8:
        return frames.float() / 255
    if not frames.is_floating_point():
        raise InvalidInputError(f"{name} has dtype {frames.dtype}; use uint8 (0-255) or float (0-1) values.")
    frames = frames.float()
    if frames.numel() and (frames.min() < -1e-3 or frames.max() > 1 + 1e-3):
        raise InvalidInputError(
            f"{name} is float with values in [{frames.min():.3g}, {frames.max():.3g}]; float images must lie in "
            "[0, 1] (divide 0-255 values by 255, or pass uint8)."
        )
    return frames.clamp(0, 1)


def _pil_to_array(image: PIL.Image.Image) -> np.ndarray:
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    return np.asarray(image)


def _single_image(image, name: str) -> torch.Tensor:
    """One image -> (1, C, H, W) in its original dtype, channels-first."""
    if isinstance(image, (str, Path)):
        try:
            with PIL.Image.open(image) as opened:
                image = _pil_to_array(opened)
        except (OSError, ValueError) as error:
            raise InvalidInputError(f"{name}: cannot read {image} as an image ({error}).") from None
    if isinstance(image, PIL.Image.Image):
        image = _pil_to_array(image)
    if isinstance(image, np.ndarray):
        if image.ndim == 2:
            image = image[:, :, None]
        if image.ndim != 3 or image.shape[2] > 4:
            raise InvalidInputError(f"{name}: a numpy image must be (H, W) or (H, W, C); got shape {image.shape}.")
        return torch.from_numpy(np.array(image)).permute(2, 0, 1).unsqueeze(0)
    if isinstance(image, torch.Tensor):
        if image.ndim == 2:
            image = image.unsqueeze(0)
        if image.ndim == 3:
            image = image.unsqueeze(0)
        if image.ndim != 4 or image.shape[1] > 4:
            raise InvalidInputError(f"{name}: a tensor image must be (C, H, W) or (1, C, H, W); got {tuple(image.shape)}.")
        return image
    raise InvalidInputError(f"{name} must be {SUPPORTED}; got {type(image).__name__}.")


def _as_batch(frames, name: str) -> torch.Tensor:
    """An image or an array of frames -> (N, C, H, W) in the original dtype."""
    if isinstance(frames, torch.Tensor) and frames.ndim == 4:
        return frames
    if isinstance(frames, np.ndarray) and frames.ndim == 4:
        return torch.from_numpy(np.array(frames)).permute(0, 3, 1, 2)
    if isinstance(frames, np.ndarray) and frames.ndim == 3 and frames.shape[2] > 4:  # (N, H, W) grey frames
        return torch.from_numpy(np.array(frames)).unsqueeze(1)
    return _single_image(frames, name)


def resize_frames(frames: torch.Tensor, size) -> torch.Tensor:
    """Antialiased bilinear resize of (N, C, H, W) float frames to ``size`` (int or (H, W))."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(frames.shape[2:]) == size:
        return frames
    return F.interpolate(frames, size=size, mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)


def prepare_frames(frames, name: str, size) -> torch.Tensor:
    """Any supported image or sequence of images -> float (N, 3, size, size) in [0, 1]."""
    if isinstance(frames, (list, tuple)):
        if len(frames) == 0:
            raise InvalidInputError(f"{name} is empty: at least one frame is needed.")
        return torch.cat([prepare_frames(frame, f"{name}[{i}]", size) for i, frame in enumerate(frames)])
    batch = _as_batch(frames, name)
    if batch.shape[0] == 0:
        raise InvalidInputError(f"{name} is empty: at least one frame is needed.")
    if min(batch.shape[2:]) < 2:
        raise InvalidInputError(f"{name} has size {tuple(batch.shape[2:])}; an image needs at least 2x2 pixels.")
    return resize_frames(_to_rgb(_normalise_values(batch, name), name), size)


def prepare_image(image, name: str, size) -> torch.Tensor:
    """One image -> float (1, 3, size, size) in [0, 1]."""
    batch = prepare_frames(image, name, size)
    if batch.shape[0] != 1:
        raise InvalidInputError(f"{name} must be a single image; got {batch.shape[0]}.")
    return batch
