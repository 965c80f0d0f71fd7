"""Writing pipeline folders (atomically, with model card and discriminator) and sharing them on the Hub."""

import shutil
import tempfile
from pathlib import Path
from typing import Optional

from huggingface_hub import ModelCard, create_repo, upload_folder

from .pipeline_fomm import FOMMPipeline

DISCRIMINATOR_SUBFOLDER = "discriminator"


def write_pipeline_folder(
    output_dir,
    kp_detector,
    generator,
    image_size: int,
    discriminator=None,
    model_card: Optional[ModelCard] = None,
) -> Path:
    """Saves a ``FOMMPipeline`` folder, plus ``discriminator/`` (for fine-tuning) and ``README.md``.

    The folder is written next to its destination and moved into place at the end, so an interrupted
    save never leaves a half-written pipeline behind.
    """
    output_dir = Path(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}-", dir=output_dir.parent))
    try:
        FOMMPipeline(kp_detector, generator, image_size=image_size).save_pretrained(staging)
        if discriminator is not None:
            discriminator.save_pretrained(staging / DISCRIMINATOR_SUBFOLDER)
        if model_card is not None:
            model_card.save(staging / "README.md")
        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return output_dir


def push_folder_to_hub(folder, repo_id: str, private: bool = False, commit_message: str = None) -> str:
    """Creates ``repo_id`` if needed and uploads the whole folder; returns the commit URL."""
    create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    commit = upload_folder(
        repo_id=repo_id,
        folder_path=str(folder),
        repo_type="model",
        commit_message=commit_message or "Upload First Order Motion Model pipeline",
    )
    return str(commit)
