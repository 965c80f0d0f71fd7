"""Training the First Order Motion Model with accelerate: data, losses, the loop, evaluation."""

from .config import TrainingConfig, load_training_config
from .dataset import FramesDataset
from .evaluation import evaluate_reconstruction
from .trainer import Trainer, TrainingArguments

__all__ = [
    "FramesDataset",
    "Trainer",
    "TrainingArguments",
    "TrainingConfig",
    "evaluate_reconstruction",
    "load_training_config",
]
