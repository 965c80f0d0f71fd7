"""The original models, downloaded and converted on first use, then kept for every later load.

The first time a registered original model (:mod:`.registry`) is asked for, its checkpoint is downloaded from the
first of its Hub mirrors that has it, into the Hub cache, by ``huggingface_hub`` (with its progress bar; it never
takes a partial file for a complete one, and ``hf cache prune`` removes what an interrupted download left). The
file's SHA-256 is checked where the registry knows it, the checkpoint is converted (``weights_only=True``, strict
keys and shapes) and the pipeline folder written to ``$FOMM_CACHE/<name>`` (default ``$HF_HOME/fomm``, beside the
Hub cache). The folder is written beside its place and renamed into it when complete, so a conversion killed
half-way leaves nothing a later load takes. Later loads read the folder and contact no server.
"""

import hashlib
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Optional

from ..errors import CheckpointError, InvalidInputError
from .folders import check_pipeline_destination, write_converted_pipeline
from .hub_access import hub_is_reachable
from .registry import RegisteredModel, config_category

CACHE_ENV_VAR = "FOMM_CACHE"


def cache_dir() -> Path:
    """Where converted models are kept: ``$FOMM_CACHE``, else ``fomm`` in the Hugging Face home folder."""
    from huggingface_hub import constants

    return Path(os.environ.get(CACHE_ENV_VAR) or Path(constants.HF_HOME) / "fomm").expanduser()


def converted_folder(model: RegisteredModel) -> Path:
    return cache_dir() / model.name


def is_converted(model: RegisteredModel) -> bool:
    return (converted_folder(model) / "model_index.json").is_file()


def registered_model_folder(model: RegisteredModel) -> Path:
    """The pipeline folder of a registered model: shipped, converted before, or downloaded and converted now."""
    if model.folder is not None:
        return model.folder
    if is_converted(model):
        return converted_folder(model)
    checkpoint, source = download_checkpoint(model)
    return convert_into_cache(model, checkpoint, source)


def how_to_convert(model: RegisteredModel) -> str:
    return (
        f"With a copy of {model.checkpoint_name} (from the original project's links or any mirror): "
        f"fomm convert --model {model.name} --checkpoint PATH/{model.checkpoint_name}"
    )


def download_checkpoint(model: RegisteredModel):
    """(the local path, the mirror it came from) of the model's original checkpoint, from the first mirror that
    has it; raises InvalidInputError, saying what was tried and how to convert a local copy, if none does."""
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if not model.mirrors:
        raise InvalidInputError(
            f"The model {model.name} is not converted here, and no copy of its checkpoint on the Hub is known. "
            + how_to_convert(model)
        )
    offline = constants.HF_HUB_OFFLINE
    failures = []
    # Copies already in the Hub cache first (no server contacted), then downloads, mirror after mirror.
    for local_files_only in (True,) if offline else (True, False):
        if not local_files_only and not hub_is_reachable():
            failures.append(f"cannot reach the Hub ({constants.ENDPOINT})")
            break
        if not local_files_only:
            tell(f"{model.name}: first use here: downloading its original checkpoint {model.checkpoint_name} "
                 f"({model.checkpoint_megabytes} MB) from the Hub")
        for mirror in model.mirrors:
            try:
                path = Path(
                    hf_hub_download(
                        mirror.repo_id,
                        mirror.filename,
                        repo_type=mirror.repo_type,
                        revision=mirror.revision,
                        local_files_only=local_files_only,
                    )
                )
            except LocalEntryNotFoundError:
                if local_files_only:
                    continue
                failures.append("cannot reach the Hub")
                break  # the other mirrors are on the same Hub
            except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError):
                failures.append(f"{mirror} is no longer on the Hub")
                continue
            except (HfHubHTTPError, OSError) as error:
                failures.append(f"{mirror}: {' '.join(str(error).split())}")
                continue
            if model.sha256 and (digest := file_sha256(path)) != model.sha256:
                failures.append(f"{mirror} is another file (SHA-256 {digest[:12]}..., not {model.sha256[:12]}...)")
                continue
            return path, mirror
    if offline:
        failures.append("it is not in the Hub cache and the Hub is offline (HF_HUB_OFFLINE=1)")
    raise InvalidInputError(
        f"The model {model.name} is not converted here, and its checkpoint {model.checkpoint_name} could not be "
        f"fetched: {'; '.join(failures)}. " + how_to_convert(model)
    )


def tell(message: str) -> None:
    """Says what a long first use is doing, where progress bars go (standard error)."""
    print(message, file=sys.stderr, flush=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def convert_into_cache(model: RegisteredModel, checkpoint, source, replace: bool = False) -> Path:
    """Converts ``checkpoint`` (the model's original file, from ``source``) into the model's cache folder.

    One process converts a model at a time (a file lock); the others wait and take its result. A model already
    converted is kept unless ``replace``.
    """
    from filelock import FileLock

    from ..conversion import convert_original_checkpoint

    folder = converted_folder(model)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / f".{model.name}.lock")):
        if is_converted(model) and not replace:
            return folder
        for staging in folder.parent.glob(f".{model.name}-*"):  # left behind by a conversion that was killed
            shutil.rmtree(staging, ignore_errors=True)
        tell(f"{model.name}: converting {model.checkpoint_name} into {folder} (once)")
        try:
            converted = convert_original_checkpoint(model.config, checkpoint)
        except CheckpointError as error:
            raise CheckpointError(f"The checkpoint for {model.name} ({source}) cannot be converted: {error}") from None
        write_converted_pipeline(
            folder,
            converted,
            model.checkpoint_name,
            source=str(source),
            licence=model.licence,
            model_name=model.name,
            category=model.category,
        )
    return folder


def conversion_destination(registered: Optional[RegisteredModel], output=None, align_corners: bool = True):
    """Where ``fomm convert`` writes a checkpoint of the person's: None for the cache of converted models, where
    ``--model NAME`` finds it (a registered model, no folder asked for, converted in the convention its
    checkpoint was trained with), else the pipeline folder ``output`` (by default named after the registered
    model), checked first so that nothing of the person's is replaced."""
    if registered is not None and output is None and align_corners:
        return None
    output = Path(output or registered.name)
    check_pipeline_destination(output)
    return output


def convert_local_checkpoint(checkpoint, destination: Optional[Path], registered: Optional[RegisteredModel] = None,
                             config=None, align_corners: bool = True, category: Optional[str] = None,
                             repo_id: Optional[str] = None) -> Path:
    """Converts the checkpoint file ``checkpoint`` into ``destination`` (:func:`conversion_destination`: None for
    the cache); ``config`` defaults to the registered model's, ``category`` to that of the config's name, and
    ``repo_id`` (what the model card's example loads) to the folder."""
    from ..conversion import convert_original_checkpoint

    checkpoint = Path(checkpoint)
    source = f"local file {checkpoint.name}"
    if destination is None:
        if registered.sha256 and file_sha256(checkpoint) != registered.sha256:
            warnings.warn(f"{checkpoint.name} is not the file the registry knows for {registered.name} (another "
                          "SHA-256); converted all the same if its keys and shapes fit")
        return convert_into_cache(registered, checkpoint, source, replace=True)
    config = config or registered.config
    converted = convert_original_checkpoint(config, checkpoint, align_corners=align_corners)
    return write_converted_pipeline(destination, converted, checkpoint.name, source=source,
                                    licence=registered.licence if registered else "",
                                    repo_id=repo_id or str(destination), category=category or config_category(config))
