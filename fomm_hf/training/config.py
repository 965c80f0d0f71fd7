"""Training configuration: an original-format yaml (dataset_params, model_params, train_params, ...)."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..conversion.original import OriginalConfig, read_original_config
from ..errors import InvalidInputError


@dataclass
class TrainingConfig:
    path: Path
    models: OriginalConfig  # constructor arguments of the three models, and the image size
    dataset_params: dict
    train_params: dict
    raw: dict  # the whole yaml, recorded with the run


def load_training_config(path) -> TrainingConfig:
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Config file not found: {path}")
    raw = yaml.safe_load(path.read_text())
    if "train_params" not in raw:
        raise InvalidInputError(f"{path} has no train_params: it is not a training config.")
    return TrainingConfig(
        path=path,
        models=read_original_config(path),
        dataset_params=dict(raw.get("dataset_params", {})),
        train_params=dict(raw["train_params"]),
        raw=raw,
    )
