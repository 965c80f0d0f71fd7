"""The parts a training run is assembled from: the accelerator, the models, their optimizers and learning-rate
schedules, the perceptual loss's backbone and the data. :class:`~fomm_hf.training.Trainer` and
``benchmarks/train_speed.py`` build them alike."""

import os
from typing import List, NamedTuple, Optional, Sequence

import torch
from accelerate import Accelerator
from torch.optim.lr_scheduler import MultiStepLR
from torch.utils.data import DataLoader

from ..errors import CheckpointError, InvalidInputError
from ..model_store import resolve_model
from ..model_store.folders import DISCRIMINATOR_SUBFOLDER
from ..models import KeypointDetector, ModelConfig, MultiScaleDiscriminator, OcclusionAwareGenerator
from ..pipelines import FOMMPipeline
from .arguments import TrainingArguments
from .frames_dataset import FramesDataset
from .training_config import TrainingConfig, TrainParams
from .vgg import Vgg19Features, load_vgg19

ADAM_BETAS = (0.5, 0.999)  # as the original
LEARNING_RATE_DECAY = 0.1  # at each of train_params.epoch_milestones


class Models(NamedTuple):
    """The three networks of a training, in the order of their optimizers."""

    kp_detector: KeypointDetector
    generator: OcclusionAwareGenerator
    discriminator: MultiScaleDiscriminator


def build_accelerator(args: TrainingArguments) -> Accelerator:
    """The accelerator of a run: starts the process group of a distributed launch."""
    try:
        from torch.utils import tensorboard  # noqa: F401

        log_with = "tensorboard"
    except ImportError:
        log_with = None
    # accelerate only starts a multi-process CPU run (gloo) when told it runs on CPUs.
    multi_process_without_gpu = not torch.cuda.is_available() and int(os.environ.get("WORLD_SIZE", 1)) > 1
    return Accelerator(
        cpu=args.cpu or multi_process_without_gpu,
        mixed_precision=args.mixed_precision,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        log_with=log_with,
        project_dir=args.output_dir,
        step_scheduler_with_optimizer=False,  # the original steps its schedules once per epoch
    )


def build_models(
    model_config: ModelConfig,
    train_params: TrainParams,
    init_from: Optional[str] = None,
    sync_batchnorm: bool = False,
    memory_format: torch.memory_format = torch.contiguous_format,
) -> Models:
    """Freshly initialised models (with the current torch seed), or ``init_from``'s weights (a pipeline folder or
    Hub id). ``sync_batchnorm``: SyncBatchNorm layers, as the original's synchronized BatchNorm (GPUs only).
    ``train_params`` may freeze BatchNorm statistics (freeze_batchnorm) and the keypoint detector
    (lr_kp_detector 0)."""
    models = Models(model_config.build_kp_detector(), model_config.build_generator(),
                    model_config.build_discriminator())
    if init_from:
        load_initial_weights(init_from, models)
    if sync_batchnorm:
        models = Models(*(torch.nn.SyncBatchNorm.convert_sync_batchnorm(model) for model in models))
    if train_params.freeze_batchnorm:
        freeze_batchnorm_statistics(models.kp_detector, models.generator)
    # A keypoint detector with learning rate 0 (as the original taichi-adv config keeps its detector) is frozen:
    # no backward pass through it, and no module without gradients for distributed wrapping, which rejects one.
    models.kp_detector.requires_grad_(train_params.kp_detector_trains)
    return Models(*(model.to(memory_format=memory_format) for model in models))


def load_initial_weights(model: str, models: Models) -> None:
    """Copies the weights of the pipeline ``model`` into models built from the training config; the
    discriminator only where the pipeline has one. The architectures must match."""
    resolved = resolve_model(model)
    pipe = FOMMPipeline.from_pretrained(resolved)
    pairs = [(models.kp_detector, pipe.kp_detector, "kp_detector"), (models.generator, pipe.generator, "generator")]
    try:
        trained_discriminator = MultiScaleDiscriminator.from_pretrained(resolved.folder,
                                                                        subfolder=DISCRIMINATOR_SUBFOLDER)
        pairs.append((models.discriminator, trained_discriminator, "discriminator"))
    except OSError:
        pass  # pipelines of non-adversarial trainings have none: the discriminator starts from scratch
    for target, trained, name in pairs:
        if differences := state_differences(target.state_dict(), trained.state_dict()):
            raise CheckpointError(f"--init_from {model}: its {name} does not match the config's architecture "
                                  f"({differences}): give the config it was trained with.")
        target.load_state_dict(trained.state_dict())


