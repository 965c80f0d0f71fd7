"""Finding and loading pipelines by name, with messages a person can act on.

A model argument (``fomm ... --model``, ``$FOMM_MODEL``, the app's model menu, ``FOMMPipeline.from_pretrained``)
is resolved in this order:

1. nothing: ``$FOMM_MODEL`` if it is set, else the bundled demo model;
2. an existing local folder: it must be a pipeline folder (with ``model_index.json``);
3. a registered name (``fomm models`` lists them, :mod:`.registry`): the bundled model, or an original model,
   downloaded and converted on first use and kept converted (:mod:`.converted_models`);
4. a Hub repository id (``owner/name``): its pipeline files are downloaded into the Hub cache, or found
   there when the Hub is offline (``HF_HUB_OFFLINE=1``).

Resolving only finds (or downloads) the files; :func:`load_pipeline` then loads the weights. Commands resolve
the model after checking their other inputs and before loading it, so a wrong name is reported at once.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ..errors import CheckpointError, InvalidInputError
from ..schema import closest_key
from .converted_models import converted_folder, registered_model_folder
from .registry import BUNDLED_MODEL, MODELS, RegisteredModel, registered_model

MODEL_ENV_VAR = "FOMM_MODEL"
PIPELINE_FILES = ["model_index.json", "*/config.json", "*/*.safetensors", "README.md"]


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # as the person gave it (or the default's folder)
    folder: Path  # the local pipeline folder

    @property
    def registered(self) -> Optional[RegisteredModel]:
        """The registry's entry for this model, if it is one (a local folder with a registered name is not)."""
        return next((m for m in MODELS.values() if self.folder in (m.folder, converted_folder(m))), None)

    @property
    def display_name(self) -> str:
        """The name to show: a Hub repo id as it is, a local folder by its own name (never a server's path)."""
        is_local_folder = self.folder == Path(self.name).expanduser()
        return self.folder.name if is_local_folder else self.name


def resolve_model(model: Optional[str] = None) -> ResolvedModel:
    """The local pipeline folder of a model argument (see the module); raises InvalidInputError if there is none."""
    name = str(model or os.environ.get(MODEL_ENV_VAR) or BUNDLED_MODEL)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise InvalidInputError(f"The folder {name} is not a pipeline folder: it has no model_index.json.")
        return ResolvedModel(name, path)
    if registered := registered_model(name):
        return ResolvedModel(name, registered_model_folder(registered))
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        raise InvalidInputError(
            f"The model {name!r} is not a folder here, nor a registered name{closest_name(name)}, nor a Hub "
            "repository id (owner/name)."
        ) from None
    return ResolvedModel(name, download_pipeline(name))


def closest_name(name: str) -> str:
    """" (did you mean 'vox-256'?)" for a name close to a registered one, else " (fomm models lists them)"."""
    return closest_key(name, MODELS) or " (fomm models lists them)"


def download_pipeline(repo_id: str) -> Path:
    """The pipeline files of a Hub repository, from the Hub cache (downloaded there if needed)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        folder = Path(snapshot_download(repo_id, allow_patterns=PIPELINE_FILES))
    except LocalEntryNotFoundError:
        raise InvalidInputError(
            f"Cannot find the model {repo_id!r}: it is not a folder here, nor a registered name"
            f"{closest_name(repo_id)}, and not in the Hub cache while the Hub is offline (HF_HUB_OFFLINE=1)."
        ) from None
    except RepositoryNotFoundError:
        raise InvalidInputError(
            f"Cannot find the model {repo_id!r}: it is not a folder here, nor a registered name"
            f"{closest_name(repo_id)}, and the Hub has no repository of that name (or it is private: log in with "
            "`hf auth login`)."
        ) from None
    except (HfHubHTTPError, OSError) as error:
        raise InvalidInputError(f"Cannot download the model {repo_id!r} from the Hub: {error}") from None
    if not (folder / "model_index.json").is_file():
        raise InvalidInputError(f"The Hub repository {repo_id!r} is not a pipeline: it has no model_index.json.")
    return folder


def load_pipeline(model: Union[None, str, ResolvedModel] = None, **kwargs):
    """The :class:`FOMMPipeline` of a model argument (resolved as the module says), loaded from its folder."""
    from .pipeline_fomm import FOMMPipeline

    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
    try:
        return FOMMPipeline.from_pretrained(resolved.folder, **kwargs)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"Cannot load a FOMM pipeline from {resolved.name}: {error}") from None
