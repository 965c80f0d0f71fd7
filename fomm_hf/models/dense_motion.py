"""Dense motion network: from K local affine motions to one dense flow and an occlusion map (Sec. 3.2)."""

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from ..motion import KeypointOutput
from ..motion.geometry import full_precision, inverse_2x2, keypoint_heatmaps, make_coordinate_grid
from .blocks import AntiAliasDownsample, Hourglass
from .outputs import DenseMotionOutput


class DenseMotionNetwork(ModelMixin, ConfigMixin):
    r"""
    Combines the local motions T_{S<-D} around each keypoint (plus the identity for the background) into one
    dense motion and an occlusion map (paper, Sec. 3.2).

    The hourglass sees, at a reduced resolution, the difference of driving and source keypoint Gaussians
    (paper Eq. 6) and the source warped by each local motion (Eq. 7); it predicts softmax masks that blend
    the K+1 motions into one deformation (Eq. 8) and, optionally, an occlusion map (sigmoid). It is built by
    :class:`OcclusionAwareGenerator` from its `dense_motion_params`.

    Parameters:
        num_kp (`int`, defaults to 10): number of keypoints K.
        num_channels (`int`, defaults to 3): channels of the source image.
        block_expansion (`int`, defaults to 64): channels of the hourglass's first level.
        max_features (`int`, defaults to 1024): most channels of any hourglass level.
        num_blocks (`int`, defaults to 5): down (and up) blocks of the hourglass.
        estimate_occlusion_map (`bool`, defaults to `True`): also predict the occlusion map.
        scale_factor (`float`, defaults to 0.25): resolution of the dense motion relative to the image.
        kp_variance (`float`, defaults to 0.01): variance of the keypoint Gaussians, in the [-1, 1]
            coordinates (0.01 is a standard deviation of 5% of the image side).
        align_corners (`bool`, defaults to `True`): the `grid_sample` convention of the warps (see
            :class:`OcclusionAwareGenerator`).
    """

    @register_to_config
    def __init__(
        self,
        num_kp: int = 10,
        num_channels: int = 3,
        block_expansion: int = 64,
        max_features: int = 1024,
        num_blocks: int = 5,
        estimate_occlusion_map: bool = True,
        scale_factor: float = 0.25,
        kp_variance: float = 0.01,
        align_corners: bool = True,
    ):
        super().__init__()
        self.downsample = AntiAliasDownsample(num_channels, scale_factor) if scale_factor != 1 else None
        self.hourglass = Hourglass(block_expansion, (num_kp + 1) * (num_channels + 1), num_blocks, max_features)
        self.mask_head = nn.Conv2d(self.hourglass.out_features, num_kp + 1, kernel_size=7, padding=3)
        self.occlusion_head = (
            nn.Conv2d(self.hourglass.out_features, 1, kernel_size=7, padding=3) if estimate_occlusion_map else None
        )

    def heatmap_representation(self, height: int, width: int, kp_driving, kp_source) -> torch.Tensor:
        """Eq. 6: H_k = Gaussian(driving kp) - Gaussian(source kp), with a zero background channel.

        Returns (B, K+1, 1, h, w).
        """
        variance = self.config.kp_variance
        heatmap = keypoint_heatmaps(kp_driving.value, height, width, variance) - keypoint_heatmaps(
            kp_source.value, height, width, variance
        )
        background = heatmap.new_zeros(heatmap.shape[0], 1, height, width)
        return torch.cat([background, heatmap], dim=1).unsqueeze(2)

    def sparse_motions(self, height: int, width: int, kp_driving, kp_source) -> torch.Tensor:
        """Eq. 4: T_{S<-D}(z) = kp_S + J_S J_D^{-1} (z - kp_D) per keypoint, identity for the background.

        Returns (B, K+1, h, w, 2) sampling grids.
        """
        batch, num_kp, _ = kp_driving.value.shape
        identity = make_coordinate_grid(height, width, kp_source.value.dtype, kp_source.value.device)
        offsets = identity - kp_driving.value[:, :, None, None, :]  # (B, K, h, w, 2)
        if kp_driving.jacobian is not None:
            jacobian = kp_source.jacobian @ inverse_2x2(kp_driving.jacobian)  # (B, K, 2, 2)
            offsets = torch.einsum("bkij,bkhwj->bkhwi", jacobian, offsets)
        driving_to_source = offsets + kp_source.value[:, :, None, None, :]
        background = identity.expand(batch, 1, height, width, 2)
        return torch.cat([background, driving_to_source], dim=1)

    def warp_source(self, source_image: torch.Tensor, sparse_motions: torch.Tensor) -> torch.Tensor:
        """Eq. 7: the source warped by each of the K+1 motions, (B, K+1, C, h, w)."""
        batch, num_motions, height, width, _ = sparse_motions.shape
        channels = source_image.shape[1]
        repeated = source_image.unsqueeze(1).expand(batch, num_motions, channels, height, width)
        warped = F.grid_sample(
            repeated.reshape(batch * num_motions, channels, height, width),
            sparse_motions.reshape(batch * num_motions, height, width, 2),
            align_corners=self.config.align_corners,
        )
        return warped.reshape(batch, num_motions, channels, height, width)

    def forward(self, source_image: torch.Tensor, kp_driving: KeypointOutput, kp_source: KeypointOutput):
        """source_image: (B, C, H, W); keypoints (B, K, ...) -> DenseMotionOutput at the reduced resolution."""
        if self.downsample is not None:
            source_image = self.downsample(source_image)
        batch, _, height, width = source_image.shape

        with full_precision(source_image):
            source_image = source_image.float()
            heatmaps = self.heatmap_representation(height, width, kp_driving, kp_source)
            motions = self.sparse_motions(height, width, kp_driving, kp_source)
            sparse_deformed = self.warp_source(source_image, motions)

        hourglass_input = torch.cat([heatmaps, sparse_deformed], dim=2).reshape(batch, -1, height, width)
        features = self.hourglass(hourglass_input.to(self.dtype))
        mask = F.softmax(self.mask_head(features).float(), dim=1)  # (B, K+1, h, w)
        with full_precision(mask):
            deformation = torch.einsum("bkhw,bkhwc->bhwc", mask, motions)  # Eq. 8

        occlusion_map = None
        if self.occlusion_head is not None:
            occlusion_map = torch.sigmoid(self.occlusion_head(features).float())
        return DenseMotionOutput(
            deformation=deformation, mask=mask, sparse_deformed=sparse_deformed, occlusion_map=occlusion_map
        )
