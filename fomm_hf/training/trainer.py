"""The training loop, with accelerate: one CPU to many GPUs and nodes, mixed precision, resumable."""

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import PIL.Image
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from diffusers.training_utils import EMAModel
from torch.optim.lr_scheduler import MultiStepLR
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..animation.visualization import training_row
from ..errors import CheckpointError, InvalidInputError
from ..model_card import render_model_card
from ..models import KeypointDetector, MultiScaleDiscriminator, OcclusionAwareGenerator
from ..pipelines import load_pipeline
from ..pipelines.export import DISCRIMINATOR_SUBFOLDER, push_folder_to_hub, write_pipeline_folder
from .checkpointing import latest_checkpoint, save_checkpoint
from .config import TrainingConfig
from .dataset import FramesDataset
from .objective import FOMMObjective, unwrap
from .vgg import DEFAULT_VGG19_REPO, Vgg19Features, load_vgg19


@dataclass
class TrainingArguments:
    output_dir: str
    data_dir: Optional[str] = None  # overrides dataset_params.root_dir
    max_steps: Optional[int] = None  # default: num_epochs * steps per epoch
    batch_size: Optional[int] = None  # per process; default: train_params.batch_size
    gradient_accumulation_steps: int = 1
    checkpoint_every: int = 500
    checkpoints_to_keep: int = 3
    image_every: int = 250
    log_every: int = 10
    resume: bool = False
    init_from: Optional[str] = None  # a pipeline (folder or Hub id) whose weights start the training: fine-tuning
    mixed_precision: str = "no"
    perceptual_backbone: str = "vgg19"  # or "random" (tests only)
    vgg_weights: str = DEFAULT_VGG19_REPO
    num_workers: int = 0
    seed: int = 0
    cpu: bool = False  # train on the CPU even where a GPU is available
    channels_last: bool = False  # NHWC activations: faster for small models on CPU, far slower for vox-256 (measured)
    push_to_hub: Optional[str] = None
    command: str = ""  # the command line, recorded in the model card


@dataclass
class TrainingState:
    """Progress, saved with every checkpoint (accelerate's register_for_checkpointing)."""

    step: int = 0
    epoch: int = 0
    batches_in_epoch: int = 0
    history: list = field(default_factory=list)  # (step, losses) every log_every steps

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)


def build_perceptual_backbone(args: TrainingArguments, weights: list):
    if not sum(weights):
        return None
    if args.perceptual_backbone == "random":
        return Vgg19Features()
    if args.perceptual_backbone != "vgg19":
        raise InvalidInputError(f"--perceptual-backbone must be vgg19 or random; got {args.perceptual_backbone!r}.")
    return load_vgg19(args.vgg_weights)


def load_initial_weights(model: str, kp_detector, generator, discriminator) -> None:
    """Copies the weights of the pipeline ``model`` into models built from the training config; the
    discriminator only where the pipeline has one. The architectures must match."""
    pipe = load_pipeline(model)
    pairs = [(kp_detector, pipe.kp_detector, "kp_detector"), (generator, pipe.generator, "generator")]
    try:
        trained_discriminator = MultiScaleDiscriminator.from_pretrained(model, subfolder=DISCRIMINATOR_SUBFOLDER)
        pairs.append((discriminator, trained_discriminator, "discriminator"))
    except OSError:
        pass  # pipelines of non-adversarial trainings have none: the discriminator starts from scratch
    for target, trained, name in pairs:
        try:
            target.load_state_dict(trained.state_dict())
        except RuntimeError as error:
            raise CheckpointError(
                f"--init_from {model}: its {name} does not match the config's architecture: {error}"
            ) from None


def freeze_batchnorm_statistics(*models: torch.nn.Module) -> None:
    """Makes every BatchNorm layer of ``models`` normalise with its running statistics and keep them, in
    training as in inference; their scales and shifts still train. For fine-tuning with small batches,
    whose per-batch statistics shift the colours of every frame with the batch's other images."""
    for model in models:
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.eval()


