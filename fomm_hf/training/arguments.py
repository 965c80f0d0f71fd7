"""The options of a training run, and the command line that sets them (``train_accelerate.py``).

:class:`TrainingArguments` holds each option's default, once; :func:`add_training_arguments` derives the
command-line flags from it (``--data-dir``, also spelt ``--data_dir`` as diffusers' training scripts spell
theirs). This module imports nothing heavy, so that a parser can be built at once.
"""

import argparse
import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

from ..option_values import check_range

# torchvision's ImageNet VGG19 weights, as model.safetensors (see vgg.py)
DEFAULT_VGG19_REPO = "timm/vgg19.tv_in1k"
MODES = ("train", "reconstruction")


def option(default: Any = dataclasses.MISSING, help_text: str = "", minimum: Optional[int] = None,
           **argparse_options) -> Any:
    """A field of :class:`TrainingArguments` that is also a command-line flag (``argparse_options``: metavar,
    choices); ``minimum``: its least value (None, where None is the default, is always allowed)."""
    return field(default=default, metadata={"help": help_text, "minimum": minimum, **argparse_options})


@dataclass(kw_only=True)
class TrainingArguments:
    """How to run a training (the config file says what to train)."""

    output_dir: str = option(help_text="checkpoints, logs, pictures and the final pipeline")
    data_dir: Optional[str] = option(None, "dataset root with train/ and test/ (overrides dataset_params.root_dir)")
    max_steps: Optional[int] = option(
        None, "train for exactly this many optimizer steps, over as many epochs as needed (default: the config's "
        "epochs)", minimum=1
    )
    batch_size: Optional[int] = option(None, "per process (default: the config's)", minimum=1)
    gradient_accumulation_steps: int = option(1, "micro-batches per optimizer step", minimum=1)
    checkpoint_every: int = option(500, "steps between checkpoints (0: only at the end)", minimum=0)
    checkpoints_to_keep: int = option(3, "how many of the latest checkpoints to keep", minimum=1)
    image_every: int = option(250, "steps between reconstruction pictures (0: none)", minimum=0)
    log_every: int = option(10, "steps between logged losses", minimum=1)
    resume: bool = option(False, "continue from the latest complete checkpoint (without it, an OUTPUT_DIR that "
                          "holds a run is refused)")
    init_from: Optional[str] = option(None, "start from this pipeline's weights (folder or Hub id): fine-tuning",
                                      metavar="MODEL")
    mixed_precision: str = option("no", "autocast precision", choices=["no", "fp16", "bf16"])
    perceptual_backbone: str = option("vgg19", "vgg19: ImageNet weights; random: untrained, for offline tests only",
                                      choices=["vgg19", "random"])
    vgg_weights: str = option(DEFAULT_VGG19_REPO, "VGG19 weights: a safetensors file or a Hub repo holding "
                              "model.safetensors")
    num_workers: int = option(0, "data loading processes", minimum=0)
    seed: int = option(0, "random seed (each process adds its rank)")
    cpu: bool = option(False, "train on the CPU even where a GPU is available")
    channels_last: bool = option(False, "NHWC activations (see benchmarks/train_speed.py for when it helps)")
    push_to_hub: Optional[str] = option(None, "upload the final pipeline folder to this repo", metavar="REPO_ID")
    command: str = ""  # the command line, recorded in the model card (not a flag)

    def __post_init__(self):
        for argument in dataclasses.fields(self):
            value, minimum = getattr(self, argument.name), argument.metadata.get("minimum")
            if minimum is not None and value is not None:
                check_range(f"--{argument.name.replace('_', '-')}", value, minimum)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``--config``, ``--mode``, ``--model`` and one flag per :class:`TrainingArguments` field (each
    spelt with underscores and with dashes) to ``parser``."""
    parser.add_argument("--config", required=True, help="yaml config (configs/*.yaml, or an original one)")
    parser.add_argument("--mode", choices=MODES, default=MODES[0],
                        help="train, or evaluate a trained pipeline by reconstructing the test videos")
    parser.add_argument("--model", help="reconstruction mode: pipeline to evaluate (default: OUTPUT_DIR/pipeline)")
    hints = typing.get_type_hints(TrainingArguments)
    for argument in dataclasses.fields(TrainingArguments):
        if "help" not in argument.metadata:
            continue
        names = [f"--{argument.name.replace('_', '-')}"] + ([f"--{argument.name}"] if "_" in argument.name else [])
        options = {key: value for key, value in argument.metadata.items() if key != "minimum"}
        if argument.default is dataclasses.MISSING:
            options["required"] = True
        else:
            options["default"] = argument.default
        annotation = hints[argument.name]
        if annotation is bool:
            options["action"] = "store_true"  # the default is False
        else:
            options["type"] = int if int in (annotation, *typing.get_args(annotation)) else str
        parser.add_argument(*names, dest=argument.name, **options)


def training_arguments(namespace: argparse.Namespace, **others: Any) -> TrainingArguments:
    """The :class:`TrainingArguments` of parsed flags, and ``others`` (``command``: the command line, for the
    model card)."""
    names = [argument.name for argument in dataclasses.fields(TrainingArguments) if "help" in argument.metadata]
    return TrainingArguments(**{name: getattr(namespace, name) for name in names}, **others)
