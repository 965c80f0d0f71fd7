"""The training configuration: a yaml file in the original format, read once into typed sections.

The sections are the original configs': ``dataset_params``, ``model_params`` (a
:class:`~fomm_hf.models.ModelConfig`), ``train_params``, ``reconstruction_params``, ``animate_params`` and
``visualizer_params``. The defaults are those of the dataclasses below, written once. Every key is checked:
an unknown one, in any section or at the top level, is an error that names it, the file and the closest
valid key, before any data is read or any process starts.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple, Union

from ..errors import InvalidInputError
from ..models import ModelConfig
from ..models.model_config import read_yaml
from ..motion import MotionOptions
from ..schema import check_keys, from_mapping

# Augmentation (dataset_params.augmentation_params) ------------------------------------------------------


@dataclass(frozen=True)
class FlipParams:
    """Random flips of a training clip, each with probability 1/2; a time flip excludes the horizontal one."""

    horizontal_flip: bool = False
    time_flip: bool = False


@dataclass(frozen=True)
class ResizeParams:
    """Random rescaling of a training clip by a factor drawn uniformly from ``ratio`` = (low, high)."""

    ratio: Tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class CropParams:
    """A random window of ``size`` = (height, width) pixels, zero-padding smaller clips; None: the clip's size
    before resizing (the frame shape)."""

    size: Optional[Tuple[int, int]] = None


@dataclass(frozen=True)
class JitterParams:
    """Colour jitter: brightness, contrast and saturation factors from [1 - x, 1 + x], a hue shift from [-x, x]
    (in turns); 0 leaves that property alone."""

    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0


@dataclass(frozen=True)
class AugmentationParams:
    """The original ``AllAugmentationTransform`` parameters, applied in this order: flip, resize, crop, jitter."""

    flip_param: FlipParams = field(default_factory=FlipParams)
    resize_param: Optional[ResizeParams] = None  # None: no resizing
    crop_param: Optional[CropParams] = None  # None: no cropping
    jitter_param: JitterParams = field(default_factory=JitterParams)


@dataclass(frozen=True)
class DatasetParams:
    """Where the videos are and how training items are drawn from them (:class:`~fomm_hf.training.FramesDataset`)."""

    root_dir: Optional[str] = None  # a folder with train/ and test/; --data_dir overrides it
    frame_shape: Optional[Tuple[int, int, int]] = None  # (height, width, 3); None: the models' image size
    id_sampling: bool = False  # entries named ID#chunk: an identity is drawn first, then one of its chunks
    cache_frames: bool = False  # keep every decoded training video in memory (small datasets only)
    pairs_list: Optional[str] = None  # the original's csv of (source, driving) pairs for animation; not read here
    augmentation_params: AugmentationParams = field(default_factory=AugmentationParams)


# Training (train_params) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransformParams:
    """The random warp of the equivariance losses: an affine map with N(0, sigma_affine) noise, then a
    thin-plate spline on ``points_tps`` x ``points_tps`` control points with N(0, sigma_tps) weights (no
    spline unless both are given)."""

    sigma_affine: float = 0.05
    sigma_tps: Optional[float] = None
    points_tps: Optional[int] = None


@dataclass(frozen=True)
class LossWeights:
    """``train_params.loss_weights``: 0 turns a loss off."""

    perceptual: Tuple[float, ...] = (10.0, 10.0, 10.0, 10.0, 10.0)  # one per VGG19 layer, relu1_1 .. relu5_1
    equivariance_value: float = 10.0
    equivariance_jacobian: float = 10.0
    generator_gan: float = 0.0  # not 0: an adversarial training, with a discriminator
    discriminator_gan: float = 1.0
    feature_matching: Tuple[float, ...] = (10.0, 10.0, 10.0, 10.0)  # one per discriminator block
    pixel: float = 0.0  # not in the original: L1 between prediction and driving frame at each pyramid scale


@dataclass(frozen=True)
class TrainParams:
    """``train_params``: the schedule, learning rates, losses and two additions for fine-tuning."""

    num_epochs: int = 1
    num_repeats: int = 1  # each training video is seen this many times per epoch
    epoch_milestones: Tuple[int, ...] = ()  # epochs after which every learning rate is divided by 10
    lr_generator: float = 2e-4
    lr_discriminator: float = 2e-4
    lr_kp_detector: float = 2e-4  # 0: the keypoint detector is frozen
    batch_size: int = 4  # per process; --batch_size overrides it
    scales: Tuple[float, ...] = (1.0,)  # image pyramid of the perceptual and pixel losses
    checkpoint_freq: Optional[int] = None  # the original's epochs between checkpoints; --checkpoint_every counts steps
    transform_params: TransformParams = field(default_factory=TransformParams)
    loss_weights: LossWeights = field(default_factory=LossWeights)
    # Not in the original: BatchNorm layers of the keypoint detector and generator normalise with their running
    # statistics, and keep them, in training too (small batches shift every frame with its batch's other images).
    freeze_batchnorm: bool = False
    ema_decay: Optional[float] = None  # not in the original: the pipeline gets a moving average of the weights

    @property
    def kp_detector_trains(self) -> bool:
        return self.lr_kp_detector > 0


# Evaluation and pictures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconstructionParams:
    """The original's reconstruction evaluation: each test video animated from its own first frame."""

    num_videos: Optional[int] = None  # reconstruct at most this many test videos; None: all
    format: str = ".mp4"  # the original's file format for reconstructed videos; here only scores are written


