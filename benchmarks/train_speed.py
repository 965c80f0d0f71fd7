"""Seconds per training step: a straightforward port of the original step against this package's step.

    python benchmarks/train_speed.py                                   # vox-256 architecture at 128x128, batch 2
    python benchmarks/train_speed.py --config configs/test-tiny.yaml --size 64 --batch-size 4

The original step (modules/model.py + train.py of the original code, written with this package's modules):
float32, contiguous tensors, the discriminator judging the generated frame with gradients flowing into its
own parameters (then discarded), its real-frame features computed with a graph. This package's step
(fomm_hf.training.trainer.training_step): the discriminator judges without parameter gradients and its
real-frame features without a graph, bfloat16 autocast where the CPU supports it (and, with
--channels-last, channels-last tensors, whose effect depends on the model and the CPU).
All variants run in one process, on the same random batch and initial weights, with random VGG weights
(speed only). The models and optimizers are built as the trainer builds them (fomm_hf.training.builders).
"""

import argparse
import time
from dataclasses import asdict, replace

import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState

from fomm_hf.training import load_training_config
from fomm_hf.training.builders import build_models, build_optimizers
from fomm_hf.training.losses import (
    RandomTransform,
    discriminator_gan_loss,
    equivariance_losses,
    feature_matching_loss,
    generator_gan_loss,
)
from fomm_hf.training.objective import FOMMObjective
from fomm_hf.training.trainer import training_step
from fomm_hf.training.vgg import Vgg19Features


def original_step(models, optimizers, objective, batch):
    """The original GeneratorFullModel / DiscriminatorFullModel step."""
    kp_detector, generator, discriminator = models
    weights = objective.weights
    source, driving = batch["source"], batch["driving"]
    kp_source, kp_driving = kp_detector(source), kp_detector(driving)
    output = generator(source, kp_driving=kp_driving, kp_source=kp_source)
    pyramid_prediction, pyramid_driving = objective.pyramid(output.prediction), objective.pyramid(driving)
    total = 0.0
    for scale, prediction in pyramid_prediction.items():  # the original computes the target features with a graph
        for weight, a, b in zip(weights.perceptual, objective.vgg(prediction), objective.vgg(pyramid_driving[scale])):
            total = total + weight * (a - b.detach()).abs().mean()
    kp = kp_driving.detach()
    if weights.generator_gan:
        fake, real = discriminator(output.prediction, kp=kp), discriminator(driving, kp=kp)
        total = total + weights.generator_gan * generator_gan_loss(fake)
        total = total + feature_matching_loss(real, fake, weights.feature_matching)
    transform = RandomTransform(driving.shape[0], **asdict(objective.transform_params))
    kp_transformed = kp_detector(transform.warp_frame(driving, align_corners=True))
    value_loss, jacobian_loss = equivariance_losses(kp_driving, kp_transformed, transform)
    total = total + weights.equivariance_value * value_loss + weights.equivariance_jacobian * jacobian_loss
    total.backward()
    for optimizer in optimizers[:2]:
        optimizer.step()
        optimizer.zero_grad()
    if weights.generator_gan:
        optimizers[2].zero_grad()
        real, fake = discriminator(driving, kp=kp), discriminator(output.prediction.detach(), kp=kp)
        discriminator_gan_loss(real, fake).backward()
        optimizers[2].step()
        optimizers[2].zero_grad()


def time_steps(step, steps: int) -> float:
    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/vox-256.yaml")
    parser.add_argument("--size", type=int, default=128, help="frame size (the models are fully convolutional)")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--channels-last", action="store_true", help="also time bf16 with channels-last tensors")
    args = parser.parse_args()

    config = load_training_config(args.config)
    train_params = config.train_params
    params = replace(train_params, loss_weights=replace(train_params.loss_weights, generator_gan=1))  # adversarial
    generator = torch.Generator().manual_seed(0)
    shape = (args.batch_size, 3, args.size, args.size)
    batch = {k: torch.rand(shape, generator=generator) for k in ("source", "driving")}
    vgg = Vgg19Features()
    bf16 = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    print(f"{args.config} at {args.size}x{args.size}, batch {args.batch_size}, adversarial, {args.steps} timed steps "
          f"after a warm-up; {torch.get_num_threads()} threads; bf16 on this CPU: {bf16}")

    variants = [("original step", None, torch.contiguous_format),
                ("this package, float32", "no", torch.contiguous_format)]
    if bf16:
        variants.append(("this package, bf16", "bf16", torch.contiguous_format))
    if bf16 and args.channels_last:
        variants.append(("this package, bf16 + channels-last", "bf16", torch.channels_last))
    baseline = None
    for name, precision, memory_format in variants:
        torch.manual_seed(0)  # the same initial weights for every variant
        models = build_models(config.model, params, memory_format=memory_format)
        optimizers = build_optimizers(models, params)
        if precision is None:
            objective = FOMMObjective(*models, vgg, params)
            seconds = time_steps(lambda: original_step(models, optimizers, objective, batch), args.steps)
        else:
            AcceleratorState._reset_state(reset_partial_state=True)  # one Accelerator configuration per variant
            accelerator = Accelerator(mixed_precision=precision, cpu=True)
            models = accelerator.prepare(*models)
            optimizers = accelerator.prepare(*optimizers)
            objective = FOMMObjective(*models, vgg, params)
            inputs = {k: v.contiguous(memory_format=memory_format) for k, v in batch.items()}
            seconds = time_steps(lambda: training_step(accelerator, objective, optimizers, models, inputs), args.steps)
        baseline = baseline or seconds
        print(f"{name:34s}: {seconds:6.2f} s/step  x{baseline / seconds:.2f}")


if __name__ == "__main__":
    main()
