"""Convolutional building blocks of the First Order Motion Model (same layers and order as the original code)."""

import torch
import torch.nn.functional as F
from torch import nn


class SameBlock2d(nn.Module):
    """Conv -> BatchNorm -> ReLU, keeping the resolution."""

    def __init__(self, in_features: int, out_features: int, kernel_size: int = 3, padding: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_features, out_features, kernel_size=kernel_size, padding=padding)
        self.norm = nn.BatchNorm2d(out_features, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.norm(self.conv(x)), inplace=True)


class DownBlock2d(SameBlock2d):
    """Conv -> BatchNorm -> ReLU -> 2x2 average pooling (halves the resolution)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(super().forward(x), kernel_size=2)


class UpBlock2d(SameBlock2d):
    """2x nearest upsampling -> Conv -> BatchNorm -> ReLU (doubles the resolution)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.interpolate(x, scale_factor=2.0))


class ResBlock2d(nn.Module):
    """Pre-activation residual block: x + conv(relu(bn(conv(relu(bn(x))))))."""

    def __init__(self, features: int, kernel_size: int = 3, padding: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(features, features, kernel_size=kernel_size, padding=padding)
        self.conv2 = nn.Conv2d(features, features, kernel_size=kernel_size, padding=padding)
        self.norm1 = nn.BatchNorm2d(features, affine=True)
        self.norm2 = nn.BatchNorm2d(features, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.relu(self.norm1(x)))
        out = self.conv2(F.relu(self.norm2(out), inplace=True))
        return out.add_(x)


def hourglass_width(block_expansion: int, max_features: int, level: int) -> int:
    """Channel count of the hourglass at a given depth level (level 0 is the input resolution)."""
    return min(max_features, block_expansion * 2**level)


class HourglassEncoder(nn.Module):
    def __init__(self, block_expansion: int, in_features: int, num_blocks: int, max_features: int):
        super().__init__()
        self.down_blocks = nn.ModuleList(
            DownBlock2d(
                in_features if i == 0 else hourglass_width(block_expansion, max_features, i),
                hourglass_width(block_expansion, max_features, i + 1),
            )
            for i in range(num_blocks)
        )

    def forward(self, x: torch.Tensor) -> list:
        skips = [x]
        for down_block in self.down_blocks:
            skips.append(down_block(skips[-1]))
        return skips


class HourglassDecoder(nn.Module):
    def __init__(self, block_expansion: int, in_features: int, num_blocks: int, max_features: int):
        super().__init__()
        self.up_blocks = nn.ModuleList()
        for i in reversed(range(num_blocks)):
            # The deepest block sees only the bottom of the encoder; the others also see a skip connection.
            in_width = (1 if i == num_blocks - 1 else 2) * hourglass_width(block_expansion, max_features, i + 1)
            self.up_blocks.append(UpBlock2d(in_width, hourglass_width(block_expansion, max_features, i)))
        self.out_features = block_expansion + in_features

    def forward(self, skips: list) -> torch.Tensor:
        out = skips[-1]
        for up_block, skip in zip(self.up_blocks, reversed(skips[:-1])):
            out = torch.cat([up_block(out), skip], dim=1)
        return out


class Hourglass(nn.Module):
    """U-Net style encoder-decoder; the output has ``block_expansion + in_features`` channels."""

    def __init__(self, block_expansion: int, in_features: int, num_blocks: int = 3, max_features: int = 256):
        super().__init__()
        self.encoder = HourglassEncoder(block_expansion, in_features, num_blocks, max_features)
        self.decoder = HourglassDecoder(block_expansion, in_features, num_blocks, max_features)
        self.out_features = self.decoder.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class AntiAliasDownsample(nn.Module):
    """Gaussian blur followed by strided subsampling, as the original ``AntiAliasInterpolation2d``.

    The Gaussian kernel is derived from ``scale`` alone, so it is a non-persistent buffer: converted
    checkpoints carry it, and the converter checks it against this computation instead of loading it.
    """

    def __init__(self, channels: int, scale: float):
        super().__init__()
        sigma = (1 / scale - 1) / 2
        kernel_size = 2 * round(sigma * 4) + 1
        self.pad_before = kernel_size // 2
        self.pad_after = self.pad_before - 1 if kernel_size % 2 == 0 else self.pad_before
        self.stride = int(1 / scale)
        self.channels = channels

        coords = torch.arange(kernel_size, dtype=torch.float32) - (kernel_size - 1) / 2
        gauss_1d = torch.exp(-(coords**2) / (2 * sigma**2))
        kernel = gauss_1d[:, None] * gauss_1d[None, :]
        kernel = kernel / kernel.sum()
        self.register_buffer("weight", kernel.expand(channels, 1, kernel_size, kernel_size).clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = (self.pad_before, self.pad_after, self.pad_before, self.pad_after)
        x = F.conv2d(F.pad(x, pad), self.weight.to(x.dtype), groups=self.channels)
        return x[:, :, :: self.stride, :: self.stride]