@dataclass(frozen=True)
class NormalizationParams:
    """How the original's animation mode moves the source keypoints (the defaults are
    :class:`~fomm_hf.motion.MotionOptions`'s)."""

    adapt_movement_scale: bool = MotionOptions.adapt_scale
    use_relative_movement: bool = MotionOptions.relative
    use_relative_jacobian: bool = MotionOptions.relative_jacobian

    def motion_options(self) -> MotionOptions:
        return MotionOptions(relative=self.use_relative_movement, adapt_scale=self.adapt_movement_scale,
                             relative_jacobian=self.use_relative_jacobian)


@dataclass(frozen=True)
class AnimateParams:
    """The original's animation evaluation: test videos driving other test videos' first frames."""

    num_pairs: Optional[int] = None  # the original's number of (source, driving) pairs to animate
    format: str = ".mp4"  # the original's file format for animated videos
    normalization_params: NormalizationParams = field(default_factory=NormalizationParams)


@dataclass(frozen=True)
class VisualizerParams:
    """The original's pictures of keypoints."""

    kp_size: Optional[int] = None  # keypoint radius in pixels in the training pictures; None: from the frame width
    draw_border: bool = False  # the original framed each picture; the training pictures have no frames
    colormap: str = "gist_rainbow"  # the original's matplotlib colormap; the training pictures use a rainbow too


# The whole file -----------------------------------------------------------------------------------------

SECTIONS = {
    "dataset_params": DatasetParams,
    "train_params": TrainParams,
    "reconstruction_params": ReconstructionParams,
    "animate_params": AnimateParams,
    "visualizer_params": VisualizerParams,
}


@dataclass(frozen=True)
class TrainingConfig:
    """A training config file, parsed: the models' configuration and the typed sections."""

    path: Path
    model: ModelConfig  # model_params (and the image size, from dataset_params.frame_shape)
    dataset_params: DatasetParams
    train_params: TrainParams
    reconstruction_params: ReconstructionParams
    animate_params: AnimateParams
    visualizer_params: VisualizerParams

    @property
    def frame_shape(self) -> Tuple[int, int, int]:
        """(height, width, 3) of the training frames: dataset_params.frame_shape, or the models' image size."""
        size = self.model.image_size
        return self.dataset_params.frame_shape or (size, size, 3)


def load_training_config(path: Union[str, os.PathLike]) -> TrainingConfig:
    """Reads and checks a training config file (``configs/*.yaml``, or one of the original repository's). A path
    that does not exist may name a config the package ships (``configs/vox-256.yaml``, ``vox-256``), so that the
    README's commands work from any folder."""
    path = shipped_config(Path(path))
    raw = read_yaml(path, what="training config")
    check_keys(raw, ["model_params", *SECTIONS], str(path))
    if "train_params" not in raw:
        raise InvalidInputError(f"{path} has no train_params: it is not a training config.")
    sections = {name: from_mapping(cls, raw.get(name), f"{path}: {name}") for name, cls in SECTIONS.items()}
    return TrainingConfig(path=path, model=ModelConfig.from_dict(raw, str(path)), **sections)


def shipped_config(path: Path) -> Path:
    """``path``, or where it does not exist, the config of that name that the package ships (if there is one)."""
    from ..model_store.registry import CONFIGS

    if path.exists() or path.parent.name not in ("", "configs"):
        return path
    shipped = CONFIGS / (path.name if path.suffix == ".yaml" else f"{path.name}.yaml")
    return shipped if shipped.is_file() else path
