"""Writing pipeline folders (atomically, with model card and discriminator) and sharing them on the Hub.

A pipeline folder is what ``FOMMPipeline.save_pretrained`` writes and ``FOMMPipeline.from_pretrained`` loads:
``model_index.json`` (the pipeline class, its components' classes and its config) and a subfolder per component
(its ``config.json`` and safetensors weights). The model store writes it from the components themselves, below
the pipeline that loads it.
"""

import json
import shutil
import tempfile
from pathlib import Path
from typing import Mapping, Optional

from huggingface_hub import create_repo, upload_folder

from ..errors import FOMMError, InvalidInputError
from ..permissions import give_ordinary_permissions

PIPELINE_CLASS = "FOMMPipeline"  # what model_index.json names: the class that loads the folder
DISCRIMINATOR_SUBFOLDER = "discriminator"
# What a pipeline folder of this package holds, all of which may be replaced when it is written again: the
# components, the model card, provenance, evaluation results and exported graphs.
PIPELINE_CONTENTS = {"model_index.json", "kp_detector", "generator", DISCRIMINATOR_SUBFOLDER, "README.md",
                     "conversion.json", "evaluation.json", "reconstruction.json", "onnx", "openvino", "openvino-int8"}


def write_pipeline_folder(
    output_dir,
    kp_detector,
    generator,
    image_size: int,
    discriminator=None,
    model_card=None,
    extra_files: Optional[Mapping[str, str]] = None,
    category: Optional[str] = None,
) -> Path:
    """Saves a ``FOMMPipeline`` folder, plus ``discriminator/`` (for fine-tuning), ``README.md`` and
    ``extra_files`` (file name -> text).

    The folder is written next to its destination and moved into place at the end, so an interrupted
    save never leaves a half-written pipeline behind. It is readable by all, as the umask allows.
    """
    output_dir = check_pipeline_destination(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}-", dir=output_dir.parent))
    try:
        save_components(staging, kp_detector, generator, image_size, category)
        if discriminator is not None:
            discriminator.save_pretrained(staging / DISCRIMINATOR_SUBFOLDER)
        if model_card is not None:
            model_card.save(staging / "README.md")
        for name, text in (extra_files or {}).items():
            (staging / name).write_text(text)
        give_ordinary_permissions(staging)  # mkdtemp makes it private, safetensors its files
        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return output_dir


def save_components(folder: Path, kp_detector, generator, image_size: int, category: Optional[str]) -> None:
    """The files of ``FOMMPipeline.save_pretrained``: each component in its subfolder, and model_index.json."""
    import diffusers

    index = {"_class_name": PIPELINE_CLASS, "_diffusers_version": diffusers.__version__, "category": category,
             "image_size": image_size}
    for name, component in (("kp_detector", kp_detector), ("generator", generator)):
        component.save_pretrained(folder / name)
        index[name] = [type(component).__module__, type(component).__name__]
    (folder / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


def check_pipeline_destination(output_dir) -> Path:
    """``output_dir`` (absolute) if a pipeline folder may be written there: a new or empty folder, or a pipeline
    folder holding only what this package writes, which is replaced whole. Anything else is refused, so that
    nothing of the person's is ever deleted."""
    output_dir = Path(output_dir).absolute()
    if output_dir.is_file():
        raise InvalidInputError(f"Cannot write the pipeline folder {output_dir}: it is a file.")
    if Path.cwd().is_relative_to(output_dir):
        raise InvalidInputError(f"Cannot write the pipeline folder {output_dir}: it holds the current folder; give "
                                "a new folder.")
    if not output_dir.is_dir() or not any(output_dir.iterdir()):
        return output_dir
    cannot = f"Cannot write the pipeline folder {output_dir}: it is not empty and"
    if not (output_dir / "model_index.json").is_file():
        raise InvalidInputError(f"{cannot} not a pipeline folder; give a new folder (nothing was written).")
    if others := sorted(path.name for path in output_dir.iterdir() if path.name not in PIPELINE_CONTENTS):
        raise InvalidInputError(f"{cannot} holds files that are not a pipeline's ({', '.join(others[:3])}); give a "
                                "new folder (nothing was written).")
    return output_dir


def write_converted_pipeline(
    output_dir,
    converted,
    checkpoint_name: str,
    source: str,
    licence: str = "",
    model_name: str = "",
    repo_id: Optional[str] = None,
    category: Optional[str] = None,
) -> Path:
    """Writes an original checkpoint, converted (a :class:`~fomm_hf.conversion.ConvertedCheckpoint`), as a pipeline
    folder, with a model card (whose example loads ``repo_id``, else ``model_name``, else the folder) and
    ``conversion.json`` saying where it came from."""
    from importlib.metadata import version

    from .model_card import render_model_card

    name = model_name or checkpoint_name.split(".")[0]
    provenance = {
        "checkpoint": checkpoint_name,
        "source": source,
        "align_corners": converted.generator.config.align_corners,
        "converted_with": f"fomm_hf {version('fomm_hf')}",
    }
    card = render_model_card(
        converted.kp_detector,
        converted.generator,
        converted.image_size,
        repo_id=repo_id or model_name or str(output_dir),
        model_name=f"First Order Motion Model ({name})",
        training_description=(
            f"Converted from the original implementation's checkpoint `{checkpoint_name}` ({source}) with "
            f"fomm_hf; weights and architecture are the original's. {licence}".strip()
        ),
        evaluation_table="See the paper (arXiv 2003.00196) for the original checkpoints' results.",
        tags=["converted"],
    )
    return write_pipeline_folder(
        output_dir,
        converted.kp_detector,
        converted.generator,
        converted.image_size,
        discriminator=converted.discriminator,
        model_card=card,
        extra_files={"conversion.json": json.dumps(provenance, indent=2) + "\n"},
        category=category,
    )


def push_folder_to_hub(folder, repo_id: str, private: bool = False, commit_message: str = None) -> str:
    """Creates ``repo_id`` if needed and uploads the whole folder; returns the commit URL. A failed upload is a
    :class:`FOMMError` that says where the folder is, to upload it again."""
    try:
        create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        commit = upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            repo_type="model",
            commit_message=commit_message or "Upload First Order Motion Model pipeline",
        )
    except Exception as error:  # the Hub client's errors (HTTP, network, authentication) have no common base
        raise FOMMError(f"The upload to {repo_id} failed ({' '.join(str(error).split())}); the pipeline is saved "
                        f"in {folder}: upload it with `hf upload {repo_id} {folder}`.") from None
    return str(commit)
