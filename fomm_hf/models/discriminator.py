"""Multi-scale patch discriminator (Pix2Pix-like), used by adversarial training."""

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..motion import KeypointOutput
from ..motion.geometry import keypoint_heatmaps
from .blocks import AntiAliasDownsample
from .outputs import DiscriminatorOutput


def scale_name(scale: float) -> str:
    """Module-dict key of a scale, as in the original checkpoints: 1 -> "1", 0.5 -> "0-5"."""
    return str(scale).replace(".", "-")


class DiscriminatorBlock(nn.Module):
    """4x4 conv (valid padding) -> optional InstanceNorm -> LeakyReLU(0.2) -> optional 2x2 average pooling."""

    def __init__(self, in_features: int, out_features: int, norm: bool, pool: bool, use_spectral_norm: bool):
        super().__init__()
        conv = nn.Conv2d(in_features, out_features, kernel_size=4)
        self.conv = spectral_norm(conv) if use_spectral_norm else conv
        self.norm = nn.InstanceNorm2d(out_features, affine=True) if norm else None
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        if self.norm is not None:
            out = self.norm(out)
        out = F.leaky_relu(out, 0.2)
        return F.avg_pool2d(out, 2) if self.pool else out


class PatchDiscriminator(nn.Module):
    def __init__(self, in_features: int, block_expansion: int, num_blocks: int, max_features: int, sn: bool):
        super().__init__()
        widths = [in_features] + [min(max_features, block_expansion * 2 ** (i + 1)) for i in range(num_blocks)]
        self.down_blocks = nn.ModuleList(
            DiscriminatorBlock(widths[i], widths[i + 1], norm=i != 0, pool=i != num_blocks - 1, use_spectral_norm=sn)
            for i in range(num_blocks)
        )
        head = nn.Conv2d(widths[-1], 1, kernel_size=1)
        self.prediction_head = spectral_norm(head) if sn else head

    def forward(self, x: torch.Tensor) -> tuple:
        feature_maps = []
        for block in self.down_blocks:
            x = block(x)
            feature_maps.append(x)
        return feature_maps, self.prediction_head(x)


class MultiScaleDiscriminator(ModelMixin, ConfigMixin):
    r"""
    One Pix2Pix-style patch discriminator per image scale, for adversarial training (the `*-adv` configs);
    optionally conditioned on keypoint heatmaps.

    Parameters:
        scales (`Sequence[float]`, defaults to `(1,)`): image scales, each judged by its own discriminator on
            an anti-aliased downscaled copy.
        num_channels (`int`, defaults to 3): channels of the images.
        block_expansion (`int`, defaults to 32): channels of the first block; each block doubles them, up to
            `max_features`.
        num_blocks (`int`, defaults to 4): 4x4 convolution blocks per discriminator.
        max_features (`int`, defaults to 512): most channels of any block.
        sn (`bool`, defaults to `False`): spectral normalisation of every convolution's weight.
        use_kp (`bool`, defaults to `False`): also give each discriminator the driving keypoints' Gaussian
            heatmaps, as extra input channels.
        num_kp (`int`, defaults to 10): number of keypoints (with `use_kp`).
        kp_variance (`float`, defaults to 0.01): variance of the keypoint Gaussians (with `use_kp`).
    """

    @register_to_config
    def __init__(
        self,
        scales: Sequence[float] = (1,),
        num_channels: int = 3,
        block_expansion: int = 32,
        num_blocks: int = 4,
        max_features: int = 512,
        sn: bool = False,
        use_kp: bool = False,
        num_kp: int = 10,
        kp_variance: float = 0.01,
    ):
        super().__init__()
        in_features = num_channels + (num_kp if use_kp else 0)
        self.discs = nn.ModuleDict(
            {
                scale_name(s): PatchDiscriminator(in_features, block_expansion, num_blocks, max_features, sn)
                for s in scales
            }
        )
        self.downsamples = nn.ModuleDict(
            {scale_name(s): AntiAliasDownsample(num_channels, s) for s in scales if s != 1}
        )

    def forward(self, image: torch.Tensor, kp: Optional[KeypointOutput] = None) -> DiscriminatorOutput:
        """image: (B, C, H, W) at full resolution; each scale's discriminator sees its downscaled copy."""
        if self.config.use_kp and kp is None:
            raise ValueError("This discriminator is conditioned on keypoints (use_kp=True): pass `kp`.")
        feature_maps, prediction_maps = {}, {}
        for name, disc in self.discs.items():
            scaled = self.downsamples[name](image) if name in self.downsamples else image
            if self.config.use_kp:
                heatmaps = keypoint_heatmaps(kp.value, *scaled.shape[2:], self.config.kp_variance)
                scaled = torch.cat([scaled, heatmaps], dim=1)
            scale = name.replace("-", ".")
            feature_maps[scale], prediction_maps[scale] = disc(scaled)
        return DiscriminatorOutput(feature_maps=feature_maps, prediction_maps=prediction_maps)