def broadcast_from_main_process(model: torch.nn.Module) -> None:
    """Gives every process of a distributed run the main process's weights and buffers, as distributed
    wrapping does for the models it wraps (each process initialises its models with its own seed)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        for tensor in model.state_dict().values():
            torch.distributed.broadcast(tensor, src=0)


def weights_checksum(model: torch.nn.Module) -> float:
    """A number that changes with any parameter: to compare the replicas of a distributed run."""
    return float(sum((p.detach().double() * (i + 1)).sum() for i, p in enumerate(model.parameters())))


class Trainer:
    def __init__(self, config: TrainingConfig, args: TrainingArguments):
        self.config, self.args = config, args
        self.output_dir = Path(args.output_dir)
        params = config.train_params
        try:
            from torch.utils import tensorboard  # noqa: F401

            log_with = "tensorboard"
        except ImportError:
            log_with = None
        # accelerate only starts a multi-process CPU run (gloo) when told it runs on CPUs.
        multi_process_without_gpu = not torch.cuda.is_available() and int(os.environ.get("WORLD_SIZE", 1)) > 1
        self.accelerator = Accelerator(
            cpu=args.cpu or multi_process_without_gpu,
            mixed_precision=args.mixed_precision,
            gradient_accumulation_steps=args.gradient_accumulation_steps,
            log_with=log_with,
            project_dir=str(self.output_dir),
            step_scheduler_with_optimizer=False,  # the original steps its schedules once per epoch
        )
        set_seed(args.seed, device_specific=True)
        accelerator = self.accelerator

        models = config.models
        kp_detector = KeypointDetector(**models.kp_detector)
        generator = OcclusionAwareGenerator(**models.generator)
        discriminator = MultiScaleDiscriminator(**models.discriminator)
        if args.init_from:
            load_initial_weights(args.init_from, kp_detector, generator, discriminator)
        if accelerator.num_processes > 1 and accelerator.device.type == "cuda":
            # The original's synchronized BatchNorm; SyncBatchNorm only runs on GPUs.
            kp_detector, generator, discriminator = (
                torch.nn.SyncBatchNorm.convert_sync_batchnorm(m) for m in (kp_detector, generator, discriminator)
            )

        if params.get("freeze_batchnorm", False):
            freeze_batchnorm_statistics(kp_detector, generator)
        # A keypoint detector with learning rate 0 (as the original taichi-adv config keeps its detector) is
        # frozen: no backward pass through it (a fifth of a fine-tuning step at 64x64, measured), and no
        # module without gradients for distributed wrapping, which rejects one.
        self.kp_detector_trains = params.get("lr_kp_detector", 2e-4) > 0
        kp_detector.requires_grad_(self.kp_detector_trains)
        self.memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
        kp_detector, generator, discriminator = (
            m.to(memory_format=self.memory_format) for m in (kp_detector, generator, discriminator)
        )
        betas = (0.5, 0.999)
        optimizers = [
            torch.optim.Adam(kp_detector.parameters(), lr=params.get("lr_kp_detector", 2e-4), betas=betas),
            torch.optim.Adam(generator.parameters(), lr=params.get("lr_generator", 2e-4), betas=betas),
            torch.optim.Adam(discriminator.parameters(), lr=params.get("lr_discriminator", 2e-4), betas=betas),
        ]
        milestones = params.get("epoch_milestones", [])
        schedulers = [MultiStepLR(optimizer, milestones, gamma=0.1) for optimizer in optimizers]

        dataset = FramesDataset(
            args.data_dir or config.dataset_params.get("root_dir"),
            frame_shape=config.dataset_params.get("frame_shape", (models.image_size, models.image_size, 3)),
            id_sampling=config.dataset_params.get("id_sampling", False),
            is_train=True,
            augmentation_params=config.dataset_params.get("augmentation_params"),
            num_repeats=params.get("num_repeats", 1),
            cache_frames=config.dataset_params.get("cache_frames", False),
        )
        batch_size = args.batch_size or params.get("batch_size", 4)
        if len(dataset) < batch_size * accelerator.num_processes:
            raise InvalidInputError(
                f"The dataset has {len(dataset)} items per epoch, fewer than one batch of {batch_size} per process."
            )
        dataloader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                                num_workers=args.num_workers)

        if self.kp_detector_trains:
            self.kp_detector = accelerator.prepare(kp_detector)  # first, as the first model of the checkpoints
        else:
            self.kp_detector = kp_detector.to(accelerator.device)
            broadcast_from_main_process(self.kp_detector)
        (self.generator, self.discriminator, *self.optimizers, self.dataloader) = accelerator.prepare(
            generator, discriminator, *optimizers, dataloader
        )
        self.schedulers = [accelerator.prepare_scheduler(s) for s in schedulers]
        self.models = (self.kp_detector, self.generator, self.discriminator)
        self.state = TrainingState()
        accelerator.register_for_checkpointing(self.state)
        # An exponential moving average of the keypoint detector's and generator's weights, saved as the
        # pipeline in their place: it averages out the noise of small-batch steps.
        self.ema = EMAModel(self.averaged_parameters(), decay=params["ema_decay"]) if params.get("ema_decay") else None
        if self.ema is not None:
            accelerator.register_for_checkpointing(self.ema)
        if not self.kp_detector_trains:
            accelerator.register_for_checkpointing(self.kp_detector)

        perceptual = build_perceptual_backbone(args, params.get("loss_weights", {}).get("perceptual", [10] * 5))
        self.objective = FOMMObjective(self.kp_detector, self.generator, self.discriminator, perceptual, params,
                                       device=accelerator.device)
        self.num_epochs = params.get("num_epochs", 1)
        self.max_steps = args.max_steps or self.num_epochs * len(self.dataloader) // args.gradient_accumulation_steps

    def averaged_parameters(self) -> list:
        """The parameters the EMA follows: the generator's, and the keypoint detector's unless it is frozen."""
        models = (self.kp_detector, self.generator) if self.kp_detector_trains else (self.generator,)
        return [p for model in models for p in unwrap(model).parameters()]

    # Logging --------------------------------------------------------------------------------------------

    def log(self, message: str) -> None:
        if self.accelerator.is_main_process:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            with open(self.output_dir / "train_log.txt", "a") as log:
                log.write(message + "\n")

    def save_pictures(self, batch: dict, generated) -> None:
        if not self.accelerator.is_main_process:
            return
        output, count = generated.output, min(4, len(batch["source"]))
        rows = [
            training_row(
                batch["source"][i], batch["driving"][i], generated.kp_source.value[i].float().cpu(),
                generated.kp_driving.value[i].float().cpu(), output.deformed_source[i],
                output.occlusion_map[i] if output.occlusion_map is not None else torch.ones_like(output.prediction[i][:1]),
                output.prediction[i],
            )
            for i in range(count)
        ]
        folder = self.output_dir / "images"
        folder.mkdir(parents=True, exist_ok=True)
        PIL.Image.fromarray(np.concatenate(rows, axis=0)).save(folder / f"step-{self.state.step:07d}.png")

    # The loop --------------------------------------------------------------------------------------------

    def resume(self) -> None:
        checkpoint = latest_checkpoint(self.output_dir)
        if checkpoint is None:
            self.log("resume: no complete checkpoint, starting from scratch")
            return
        self.accelerator.load_state(str(checkpoint))
        self.log(f"resumed from {checkpoint.name} (step {self.state.step}, epoch {self.state.epoch})")

    def train_step(self, batch: dict):
        return training_step(self.accelerator, self.objective, self.optimizers, self.models, batch)

    def train(self) -> Path:
        accelerator, state, args = self.accelerator, self.state, self.args
        if args.resume:
            self.resume()
        accelerator.init_trackers("fomm", config={"config": str(self.config.path), **self.config.train_params})
        self.log(f"world size {accelerator.num_processes}, device {accelerator.device}, "
                 f"mixed precision {accelerator.mixed_precision}, max steps {self.max_steps}")

        progress = tqdm(total=self.max_steps, initial=state.step, desc="Training", unit="step",
                        disable=not accelerator.is_local_main_process)
        start, start_step = time.perf_counter(), state.step
        while state.step < self.max_steps and state.epoch < self.num_epochs:
            loader = self.dataloader
            if state.batches_in_epoch:
                loader = accelerator.skip_first_batches(self.dataloader, state.batches_in_epoch)
            for batch in loader:
                batch = {k: v.contiguous(memory_format=self.memory_format) for k, v in batch.items()}
                losses, generated = self.train_step(batch)
                state.batches_in_epoch += 1
                if not accelerator.sync_gradients:
                    continue
                state.step += 1
                if self.ema is not None:
                    self.ema.step(self.averaged_parameters())
                progress.update(1)
                if state.step % args.log_every == 0 or state.step == self.max_steps:
                    values = {k: accelerator.reduce(v.detach().float(), reduction="mean").item() for k, v in losses.items()}
                    seconds = (time.perf_counter() - start) / max(1, state.step - start_step)
                    state.history.append([state.step, values])
                    accelerator.log({**values, "seconds_per_step": seconds}, step=state.step)
                    self.log(f"step {state.step} epoch {state.epoch} " + " ".join(f"{k}={v:.4f}" for k, v in values.items())
                             + f" s/step={seconds:.2f}")
                    progress.set_postfix(loss=f"{sum(values.values()):.3f}")
                if args.image_every and state.step % args.image_every == 0:
                    self.save_pictures(batch, generated)
                if args.checkpoint_every and state.step % args.checkpoint_every == 0:
                    save_checkpoint(accelerator, self.output_dir, state.step, keep=args.checkpoints_to_keep)
                if state.step >= self.max_steps:
                    break
            else:
                state.epoch += 1
                state.batches_in_epoch = 0
                for scheduler in self.schedulers:
                    scheduler.step()
        progress.close()

        self.check_replicas_agree()
        if args.checkpoint_every and state.step % args.checkpoint_every != 0:
            save_checkpoint(accelerator, self.output_dir, state.step, keep=args.checkpoints_to_keep)
        folder = self.save_pipeline()
        accelerator.end_training()
        return folder

    def check_replicas_agree(self) -> None:
        """Distributed runs: every process must hold the same weights (logged, and an error otherwise)."""
        accelerator = self.accelerator
        checksums = torch.tensor(
            [weights_checksum(unwrap(m)) for m in (self.kp_detector, self.generator, self.discriminator)],
            dtype=torch.float64, device=accelerator.device,
        )
        gathered = accelerator.gather(checksums[None]).cpu()  # (processes, 3)
        identical = bool((gathered == gathered[0]).all())
        self.log(f"weights identical across {accelerator.num_processes} processes: {identical}")
        if not identical:
            raise RuntimeError(f"Distributed replicas diverged: weight checksums {gathered.tolist()}")

    def save_pipeline(self) -> Path:
        """The trained models as a FOMMPipeline folder (output_dir/pipeline), optionally pushed to the Hub."""
        accelerator, state = self.accelerator, self.state
        folder = self.output_dir / "pipeline"
        if self.ema is not None:
            self.ema.copy_to(self.averaged_parameters())  # after the last checkpoint, which keeps the raw weights
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            kp_detector, generator, discriminator = (
                accelerator.unwrap_model(m) for m in (self.kp_detector, self.generator, self.discriminator)
            )
            last = state.history[-1][1] if state.history else {}
            card = render_model_card(
                kp_detector, generator, self.config.models.image_size,
                repo_id=self.args.push_to_hub or str(folder),
                model_name=f"First Order Motion Model ({self.config.path.stem})",
                training_description=training_description(self.config, self.args, state, accelerator, last),
            )
            # The discriminator is kept for fine-tuning only where it was trained (adversarial configs).
            write_pipeline_folder(folder, kp_detector, generator, self.config.models.image_size,
                                  discriminator=discriminator if self.objective.adversarial else None, model_card=card)
            self.log(f"saved pipeline to {folder}")
            if self.args.push_to_hub:
                url = push_folder_to_hub(folder, self.args.push_to_hub)
                self.log(f"pushed to {self.args.push_to_hub}: {url}")
        accelerator.wait_for_everyone()
        return folder


def training_step(accelerator: Accelerator, objective: FOMMObjective, optimizers, models, batch: dict):
    """One optimisation step (or accumulation micro-step): keypoint detector and generator, then the
    discriminator when the objective is adversarial. Returns the losses and the generator's outputs."""
    optimizer_kp, optimizer_generator, optimizer_discriminator = optimizers
    with accelerator.accumulate(*models):
        with accelerator.autocast():
            losses, generated = objective.generator_losses(batch)
        accelerator.backward(sum(losses.values()))
        optimizer_kp.step()
        optimizer_generator.step()
        optimizer_kp.zero_grad()
        optimizer_generator.zero_grad()
        if objective.adversarial:
            with accelerator.autocast():
                discriminator_losses = objective.discriminator_losses(batch, generated)
            accelerator.backward(sum(discriminator_losses.values()))
            optimizer_discriminator.step()
            optimizer_discriminator.zero_grad()
            losses.update(discriminator_losses)
    return losses, generated


def training_description(config, args, state, accelerator, last_losses: dict) -> str:
    losses = ", ".join(f"{k} {v:.4f}" for k, v in last_losses.items()) or "not logged"
    return (
        f"Trained with `train_accelerate.py` from the config `{config.path.name}` "
        f"({config.models.image_size}x{config.models.image_size}, {config.models.kp_detector['num_kp']} keypoints) "
        f"on `{Path(args.data_dir or config.dataset_params.get('root_dir', '?')).name}`: {state.step} steps, "
        f"{accelerator.num_processes} process(es), batch {args.batch_size or config.train_params.get('batch_size')} "
        f"per process, mixed precision {accelerator.mixed_precision}.\n\n"
        f"Command: `{args.command}`\n\nLast logged losses: {losses}.\n\n"
        f"Training parameters:\n\n```json\n{json.dumps(config.train_params, indent=2)}\n```"
    )
