"""The training loop, with accelerate: one CPU to many GPUs and nodes, mixed precision, resumable."""

import json
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import PIL.Image
import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from diffusers.training_utils import EMAModel
from torch.optim.lr_scheduler import MultiStepLR
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..model_store.folders import push_folder_to_hub, write_pipeline_folder
from ..model_store.hub_access import check_hub_upload
from ..model_store.model_card import render_model_card
from .arguments import TrainingArguments
from .builders import (
    Models,
    build_accelerator,
    build_dataloader,
    build_models,
    build_optimizers,
    build_perceptual_backbone,
    build_schedulers,
    build_train_dataset,
    dataset_root,
)
from .checkpointing import check_output_dir, latest_checkpoint, save_checkpoint
from .frames_dataset import dataset_category, prepared_clip_size
from .objective import FOMMObjective, Generated, Losses, unwrap
from .snapshots import training_picture
from .training_config import TrainingConfig


@dataclass
class TrainingState:
    """Progress, saved with every checkpoint (accelerate's register_for_checkpointing)."""

    step: int = 0
    epoch: int = 0
    batches_in_epoch: int = 0
    history: list = field(default_factory=list)  # [step, {loss name: value}] every log_every steps

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)


def broadcast_from_main_process(model: torch.nn.Module) -> None:
    """Gives every process of a distributed run the main process's weights and buffers, as distributed
    wrapping does for the models it wraps (each process initialises its models with its own seed)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        for tensor in model.state_dict().values():
            torch.distributed.broadcast(tensor, src=0)


def parameter_sum(model: torch.nn.Module) -> float:
    """A weighted sum of the parameters, which changes with any of them: to compare the replicas of a distributed
    run."""
    return float(sum((p.detach().double() * (i + 1)).sum() for i, p in enumerate(model.parameters())))


class Trainer:
    """A training run: ``Trainer(load_training_config(path), TrainingArguments(...)).train()`` returns the
    folder of the trained pipeline."""

    def __init__(self, config: TrainingConfig, args: TrainingArguments):
        self.config, self.args = config, args
        self.output_dir = Path(args.output_dir)
        params = config.train_params
        # Mistakes are reported before any process group starts or any training: the output folder, the upload, a
        # missing or empty dataset.
        check_output_dir(self.output_dir, args.resume)
        if args.push_to_hub:
            check_hub_upload(args.push_to_hub)
        dataset = build_train_dataset(config, args.data_dir)
        root = dataset_root(config, args.data_dir)
        self.category = dataset_category(root)  # recorded in the trained pipeline
        clip_size = prepared_clip_size(root)
        if clip_size is not None and clip_size < min(config.frame_shape[:2]):
            height, width, _ = config.frame_shape
            warnings.warn(f"the clips of {root} are {clip_size} px and the config trains at {width}x{height}: every "
                          f"frame is upscaled (fomm prepare-data --size {height} makes clips of the config's size)")
        self.accelerator = build_accelerator(args)
        set_seed(args.seed, device_specific=True)

        self.memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
        models = build_models(config.model, params, args.init_from, self.sync_batchnorm, self.memory_format)
        optimizers = build_optimizers(models, params)
        schedulers = build_schedulers(optimizers, params)
        self.batch_size = args.batch_size or params.batch_size
        dataloader = build_dataloader(dataset, self.batch_size, args.num_workers, self.accelerator.num_processes)
        self.prepare(models, optimizers, schedulers, dataloader)

        self.state = TrainingState()
        # An exponential moving average of the keypoint detector's and generator's weights, saved as the
        # pipeline in their place: it averages out the noise of small-batch steps.
        self.ema = EMAModel(self.averaged_parameters(), decay=params.ema_decay) if params.ema_decay else None
        self.register_for_checkpointing()

        perceptual_backbone = build_perceptual_backbone(args, params.loss_weights.perceptual)
        self.objective = FOMMObjective(*self.models, perceptual_backbone, params, device=self.accelerator.device)
        self.num_epochs = params.num_epochs
        self.max_steps = args.max_steps or self.num_epochs * len(self.dataloader) // args.gradient_accumulation_steps

    @property
    def sync_batchnorm(self) -> bool:
        """Several GPUs: SyncBatchNorm, as the original's synchronized BatchNorm (PyTorch's refuses CPU tensors)."""
        return self.accelerator.num_processes > 1 and self.accelerator.device.type == "cuda"

    @property
    def kp_detector_trains(self) -> bool:
        return self.config.train_params.kp_detector_trains

    def prepare(self, models: Models, optimizers: List[torch.optim.Optimizer], schedulers: List[MultiStepLR],
                dataloader: DataLoader) -> None:
        """Wraps the models, optimizers, schedules and data for the accelerator's devices and processes. A frozen
        keypoint detector is only moved to the device (distributed wrapping rejects a module without gradients)
        and given the main process's weights."""
        accelerator = self.accelerator
        if self.kp_detector_trains:
            self.kp_detector = accelerator.prepare(models.kp_detector)  # first, as the first model of the checkpoints
        else:
            self.kp_detector = models.kp_detector.to(accelerator.device)
            broadcast_from_main_process(self.kp_detector)
        (self.generator, self.discriminator, *self.optimizers, self.dataloader) = accelerator.prepare(
            models.generator, models.discriminator, *optimizers, dataloader
        )
        self.schedulers = [accelerator.prepare_scheduler(scheduler) for scheduler in schedulers]
        self.models = (self.kp_detector, self.generator, self.discriminator)

    def register_for_checkpointing(self) -> None:
        """Checkpoints hold, besides the prepared models, optimizers and schedules: the progress, the weight
        average (if any) and a frozen keypoint detector."""
        self.accelerator.register_for_checkpointing(self.state)
        if self.ema is not None:
            self.accelerator.register_for_checkpointing(self.ema)
        if not self.kp_detector_trains:
            self.accelerator.register_for_checkpointing(self.kp_detector)

    def averaged_parameters(self) -> List[torch.nn.Parameter]:
        """The parameters the EMA follows: the generator's, and the keypoint detector's unless it is frozen."""
        models = (self.kp_detector, self.generator) if self.kp_detector_trains else (self.generator,)
        return [p for model in models for p in unwrap(model).parameters()]

    # Logging --------------------------------------------------------------------------------------------

    def log(self, message: str) -> None:
        """Appends a line to OUTPUT_DIR/train_log.txt (main process only)."""
        if self.accelerator.is_main_process:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            with open(self.output_dir / "train_log.txt", "a") as log:
                log.write(message + "\n")

    def notice(self, message: str) -> None:
        """Logs ``message`` and shows it on the terminal (main process only)."""
        self.log(message)
        if self.accelerator.is_main_process:
            tqdm.write(message, file=sys.stderr)

    def log_losses(self, losses: Losses, seconds_per_step: float) -> Dict[str, float]:
        """Averages the losses over the processes, records them in the history, the trackers and the log."""
        accelerator, step = self.accelerator, self.state.step
        values = {name: accelerator.reduce(loss.detach().float(), reduction="mean").item()
                  for name, loss in losses.items()}
        self.state.history.append([step, values])
        accelerator.log({**values, "seconds_per_step": seconds_per_step}, step=step)
        self.log(f"step {step} epoch {self.state.epoch} " + " ".join(f"{k}={v:.4f}" for k, v in values.items())
                 + f" s/step={seconds_per_step:.2f}")
        return values

    def save_pictures(self, batch: Dict[str, torch.Tensor], generated: Generated) -> None:
        """OUTPUT_DIR/images/step-N.png: the first items of the batch, their keypoints and reconstructions."""
        if not self.accelerator.is_main_process:
            return
        picture = training_picture(batch, generated, kp_size=self.config.visualizer_params.kp_size)
        folder = self.output_dir / "images"
        folder.mkdir(parents=True, exist_ok=True)
        PIL.Image.fromarray(picture).save(folder / f"step-{self.state.step:07d}.png")

    # The loop --------------------------------------------------------------------------------------------

    def resume(self) -> None:
        """Loads the latest complete checkpoint of OUTPUT_DIR, if there is one."""
        checkpoint = latest_checkpoint(self.output_dir)
        if checkpoint is None:
            self.notice(f"Resume: {self.output_dir} holds no complete checkpoint; starting from scratch.")
            return
        self.accelerator.load_state(str(checkpoint))
        self.notice(f"Resumed from {checkpoint.name} (step {self.state.step}, epoch {self.state.epoch}).")
        if self.state.step >= self.max_steps:
            self.notice(f"The run is at step {self.state.step} already, --max_steps {self.max_steps}: nothing to "
                        "train; the pipeline is saved from the checkpoint's weights.")

    def train_step(self, batch: Dict[str, torch.Tensor]) -> Tuple[Losses, Generated]:
        return training_step(self.accelerator, self.objective, self.optimizers, self.models, batch)

    def train(self) -> Path:
        """Trains for ``--max_steps`` optimizer steps, over as many epochs as that takes (the learning-rate schedule
        still follows epochs, as the config's milestones say), or else for the config's ``num_epochs``; then saves
        and returns OUTPUT_DIR/pipeline."""
        accelerator, state, args = self.accelerator, self.state, self.args
        if args.resume:
            self.resume()
        accelerator.init_trackers("fomm", config={"config": str(self.config.path),
                                                  **flat_hyperparameters(asdict(self.config.train_params))})
        self.log(f"world size {accelerator.num_processes}, device {accelerator.device}, "
                 f"mixed precision {accelerator.mixed_precision}, max steps {self.max_steps}")

        progress = tqdm(total=self.max_steps, initial=state.step, desc="Training", unit="step",
                        disable=not accelerator.is_local_main_process)
        start, start_step = time.perf_counter(), state.step
        while state.step < self.max_steps and (args.max_steps or state.epoch < self.num_epochs):
            loader = self.dataloader
            if state.batches_in_epoch:  # resumed in the middle of an epoch
                loader = accelerator.skip_first_batches(self.dataloader, state.batches_in_epoch)
            for batch in loader:
                batch = {k: v.contiguous(memory_format=self.memory_format) for k, v in batch.items()}
                losses, generated = self.train_step(batch)
                state.batches_in_epoch += 1
                if not accelerator.sync_gradients:
                    continue  # an accumulation micro-step
                state.step += 1
                if self.ema is not None:
                    self.ema.step(self.averaged_parameters())
                progress.update(1)
                if state.step % args.log_every == 0 or state.step == self.max_steps:
                    seconds_per_step = (time.perf_counter() - start) / max(1, state.step - start_step)
                    values = self.log_losses(losses, seconds_per_step)
                    progress.set_postfix(loss=f"{sum(values.values()):.3f}")
                if args.image_every and state.step % args.image_every == 0:
                    self.save_pictures(batch, generated)
                if args.checkpoint_every and state.step % args.checkpoint_every == 0:
                    save_checkpoint(accelerator, self.output_dir, state.step, keep=args.checkpoints_to_keep)
                if state.step >= self.max_steps:
                    break
            if state.batches_in_epoch >= len(self.dataloader):  # the epoch is complete (its last step included)
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
        checksums = torch.tensor([parameter_sum(unwrap(model)) for model in self.models],
                                 dtype=torch.float64, device=accelerator.device)
        gathered = accelerator.gather(checksums[None]).cpu()  # (processes, 3)
        identical = bool((gathered == gathered[0]).all())
        self.log(f"weights identical across {accelerator.num_processes} processes: {identical}")
        if not identical:
            raise RuntimeError(f"Distributed replicas diverged: weight checksums {gathered.tolist()}")

    def save_pipeline(self) -> Path:
        """The trained models as a FOMMPipeline folder (output_dir/pipeline), optionally pushed to the Hub."""
        accelerator = self.accelerator
        folder = self.output_dir / "pipeline"
        if self.ema is not None:
            self.ema.copy_to(self.averaged_parameters())  # after the last checkpoint, which keeps the raw weights
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            kp_detector, generator, discriminator = (accelerator.unwrap_model(model) for model in self.models)
            image_size = self.config.model.image_size
            card = render_model_card(
                kp_detector, generator, image_size,
                repo_id=self.args.push_to_hub or str(folder),
                model_name=f"First Order Motion Model ({self.config.path.stem})",
                training_description=self.training_description(),
            )
            # The discriminator is kept for fine-tuning only where it was trained (adversarial configs).
            write_pipeline_folder(folder, kp_detector, generator, image_size,
                                  discriminator=discriminator if self.objective.adversarial else None, model_card=card,
                                  category=self.category)
            self.log(f"saved pipeline to {folder}")
            if self.args.push_to_hub:
                url = push_folder_to_hub(folder, self.args.push_to_hub)
                self.log(f"pushed to {self.args.push_to_hub}: {url}")
        accelerator.wait_for_everyone()
        return folder

    def training_description(self) -> str:
        """The model card's account of this training (markdown)."""
        config, args, model = self.config, self.args, self.config.model
        last_losses = self.state.history[-1][1] if self.state.history else {}
        losses = ", ".join(f"{k} {v:.4f}" for k, v in last_losses.items()) or "not logged"
        dataset = Path(args.data_dir or config.dataset_params.root_dir or "?").name
        return (
            f"Trained with `train_accelerate.py` from the config `{config.path.name}` "
            f"({model.image_size}x{model.image_size}, {model.num_kp} keypoints) on `{dataset}`: "
            f"{self.state.step} steps, {self.accelerator.num_processes} process(es), batch {self.batch_size} "
            f"per process, mixed precision {self.accelerator.mixed_precision}.\n\n"
            f"Command: `{args.command}`\n\nLast logged losses: {losses}.\n\n"
            f"Training parameters:\n\n```json\n{json.dumps(asdict(config.train_params), indent=2)}\n```"
        )


def training_step(
    accelerator: Accelerator,
    objective: FOMMObjective,
    optimizers: Sequence[torch.optim.Optimizer],
    models: Sequence[torch.nn.Module],
    batch: Dict[str, torch.Tensor],
) -> Tuple[Losses, Generated]:
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


def flat_hyperparameters(values: dict, prefix: str = "") -> Dict[str, object]:
    """Nested parameters as the flat scalars trackers take: {"loss_weights.pixel": 0.0, "scales": "[1.0, 0.5]"}."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flat_hyperparameters(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(list(value)) if isinstance(value, (list, tuple)) else value
    return flat
