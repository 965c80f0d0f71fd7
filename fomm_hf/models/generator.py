"""Occlusion-aware generator: warps the source's features by the dense motion and inpaints (Sec. 3.2)."""

from typing import Optional

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from ..motion import KeypointOutput
from .blocks import DownBlock2d, ResBlock2d, SameBlock2d, UpBlock2d
from .dense_motion import DenseMotionNetwork
from .outputs import GeneratorOutput


class OcclusionAwareGenerator(ModelMixin, ConfigMixin):
    r"""
    Encoder / residual bottleneck / decoder with feature warping in between (paper, Sec. 3.2): the source's
    features are warped by the dense motion, masked by the occlusion map, and decoded into the frame.

    Parameters:
        num_kp (`int`, defaults to 10): number of keypoints K of the keypoint detector it works with.
        num_channels (`int`, defaults to 3): channels of the images.
        block_expansion (`int`, defaults to 64): channels after the input block; each down block doubles them,
            up to `max_features`.
        max_features (`int`, defaults to 512): most channels of any block.
        num_down_blocks (`int`, defaults to 2): down (and up) blocks; features are warped at 1 / 2^n of the
            image's resolution (0: at full resolution).
        num_bottleneck_blocks (`int`, defaults to 6): residual blocks between warping and decoding.
        estimate_occlusion_map (`bool`, defaults to `True`): mask the warped features by the dense motion
            network's occlusion map.
        dense_motion_params (`dict`, *optional*): arguments of the :class:`DenseMotionNetwork`
            (`block_expansion`, `max_features`, `num_blocks`, `scale_factor`, `kp_variance`); without them
            there is no motion and the generator is an autoencoder of the source.
        align_corners (`bool`, defaults to `True`): the `grid_sample` convention of every warp. The original
            checkpoints were trained with torch 1.0, whose `grid_sample` behaved as `align_corners=True`;
            torch >= 1.3 defaults to `False`, so running the original code today gives slightly different
            pixels. `True` is faithful to training.
    """

    @register_to_config
    def __init__(
        self,
        num_kp: int = 10,
        num_channels: int = 3,
        block_expansion: int = 64,
        max_features: int = 512,
        num_down_blocks: int = 2,
        num_bottleneck_blocks: int = 6,
        estimate_occlusion_map: bool = True,
        dense_motion_params: Optional[dict] = None,
        align_corners: bool = True,
    ):
        super().__init__()
        if dense_motion_params is not None:
            self.dense_motion = DenseMotionNetwork(
                num_kp=num_kp,
                num_channels=num_channels,
                estimate_occlusion_map=estimate_occlusion_map,
                align_corners=align_corners,
                **dense_motion_params,
            )
        else:
            self.dense_motion = None

        def width(level):
            return min(max_features, block_expansion * 2**level)

        self.input_block = SameBlock2d(num_channels, block_expansion, kernel_size=7, padding=3)
        self.down_blocks = nn.ModuleList(DownBlock2d(width(i), width(i + 1)) for i in range(num_down_blocks))
        self.bottleneck = nn.Sequential(*(ResBlock2d(width(num_down_blocks)) for _ in range(num_bottleneck_blocks)))
        self.up_blocks = nn.ModuleList(
            UpBlock2d(width(num_down_blocks - i), width(num_down_blocks - i - 1)) for i in range(num_down_blocks)
        )
        self.output_conv = nn.Conv2d(block_expansion, num_channels, kernel_size=7, padding=3)

    def encode(self, source_image: torch.Tensor) -> torch.Tensor:
        """Source features before warping, (B, C', H / 2^d, W / 2^d). They depend on the source only."""
        features = self.input_block(source_image.to(self.dtype))
        for down_block in self.down_blocks:
            features = down_block(features)
        return features

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """Warped (and occlusion-masked) features -> image in [0, 1]."""
        features = self.bottleneck(features.to(self.dtype))
        for up_block in self.up_blocks:
            features = up_block(features)
        return torch.sigmoid(self.output_conv(features).float())

    def warp(self, inputs: torch.Tensor, deformation: torch.Tensor) -> torch.Tensor:
        """Samples ``inputs`` (B, C, H, W) at ``deformation`` (B, h, w, 2), resized bilinearly to (H, W).

        Always in float32: sampling coordinates must not be rounded to reduced precision.
        """
        inputs, deformation = inputs.float(), deformation.float()
        height, width = inputs.shape[2:]
        if deformation.shape[1:3] != (height, width):
            deformation = F.interpolate(
                deformation.permute(0, 3, 1, 2), size=(height, width), mode="bilinear", align_corners=False
            ).permute(0, 2, 3, 1)
        return F.grid_sample(inputs, deformation, align_corners=self.config.align_corners)

    def forward(
        self,
        source_image: torch.Tensor,
        kp_driving: KeypointOutput,
        kp_source: KeypointOutput,
        source_features: Optional[torch.Tensor] = None,
        return_deformed_source: bool = True,
    ) -> GeneratorOutput:
        """Animates ``source_image`` (B, C, H, W) from ``kp_source`` to ``kp_driving``.

        ``source_features`` may hold ``encode(source_image)`` computed once for many driving frames;
        ``return_deformed_source=False`` skips warping the full-resolution source, which only explains
        the prediction and is not needed to make it.
        """
        features = self.encode(source_image) if source_features is None else source_features
        if self.dense_motion is None:
            return GeneratorOutput(prediction=self.decode(features))

        motion = self.dense_motion(source_image, kp_driving=kp_driving, kp_source=kp_source)
        features = self.warp(features, motion.deformation)
        occlusion_map = motion.occlusion_map
        if occlusion_map is not None:
            if occlusion_map.shape[2:] != features.shape[2:]:
                occlusion_map = F.interpolate(occlusion_map, size=features.shape[2:], mode="bilinear",
                                              align_corners=False)
            features = features * occlusion_map

        return GeneratorOutput(
            prediction=self.decode(features),
            deformed_source=self.warp(source_image, motion.deformation) if return_deformed_source else None,
            deformation=motion.deformation,
            mask=motion.mask,
            sparse_deformed=motion.sparse_deformed,
            occlusion_map=motion.occlusion_map,
        )
