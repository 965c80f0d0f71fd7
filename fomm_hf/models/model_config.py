"""The models' configuration as this project's yaml configs (and the original's, whose format they keep) state it.

A config's ``model_params`` has four sections, ``common_params`` (``num_kp``, ``num_channels``,
``estimate_jacobian``), ``kp_detector_params``, ``generator_params`` (with ``dense_motion_params``) and
``discriminator_params``; ``dataset_params.frame_shape`` gives the (square) image size. Every key must be an
argument of the model it configures: a misspelt key is an error that names it and the closest valid one.
"""

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from ..errors import InvalidInputError
from ..schema import as_mapping, check_keys
from .dense_motion import DenseMotionNetwork
from .discriminator import MultiScaleDiscriminator
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KeypointDetector

COMMON_PARAMS = ("num_kp", "num_channels", "estimate_jacobian")
MODEL_SECTIONS = ("common_params", "kp_detector_params", "generator_params", "discriminator_params")
DEFAULT_IMAGE_SIZE = 256


def argument_names(model_class, exclude=()) -> list:
    """The constructor arguments of a model class that a config section may set."""
    parameters = inspect.signature(model_class.__init__).parameters
    return [name for name in parameters if name != "self" and name not in exclude]


@dataclass(frozen=True)
class ModelConfig:
    """Constructor arguments of the three models and the image size they work at.

    ``ModelConfig.from_yaml("configs/vox-256.yaml")`` reads a config file; ``build_kp_detector()``,
    ``build_generator()`` and ``build_discriminator()`` make freshly initialised models from it.
    """

    kp_detector: dict = field(default_factory=dict)
    generator: dict = field(default_factory=dict)
    discriminator: dict = field(default_factory=dict)
    image_size: int = DEFAULT_IMAGE_SIZE

    @classmethod
    def from_yaml(cls, path, align_corners: bool = True) -> "ModelConfig":
        """Reads ``model_params`` and ``dataset_params.frame_shape`` of a yaml config file."""
        return cls.from_dict(read_yaml(path), str(path), align_corners=align_corners)

    @classmethod
    def from_dict(cls, config: dict, where: str, align_corners: bool = True) -> "ModelConfig":
        """The same, from the parsed yaml (``where`` names the file in messages)."""
        if "model_params" not in config:
            raise InvalidInputError(
                f"{where} is not a First Order Motion Model config: it has no model_params section."
            )
        model_params = as_mapping(config["model_params"], f"{where}: model_params")
        check_keys(model_params, MODEL_SECTIONS, f"{where}: model_params")
        sections = {
            name: as_mapping(model_params.get(name), f"{where}: model_params.{name}") for name in MODEL_SECTIONS
        }
        common = sections["common_params"]
        check_keys(common, COMMON_PARAMS, f"{where}: model_params.common_params")

        kp_detector_params = sections["kp_detector_params"]
        check_keys(kp_detector_params, argument_names(KeypointDetector, COMMON_PARAMS),
                   f"{where}: model_params.kp_detector_params")
        generator_params = dict(sections["generator_params"])
        check_keys(generator_params, argument_names(OcclusionAwareGenerator, COMMON_PARAMS + ("align_corners",)),
                   f"{where}: model_params.generator_params")
        dense_motion_params = generator_params.get("dense_motion_params")
        if dense_motion_params is not None:
            section = f"{where}: model_params.generator_params.dense_motion_params"
            dense_motion_params = as_mapping(dense_motion_params, section)
            inherited = COMMON_PARAMS + ("estimate_occlusion_map", "align_corners")
            check_keys(dense_motion_params, argument_names(DenseMotionNetwork, inherited), section)
            generator_params["dense_motion_params"] = dense_motion_params
        discriminator_params = sections["discriminator_params"]
        check_keys(discriminator_params, argument_names(MultiScaleDiscriminator, COMMON_PARAMS),
                   f"{where}: model_params.discriminator_params")

        shared = {"num_kp": common.get("num_kp", 10), "num_channels": common.get("num_channels", 3)}
        return cls(
            kp_detector={**shared, "estimate_jacobian": common.get("estimate_jacobian", False), **kp_detector_params},
            generator={**shared, **generator_params, "align_corners": align_corners},
            discriminator={**shared, **discriminator_params},
            image_size=image_size_of(config, where),
        )

    @property
    def num_kp(self) -> int:
        return self.kp_detector["num_kp"]

    def build_kp_detector(self) -> KeypointDetector:
        return build(KeypointDetector, self.kp_detector)

    def build_generator(self) -> OcclusionAwareGenerator:
        return build(OcclusionAwareGenerator, self.generator)

    def build_discriminator(self) -> MultiScaleDiscriminator:
        return build(MultiScaleDiscriminator, self.discriminator)


def build(model_class, arguments: dict):
    try:
        return model_class(**arguments)
    except (TypeError, ValueError) as error:  # a value of the wrong kind, e.g. a list where a number goes
        raise InvalidInputError(f"Cannot build a {model_class.__name__} from the config: {error}") from None


def image_size_of(config: dict, where: str) -> int:
    frame_shape = as_mapping(config.get("dataset_params"), f"{where}: dataset_params").get("frame_shape")
    if frame_shape is None:
        return DEFAULT_IMAGE_SIZE
    if not isinstance(frame_shape, (list, tuple)) or len(frame_shape) < 2 or frame_shape[0] != frame_shape[1]:
        raise InvalidInputError(f"{where}: only square frame shapes are supported; dataset_params.frame_shape "
                                f"is {frame_shape!r}.")
    return int(frame_shape[0])


def read_yaml(path, what: str = "config") -> dict:
    """A yaml file as a dict, with one clear error for a missing, binary, malformed or non-mapping file."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder: the {what} is a yaml file.")
    if not path.is_file():
        raise InvalidInputError(f"The {what} file {path} does not exist.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not a text file: the {what} must be a yaml file.") from None
    except OSError as error:
        raise InvalidInputError(f"Cannot read the {what} file {path}: {error.strerror}.") from None
    try:
        config: Optional[dict] = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInputError(f"{path} is not valid yaml: {error}".replace("\n", " ")) from None
    if not isinstance(config, dict):
        raise InvalidInputError(f"{path} is not a {what}: it holds no yaml mapping.")
    return config
