"""What one training step computes: the generator's losses and the discriminator's (original model.py)."""

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import torch
from torch import nn

from ..models import GeneratorOutput
from ..motion import KeypointOutput
from .losses import (
    ImagePyramid,
    RandomTransform,
    discriminator_gan_loss,
    equivariance_losses,
    feature_matching_loss,
    generator_gan_loss,
    perceptual_loss,
    pixel_loss,
)
from .training_config import TrainParams


@dataclass
class Generated:
    """A generator step's outputs, kept for the discriminator step and for pictures."""

    kp_source: KeypointOutput
    kp_driving: KeypointOutput
    output: GeneratorOutput


Losses = Dict[str, torch.Tensor]  # name -> weighted scalar loss


class FOMMObjective:
    """Losses of the keypoint detector + generator, and of the discriminator, for a batch of
    {"source", "driving"} frames (B, 3, H, W); weights, pyramid scales and transform parameters from
    ``train_params``. The models may be wrapped for distributed training."""

    def __init__(
        self,
        kp_detector: nn.Module,
        generator: nn.Module,
        discriminator: nn.Module,
        perceptual_backbone: Optional[nn.Module],
        train_params: TrainParams,
        device: Optional[torch.device] = None,
    ):
        self.kp_detector, self.generator, self.discriminator = kp_detector, generator, discriminator
        self.vgg = None if perceptual_backbone is None else perceptual_backbone.to(device).eval()
        self.weights = train_params.loss_weights
        self.pyramid = ImagePyramid(train_params.scales).to(device)
        self.transform_params = train_params.transform_params
        if sum(self.weights.perceptual) and self.vgg is None:
            raise ValueError("The perceptual loss is weighted but no perceptual backbone (VGG19) was given.")

    @property
    def adversarial(self) -> bool:
        return self.weights.generator_gan != 0

    def generator_losses(self, batch: Dict[str, torch.Tensor]) -> Tuple[Losses, Generated]:
        source, driving = batch["source"], batch["driving"]
        kp_source = self.kp_detector(source)
        kp_driving = self.kp_detector(driving)
        output = self.generator(source, kp_driving=kp_driving, kp_source=kp_source)
        losses = {}

        pyramid_prediction = self.pyramid(output.prediction)
        pyramid_driving = self.pyramid(driving)
        if sum(self.weights.perceptual):
            losses["perceptual"] = perceptual_loss(self.vgg, pyramid_prediction, pyramid_driving,
                                                   self.weights.perceptual)
        if self.weights.pixel:
            losses["pixel"] = self.weights.pixel * pixel_loss(pyramid_prediction, pyramid_driving)

        if self.adversarial:
            # The discriminator only judges here: its parameters get no gradient from the generator's loss
            # (the original computed and then discarded them), and the unwrapped module keeps this judging
            # out of distributed gradient synchronisation.
            judge = unwrap(self.discriminator)
            judge.requires_grad_(False)
            kp = kp_driving.detach()
            fake = judge(output.prediction, kp=kp)
            losses["generator_gan"] = self.weights.generator_gan * generator_gan_loss(fake)
            if sum(self.weights.feature_matching):
                with torch.no_grad():
                    real = judge(driving, kp=kp)
                losses["feature_matching"] = feature_matching_loss(real, fake, self.weights.feature_matching)
            judge.requires_grad_(True)

        if self.weights.equivariance_value or self.weights.equivariance_jacobian:
            transform = RandomTransform(driving.shape[0], self.transform_params.sigma_affine,
                                        self.transform_params.sigma_tps, self.transform_params.points_tps,
                                        device=driving.device)
            transformed_frame = transform.warp_frame(driving, align_corners=self.generator_align_corners)
            kp_transformed = self.kp_detector(transformed_frame)
            value_loss, jacobian_loss = equivariance_losses(kp_driving, kp_transformed, transform)
            if self.weights.equivariance_value:
                losses["equivariance_value"] = self.weights.equivariance_value * value_loss
            if self.weights.equivariance_jacobian and jacobian_loss is not None:
                losses["equivariance_jacobian"] = self.weights.equivariance_jacobian * jacobian_loss

        return losses, Generated(kp_source=kp_source, kp_driving=kp_driving, output=output)

    def discriminator_losses(self, batch: Dict[str, torch.Tensor], generated: Generated) -> Losses:
        kp = generated.kp_driving.detach()
        real = self.discriminator(batch["driving"], kp=kp)
        fake = self.discriminator(generated.output.prediction.detach(), kp=kp)
        return {"discriminator_gan": self.weights.discriminator_gan * discriminator_gan_loss(real, fake)}

    @property
    def generator_align_corners(self) -> bool:
        return unwrap(self.generator).config.align_corners


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return getattr(model, "module", model)
