"""Atomic training checkpoints: a checkpoint folder exists under its final name only once complete.

``accelerator.save_state`` writes into ``checkpoints/.incomplete-<step>``; when every process has
finished writing, the main process renames it to ``checkpoints/checkpoint-<step>`` (a rename is atomic).
A run killed while saving leaves only an ``.incomplete-*`` folder, which resuming ignores.
"""

import os
import re
import shutil
from pathlib import Path
from typing import Optional, Union

from accelerate import Accelerator

from ..errors import InvalidInputError
from ..permissions import give_ordinary_permissions

PathLike = Union[str, os.PathLike]
CHECKPOINT_PATTERN = re.compile(r"^checkpoint-(\d+)$")
RUN_FILES = ("checkpoints", "pipeline", "train_log.txt")  # what a run writes in OUTPUT_DIR


def checkpoints_dir(output_dir: PathLike) -> Path:
    return Path(output_dir) / "checkpoints"


def latest_checkpoint(output_dir: PathLike) -> Optional[Path]:
    """The complete checkpoint with the highest step, or None."""
    folder = checkpoints_dir(output_dir)
    if not folder.is_dir():
        return None
    steps = {int(m.group(1)): p for p in folder.iterdir() if (m := CHECKPOINT_PATTERN.match(p.name)) and p.is_dir()}
    return steps[max(steps)] if steps else None


def check_output_dir(output_dir: PathLike, resume: bool) -> None:
    """OUTPUT_DIR must be a folder that can be written, or be possible to create (nothing is created here); one
    that holds a run (checkpoints, a saved pipeline, a log) is refused unless it is resumed, so that two runs
    never mix."""
    output_dir = Path(output_dir)
    existing = next(folder for folder in (output_dir, *output_dir.parents) if folder.exists())
    if not existing.is_dir():
        raise InvalidInputError(f"Cannot use --output_dir {output_dir}: {existing} is a file.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InvalidInputError(f"Cannot use --output_dir {output_dir}: {existing} cannot be written.")
    if existing != output_dir:
        return
    run_files = sorted(path.name for path in output_dir.iterdir() if path.name in RUN_FILES)
    if run_files and not resume:
        raise InvalidInputError(
            f"--output_dir {output_dir} holds a training run ({', '.join(run_files)}): --resume continues it; give "
            "another --output_dir to start a new one."
        )


def save_checkpoint(accelerator: Accelerator, output_dir: PathLike, step: int, keep: int) -> Path:
    """Saves the full training state (models, optimizers, schedulers, RNGs, registered objects); all processes
    must call it. Keeps the ``keep`` most recent complete checkpoints."""
    folder = checkpoints_dir(output_dir)
    staging, final = folder / f".incomplete-{step}", folder / f"checkpoint-{step}"
    if accelerator.is_main_process:
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob(".incomplete-*"):
            shutil.rmtree(leftover)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(staging))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        give_ordinary_permissions(staging)  # safetensors writes its files private
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
        complete = sorted(
            (p for p in folder.iterdir() if CHECKPOINT_PATTERN.match(p.name)),
            key=lambda p: int(CHECKPOINT_PATTERN.match(p.name).group(1)),
        )
        for old in complete[:-keep]:
            shutil.rmtree(old)
    accelerator.wait_for_everyone()
    return final
