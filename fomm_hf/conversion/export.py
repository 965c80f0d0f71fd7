"""Writing converted checkpoints as pipeline folders, and sharing them on the Hub."""

import shutil
import tempfile
from pathlib import Path

from huggingface_hub import create_repo, upload_folder

from ..model_card import render_model_card
from ..pipelines import FOMMPipeline
from .original import ConvertedCheckpoint

DISCRIMINATOR_SUBFOLDER = "discriminator"


def save_converted(converted: ConvertedCheckpoint, output_dir, repo_id: str = None, source_name: str = "") -> Path:
    """Saves a pipeline folder (+ ``discriminator/`` for fine-tuning, + model card README.md).

    The folder is written next to its destination and moved into place at the end, so an interrupted
    conversion never leaves a half-written pipeline behind.
    """
    output_dir = Path(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}-", dir=output_dir.parent))
    try:
        pipeline = FOMMPipeline(converted.kp_detector, converted.generator, image_size=converted.image_size)
        pipeline.save_pretrained(staging)
        if converted.discriminator is not None:
            converted.discriminator.save_pretrained(staging / DISCRIMINATOR_SUBFOLDER)
        card = render_model_card(
            converted.kp_detector,
            converted.generator,
            converted.image_size,
            repo_id=repo_id or str(output_dir),
            model_name=f"First Order Motion Model ({source_name})" if source_name else "First Order Motion Model",
            training_description=(
                f"Converted from the original implementation's checkpoint `{source_name}` with "
                "`python -m fomm_hf.convert`; weights and architecture are the original's."
            ),
            evaluation_table="See the paper (arXiv 2003.00196) for the original checkpoints' results.",
            tags=["converted"],
        )
        card.save(staging / "README.md")
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
