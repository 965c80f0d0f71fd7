"""Training the First Order Motion Model with accelerate: configuration, data, losses, the loop.

The names below are imported from their modules the first time they are used, so that
``fomm_hf.training.arguments`` (the command line) imports without torch.
"""

from ..lazy import lazy_exports

# name -> the module that defines it
_EXPORTS = {
    "FramesDataset": "fomm_hf.training.frames_dataset",
    "Trainer": "fomm_hf.training.trainer",
    "TrainingArguments": "fomm_hf.training.arguments",
    "TrainingConfig": "fomm_hf.training.training_config",
    "add_training_arguments": "fomm_hf.training.arguments",
    "load_training_config": "fomm_hf.training.training_config",
    "reconstruct_test_videos": "fomm_hf.training.reconstruction_mode",
}

__all__ = [
    "FramesDataset",
    "Trainer",
    "TrainingArguments",
    "TrainingConfig",
    "add_training_arguments",
    "load_training_config",
    "reconstruct_test_videos",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
