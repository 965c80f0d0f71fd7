"""Unsupervised keypoint detector with local affine (first-order) motion estimates (paper, Sec. 3.1)."""

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from ..motion import KeypointOutput
from ..motion.geometry import full_precision, make_coordinate_grid
from .blocks import AntiAliasDownsample, Hourglass


class KeypointDetector(ModelMixin, ConfigMixin):
    r"""
    Predicts K keypoints and, optionally, the Jacobian of the motion around each of them (paper, Sec. 3.1).

    An hourglass over the (anti-aliased, downscaled) image gives K heatmaps, normalised by a softmax with
    temperature; keypoints are the heatmaps' expectations of the coordinate grid. Jacobians are the
    heatmap-weighted averages of a 4-channel map per keypoint (or one map shared by all keypoints).

    Parameters:
        num_kp (`int`, defaults to 10): number of keypoints K.
        num_channels (`int`, defaults to 3): channels of the input images.
        block_expansion (`int`, defaults to 32): channels of the hourglass's first level; each level below
            doubles them, up to `max_features`.
        max_features (`int`, defaults to 1024): most channels of any hourglass level.
        num_blocks (`int`, defaults to 5): down (and up) blocks of the hourglass.
        temperature (`float`, defaults to 0.1): softmax temperature of the heatmaps; lower is peakier.
        estimate_jacobian (`bool`, defaults to `True`): predict a 2x2 Jacobian per keypoint (the first-order
            model); `False` gives the zero-order model, keypoints only.
        scale_factor (`float`, defaults to 0.25): the image is downscaled by this factor (anti-aliased)
            before the hourglass; 1 keeps it.
        single_jacobian_map (`bool`, defaults to `False`): one Jacobian map shared by all keypoints instead
            of one per keypoint.
        pad (`int`, defaults to 0): padding of the 7x7 heatmap and Jacobian convolutions. The original's 0
            makes their output 6 pixels smaller than the hourglass's features; keypoints are still expressed
            in [-1, 1] of that smaller grid, as the original checkpoints were trained with.
    """

    @register_to_config
    def __init__(
        self,
        num_kp: int = 10,
        num_channels: int = 3,
        block_expansion: int = 32,
        max_features: int = 1024,
        num_blocks: int = 5,
        temperature: float = 0.1,
        estimate_jacobian: bool = True,
        scale_factor: float = 0.25,
        single_jacobian_map: bool = False,
        pad: int = 0,
    ):
        super().__init__()
        self.downsample = AntiAliasDownsample(num_channels, scale_factor) if scale_factor != 1 else None
        self.hourglass = Hourglass(block_expansion, num_channels, num_blocks, max_features)
        self.heatmap_head = nn.Conv2d(self.hourglass.out_features, num_kp, kernel_size=7, padding=pad)

        if estimate_jacobian:
            self.num_jacobian_maps = 1 if single_jacobian_map else num_kp
            self.jacobian_head = nn.Conv2d(
                self.hourglass.out_features, 4 * self.num_jacobian_maps, kernel_size=7, padding=pad
            )
            # Start from identity Jacobians: zero weights, bias (1, 0, 0, 1) per map.
            nn.init.zeros_(self.jacobian_head.weight)
            with torch.no_grad():
                self.jacobian_head.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 1.0]).repeat(self.num_jacobian_maps))
        else:
            self.jacobian_head = None

    def heatmaps(self, image: torch.Tensor) -> tuple:
        """Softmax heatmaps (B, K, h, w) and the hourglass features they come from."""
        image = image.to(self.dtype)
        if self.downsample is not None:
            image = self.downsample(image)
        features = self.hourglass(image)
        logits = self.heatmap_head(features).float()
        batch, num_kp, height, width = logits.shape
        heatmap = F.softmax(logits.reshape(batch, num_kp, -1) / self.config.temperature, dim=2)
        return heatmap.reshape(batch, num_kp, height, width), features

    def forward(self, image: torch.Tensor) -> KeypointOutput:
        """image: (B, C, H, W) in [0, 1] -> keypoints (B, K, 2) and Jacobians (B, K, 2, 2)."""
        heatmap, features = self.heatmaps(image)
        batch, num_kp, height, width = heatmap.shape
        jacobian_map = self.jacobian_head(features).float() if self.jacobian_head is not None else None
        with full_precision(heatmap):
            grid = make_coordinate_grid(height, width, heatmap.dtype, heatmap.device)
            value = torch.einsum("bkhw,hwc->bkc", heatmap, grid)
            jacobian = None
            if jacobian_map is not None:
                jacobian_map = jacobian_map.reshape(batch, self.num_jacobian_maps, 4, height, width)
                jacobian = (heatmap.unsqueeze(2) * jacobian_map).flatten(3).sum(-1)  # (B, K, 4)
                jacobian = jacobian.reshape(batch, num_kp, 2, 2)
        return KeypointOutput(value=value, jacobian=jacobian)
