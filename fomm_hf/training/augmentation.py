"""Clip augmentation as in the original training: random time or horizontal flip, random resize and crop,
colour jitter.

A clip is a float tensor (T, 3, H, W) in [0, 1]; one set of random parameters applies to all its frames.
"""

import random

import torch
import torch.nn.functional as F

from .training_config import AugmentationParams, JitterParams


def rgb_to_grey(clip: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma, (T, 1, H, W)."""
    red, green, blue = clip.unbind(1)
    return (0.299 * red + 0.587 * green + 0.114 * blue).unsqueeze(1)


def adjust_hue(clip: torch.Tensor, shift: float) -> torch.Tensor:
    """Rotates hues by ``shift`` turns (in [-0.5, 0.5]) through an RGB -> HSV -> RGB round trip."""
    maximum, _ = clip.max(dim=1)
    minimum, _ = clip.min(dim=1)
    chroma = maximum - minimum
    red, green, blue = clip.unbind(1)
    safe = torch.where(chroma > 0, chroma, torch.ones_like(chroma))
    hue = torch.where(
        maximum == red,
        ((green - blue) / safe) % 6,
        torch.where(maximum == green, (blue - red) / safe + 2, (red - green) / safe + 4),
    )
    hue = torch.where(chroma > 0, hue / 6, torch.zeros_like(hue))
    hue = (hue + shift) % 1.0
    # HSV -> RGB with value = maximum and chroma unchanged.
    offsets = torch.stack([torch.full_like(hue, 5.0), torch.full_like(hue, 3.0), torch.ones_like(hue)], 1)
    k = (offsets + 6 * hue.unsqueeze(1)) % 6  # (T, 3, H, W)
    weights = torch.clamp(torch.minimum(k, 4 - k), 0, 1)
    return maximum.unsqueeze(1) - chroma.unsqueeze(1) * weights


class ColorJitter:
    """Brightness, contrast and saturation factors from [1 - x, 1 + x], hue shift from [-x, x], applied in
    random order (the original's torchvision-based jitter, on tensors)."""

    def __init__(self, params: JitterParams):
        self.params = params

    def __call__(self, clip: torch.Tensor) -> torch.Tensor:
        brightness, contrast, saturation, hue = (self.params.brightness, self.params.contrast,
                                                 self.params.saturation, self.params.hue)
        operations = []
        if brightness > 0:
            factor_b = random.uniform(max(0, 1 - brightness), 1 + brightness)
            operations.append(lambda c: c * factor_b)
        if contrast > 0:
            factor_c = random.uniform(max(0, 1 - contrast), 1 + contrast)
            operations.append(lambda c: (c - rgb_to_grey(c).mean(dim=(1, 2, 3), keepdim=True)) * factor_c
                              + rgb_to_grey(c).mean(dim=(1, 2, 3), keepdim=True))
        if saturation > 0:
            factor_s = random.uniform(max(0, 1 - saturation), 1 + saturation)
            operations.append(lambda c: (c - rgb_to_grey(c)) * factor_s + rgb_to_grey(c))
        if hue > 0:
            shift = random.uniform(-hue, hue)
            operations.append(lambda c: adjust_hue(c, shift))
        random.shuffle(operations)
        for operation in operations:
            clip = operation(clip).clamp(0, 1)
        return clip


def random_resize(clip: torch.Tensor, ratio) -> torch.Tensor:
    """Scales the clip by a factor drawn from ``ratio`` = (low, high) (nearest neighbour, as the original)."""
    factor = random.uniform(*ratio)
    height, width = clip.shape[2:]
    return F.interpolate(clip, size=(round(height * factor), round(width * factor)), mode="nearest")


def random_crop(clip: torch.Tensor, size) -> torch.Tensor:
    """A random (height, width) = ``size`` window, zero-padding clips that are smaller."""
    height, width = size
    pad_y, pad_x = max(0, height - clip.shape[2]), max(0, width - clip.shape[3])
    if pad_y or pad_x:
        clip = F.pad(clip, (pad_x // 2, pad_x - pad_x // 2, pad_y // 2, pad_y - pad_y // 2))
    top = random.randint(0, clip.shape[2] - height)
    left = random.randint(0, clip.shape[3] - width)
    return clip[:, :, top : top + height, left : left + width]


class ClipAugmentation:
    """The original ``AllAugmentationTransform`` for the parameters its configs use: flip, resize, crop,
    jitter (in that order)."""

    def __init__(self, params: AugmentationParams):
        self.params = params
        self.jitter = ColorJitter(params.jitter_param)

    def __call__(self, clip: torch.Tensor) -> torch.Tensor:
        """(T, 3, H, W) in [0, 1] -> the augmented clip, (T, 3, h, w) with (h, w) the crop size if cropped."""
        params = self.params
        # As the original: a time flip (probability 1/2) excludes the horizontal flip.
        if params.flip_param.time_flip and random.random() < 0.5:
            clip = clip.flip(0)
        elif params.flip_param.horizontal_flip and random.random() < 0.5:
            clip = clip.flip(3)
        crop_size = clip.shape[2:]
        if params.resize_param is not None:
            clip = random_resize(clip, params.resize_param.ratio)
        if params.crop_param is not None:
            clip = random_crop(clip, params.crop_param.size or crop_size)
        return self.jitter(clip)