def state_differences(expected: dict, given: dict, shown: int = 3) -> str:
    """What keeps ``given`` from loading where ``expected`` is (missing and unexpected keys, other shapes), the
    first few of each; "" if nothing."""
    kinds = {
        "missing": [key for key in expected if key not in given],
        "unexpected": [key for key in given if key not in expected],
        "other shapes": [f"{key} {tuple(given[key].shape)} instead of {tuple(value.shape)}"
                         for key, value in expected.items() if key in given and given[key].shape != value.shape],
    }
    return "; ".join(f"{len(items)} {kind}: {', '.join(items[:shown])}{', ...' if len(items) > shown else ''}"
                     for kind, items in kinds.items() if items)


def freeze_batchnorm_statistics(*models: torch.nn.Module) -> None:
    """Makes every BatchNorm layer of ``models`` normalise with its running statistics and keep them, in
    training as in inference; their scales and shifts still train. For fine-tuning with small batches,
    whose per-batch statistics shift the colours of every frame with the batch's other images."""
    for model in models:
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.eval()


def build_optimizers(models: Models, train_params: TrainParams) -> List[torch.optim.Adam]:
    """Adam for the keypoint detector, the generator and the discriminator, in this order."""
    learning_rates = (train_params.lr_kp_detector, train_params.lr_generator, train_params.lr_discriminator)
    return [torch.optim.Adam(model.parameters(), lr=lr, betas=ADAM_BETAS) for model, lr in zip(models, learning_rates)]


def build_schedulers(optimizers: Sequence[torch.optim.Optimizer], train_params: TrainParams) -> List[MultiStepLR]:
    """Learning rates divided by 10 at each epoch milestone (stepped once per epoch)."""
    milestones = train_params.epoch_milestones
    return [MultiStepLR(optimizer, milestones, gamma=LEARNING_RATE_DECAY) for optimizer in optimizers]


def build_perceptual_backbone(args: TrainingArguments, layer_weights: Sequence[float]) -> Optional[Vgg19Features]:
    """VGG19 for the perceptual loss (None where all its weights are 0): ImageNet weights, or random ones for
    offline tests (``--perceptual-backbone random``)."""
    if not sum(layer_weights):
        return None
    if args.perceptual_backbone == "random":
        return Vgg19Features()
    if args.perceptual_backbone != "vgg19":
        raise InvalidInputError(f"--perceptual-backbone must be vgg19 or random; got {args.perceptual_backbone!r}.")
    return load_vgg19(args.vgg_weights)


def dataset_root(config: TrainingConfig, data_dir: Optional[str] = None) -> str:
    """``data_dir`` (--data_dir), or else the config's dataset_params.root_dir."""
    root = data_dir or config.dataset_params.root_dir
    if root is None:
        raise InvalidInputError(f"No dataset: give --data_dir, or dataset_params.root_dir in {config.path}.")
    return root


def build_train_dataset(config: TrainingConfig, data_dir: Optional[str] = None) -> FramesDataset:
    """The training videos of ``data_dir`` (default: the config's root_dir), as the config's dataset_params say."""
    params = config.dataset_params
    return FramesDataset(
        dataset_root(config, data_dir),
        config.frame_shape,
        is_train=True,
        id_sampling=params.id_sampling,
        augmentation=params.augmentation_params,
        num_repeats=config.train_params.num_repeats,
        cache_frames=params.cache_frames,
    )


def build_dataloader(
    dataset: FramesDataset, batch_size: int, num_workers: int = 0, num_processes: int = 1
) -> DataLoader:
    """Shuffled batches of ``batch_size`` items per process, the last incomplete one dropped."""
    if len(dataset) < batch_size * num_processes:
        processes = f" in each of {num_processes} processes" if num_processes > 1 else ""
        raise InvalidInputError(
            f"The dataset has {len(dataset)} items per epoch, fewer than one batch of {batch_size}{processes}: give "
            f"--batch-size {max(1, len(dataset) // num_processes)} (or fewer), or add videos, or raise the config's "
            "train_params.num_repeats (items per video and epoch)."
        )
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=num_workers)
