"""Training losses of the First Order Motion Model (paper Sec. 3.3 and the original implementation).

- multi-scale perceptual loss: L1 between VGG19 features of prediction and driving frame, on an
  antialiased image pyramid, one weight per VGG layer;
- equivariance: keypoints (and Jacobians) of a randomly warped frame, mapped back through the warp, must
  equal those of the frame; the warp is a random affine plus thin-plate-spline transform, and its Jacobian
  comes from autograd;
- least-squares GAN loss and discriminator feature matching;
- not in the original: a pixel L1 loss on the same pyramid (weight 0 in the original configs), for training
  where ImageNet VGG weights are unavailable and the perceptual loss alone gives blurred frames.
"""

from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import grad

from ..models import DiscriminatorOutput
from ..models.blocks import AntiAliasDownsample
from ..models.discriminator import scale_name
from ..motion import KeypointOutput, inverse_2x2, make_coordinate_grid


class ImagePyramid(nn.Module):
    """Antialiased downscaled copies of an image: {scale: (B, C, H * scale, W * scale)}."""

    def __init__(self, scales: Sequence[float], num_channels: int = 3):
        super().__init__()
        self.scales = list(scales)
        self.downsamples = nn.ModuleDict(
            {scale_name(s): AntiAliasDownsample(num_channels, s) for s in self.scales if s != 1}
        )

    def forward(self, image: torch.Tensor) -> Dict[float, torch.Tensor]:
        return {s: image if s == 1 else self.downsamples[scale_name(s)](image) for s in self.scales}


def perceptual_loss(vgg, pyramid_prediction: dict, pyramid_target: dict, layer_weights: Sequence[float]):
    """sum over scales and VGG layers of weight * mean |VGG(prediction) - VGG(target)|."""
    total = 0.0
    for scale, prediction in pyramid_prediction.items():
        features_prediction = vgg(prediction)
        with torch.no_grad():
            features_target = vgg(pyramid_target[scale])
        for weight, a, b in zip(layer_weights, features_prediction, features_target):
            total = total + weight * (a - b).abs().mean()
    return total


def pixel_loss(pyramid_prediction: dict, pyramid_target: dict) -> torch.Tensor:
    """sum over scales of mean |prediction - target|."""
    return sum((prediction - pyramid_target[scale]).abs().mean() for scale, prediction in pyramid_prediction.items())


class RandomTransform:
    """A random warp of the plane: affine (identity + N(0, sigma_affine) noise) then thin-plate spline
    (``points_tps`` x ``points_tps`` control points with N(0, sigma_tps) weights), one per batch item."""

    def __init__(self, batch_size: int, sigma_affine: float, sigma_tps: Optional[float] = None,
                 points_tps: Optional[int] = None, device: Optional[torch.device] = None,
                 generator: Optional[torch.Generator] = None):
        noise = torch.randn(batch_size, 2, 3, generator=generator) * sigma_affine
        self.theta = (noise + torch.eye(2, 3)).to(device)  # (B, 2, 3)
        self.tps = sigma_tps is not None and points_tps is not None
        if self.tps:
            self.control_points = make_coordinate_grid(points_tps, points_tps, device=device).reshape(1, -1, 2)
            weights = torch.randn(batch_size, 1, points_tps**2, generator=generator) * sigma_tps
            self.control_params = weights.to(device)  # (B, 1, P)

    def warp_coordinates(self, coordinates: torch.Tensor) -> torch.Tensor:
        """(B, N, 2) points -> their images under the transform, (B, N, 2)."""
        theta = self.theta.to(coordinates.dtype)
        warped = torch.einsum("bij,bnj->bni", theta[:, :, :2], coordinates) + theta[:, None, :, 2]
        if self.tps:
            # As the original: an L1 distance to the control points, in the radial basis r^2 log r.
            distances = (coordinates[:, :, None, :] - self.control_points[:, None].to(coordinates.dtype)).abs().sum(-1)
            basis = distances**2 * torch.log(distances + 1e-6)  # (B, N, P)
            warped = warped + (basis * self.control_params.to(coordinates.dtype)).sum(-1, keepdim=True)
        return warped

    def jacobian(self, coordinates: torch.Tensor) -> torch.Tensor:
        """(B, N, 2, 2) Jacobians of the transform at ``coordinates``, by autograd; differentiable in the
        coordinates where they require grad (a frozen keypoint detector's do not)."""
        if not coordinates.requires_grad:
            coordinates = coordinates.detach().requires_grad_()
        warped = self.warp_coordinates(coordinates)
        grad_x = grad(warped[..., 0].sum(), coordinates, create_graph=True)[0]
        grad_y = grad(warped[..., 1].sum(), coordinates, create_graph=True)[0]
        return torch.stack([grad_x, grad_y], dim=-2)

    def warp_frame(self, frame: torch.Tensor, align_corners: bool) -> torch.Tensor:
        """Samples ``frame`` (B, C, H, W) at the transformed grid (reflection padding, as the original)."""
        batch, _, height, width = frame.shape
        grid = make_coordinate_grid(height, width, frame.dtype, frame.device).reshape(1, -1, 2).expand(batch, -1, -1)
        grid = self.warp_coordinates(grid).reshape(batch, height, width, 2)
        return F.grid_sample(frame, grid, padding_mode="reflection", align_corners=align_corners)


def equivariance_losses(kp_driving: KeypointOutput, kp_transformed: KeypointOutput, transform: RandomTransform):
    """(value loss, jacobian loss), unweighted.

    value: mean |kp_D - T(kp_T(D))|; jacobian: mean |I - J_D^{-1} (dT(kp) J_T(D))|.
    """
    value_loss = (kp_driving.value - transform.warp_coordinates(kp_transformed.value)).abs().mean()
    jacobian_loss = None
    if kp_driving.jacobian is not None:
        transformed_jacobian = transform.jacobian(kp_transformed.value) @ kp_transformed.jacobian
        normalised = inverse_2x2(kp_driving.jacobian) @ transformed_jacobian
        jacobian_loss = (torch.eye(2, device=normalised.device) - normalised).abs().mean()
    return value_loss, jacobian_loss


def generator_gan_loss(generated: DiscriminatorOutput) -> torch.Tensor:
    """Least-squares GAN loss of the generator, summed over scales: mean (1 - D(G))^2."""
    return sum(((1 - prediction) ** 2).mean() for prediction in generated.prediction_maps.values())


def discriminator_gan_loss(real: DiscriminatorOutput, generated: DiscriminatorOutput) -> torch.Tensor:
    """Least-squares GAN loss of the discriminator: mean (1 - D(real))^2 + D(fake)^2, summed over scales."""
    return sum(
        ((1 - real.prediction_maps[s]) ** 2 + generated.prediction_maps[s] ** 2).mean() for s in real.prediction_maps
    )


def feature_matching_loss(real: DiscriminatorOutput, generated: DiscriminatorOutput, weights: Sequence[float]):
    """sum over scales and discriminator blocks of weight * mean |D_i(real) - D_i(fake)|."""
    total = 0.0
    for scale, real_maps in real.feature_maps.items():
        for weight, a, b in zip(weights, real_maps, generated.feature_maps[scale]):
            if weight:
                total = total + weight * (a - b).abs().mean()
    return total
