"""Finding and loading pipelines by name, with messages a person can act on.

A model argument (``fomm ... --model``, ``$FOMM_MODEL``, the app's model menu, ``FOMMPipeline.from_pretrained``)
is resolved in this order:

1. nothing: the default model (:func:`default_model`): ``$FOMM_MODEL`` if it is set, else on a Hugging Face
   Space (``$SPACE_ID`` set) vox-adv-256, for the visitors' photos, else the bundled demo model;
2. an existing local folder: it must be a pipeline folder (with ``model_index.json``);
3. a registered name (``fomm models`` lists them, :mod:`.registry`): the bundled model, or an original model,
   downloaded and converted on first use and kept converted (:mod:`.conversion_cache`);
4. a Hub repository id (``owner/name``): its pipeline files are downloaded into the Hub cache, or found
   there when the Hub is offline (``HF_HUB_OFFLINE=1``). Its exported graphs (the ``onnx/``, ``openvino/``
   and ``openvino-int8/`` subfolders that ``fomm export`` writes) are fetched only when a backend asks for
   them (:class:`HubOrigin`).

Resolving only finds (or downloads) the files; ``FOMMPipeline.from_pretrained`` then loads the weights (and
takes a :class:`ResolvedModel` as it is). Commands resolve the model after checking their other inputs and
before loading it, so that a wrong name is reported at once.
"""

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ..errors import InvalidInputError
from ..schema import closest_key
from .conversion_cache import converted_folder, is_converted, registered_model_folder
from .hub_access import hub_is_reachable
from .registry import BUNDLED_MODEL, MODELS, REAL_FACE_MODEL, RegisteredModel, registered_model

MODEL_ENV_VAR = "FOMM_MODEL"
SPACE_ENV_VAR = "SPACE_ID"  # set by Hugging Face Spaces
PIPELINE_FILES = ["model_index.json", "*/config.json", "*/*.safetensors", "README.md"]


@dataclass(frozen=True)
class HubOrigin:
    """The Hub repository (at a revision) a pipeline was loaded from, which may hold its exported graphs too."""

    repo_id: str
    revision: Optional[str] = None  # a commit, branch or tag; None: the main branch
    cache_dir: Optional[str] = None  # None: the Hub cache

    def exported_graphs(self, name: str) -> Optional[Path]:
        """The repository's ``name`` subfolder of exported graphs ("onnx", "openvino", "openvino-int8"), from the
        Hub cache or downloaded into it; None where the repository has none, or they are not in the cache and
        the Hub cannot be reached (the caller then exports its own)."""
        return download_exported_graphs(self.repo_id, self.revision, self.cache_dir, name)


@functools.lru_cache(maxsize=32)
def download_exported_graphs(repo_id: str, revision: Optional[str], cache_dir: Optional[str],
                             name: str) -> Optional[Path]:
    """See :meth:`HubOrigin.exported_graphs`; asked once per process for each repository and subfolder."""
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, LocalEntryNotFoundError

    from ..export import ExportRecord
    from ..export.backends import EXPORT_RECORD

    def download(file: str, local_files_only: bool) -> Path:
        return Path(hf_hub_download(repo_id, f"{name}/{file}", revision=revision, cache_dir=cache_dir,
                                    local_files_only=local_files_only))

    for local_files_only in (True, False):
        if not local_files_only and (constants.HF_HUB_OFFLINE or not hub_is_reachable()):
            return None
        try:
            folder = download(EXPORT_RECORD, local_files_only).parent
            for file in ExportRecord.read(folder).graph_files:
                download(file, local_files_only)
            return folder
        except LocalEntryNotFoundError:
            continue  # not (all) in the cache: download
        except (EntryNotFoundError, HfHubHTTPError, OSError, InvalidInputError):
            return None  # the repository has no such graphs, or they cannot be downloaded: exported here instead
    return None


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # as the person gave it (or the default's folder)
    folder: Path  # the local pipeline folder
    hub_origin: Optional[HubOrigin] = None  # where it was downloaded from, for a Hub repository id

    @property
    def registered(self) -> Optional[RegisteredModel]:
        """The registry's entry for this model, if it is one (a local folder with a registered name is not)."""
        return next((m for m in MODELS.values() if self.folder in (m.folder, converted_folder(m))), None)

    @property
    def display_name(self) -> str:
        """The name to show: a Hub repo id as it is, a local folder by its own name (never a server's path)."""
        is_local_folder = self.folder == Path(self.name).expanduser()
        return self.folder.name if is_local_folder else self.name


def runs_on_a_space() -> bool:
    """Whether this runs on a Hugging Face Space (which sets ``$SPACE_ID``)."""
    return bool(os.environ.get(SPACE_ENV_VAR))


def default_model() -> str:
    """The model used where none is given: ``$FOMM_MODEL``; else, on a Hugging Face Space, the original model
    for real faces (visitors bring photos of people); else the bundled demo model, which works offline."""
    if os.environ.get(MODEL_ENV_VAR):
        return os.environ[MODEL_ENV_VAR]
    return REAL_FACE_MODEL if runs_on_a_space() else str(BUNDLED_MODEL)


def resolve_model(model: Optional[Union[str, os.PathLike]] = None, revision: Optional[str] = None,
                  cache_dir: Optional[Union[str, os.PathLike]] = None) -> ResolvedModel:
    """The local pipeline folder of a model argument (see the module); raises InvalidInputError if there is none.
    ``revision`` and ``cache_dir`` apply to a Hub repository (a commit, branch or tag; another Hub cache)."""
    if not model and os.environ.get(MODEL_ENV_VAR):
        try:
            return resolve_model(os.environ[MODEL_ENV_VAR], revision, cache_dir)
        except InvalidInputError as error:
            raise InvalidInputError(f"${MODEL_ENV_VAR}: {error}") from None
    name = str(model or default_model())
    kind = model_kind(name)
    if kind == "folder":
        return ResolvedModel(name, Path(name).expanduser())
    if kind == "registered":
        return ResolvedModel(name, registered_model_folder(registered_model(name)))
    folder = download_pipeline(name, revision, cache_dir)
    cache_dir = None if cache_dir is None else str(cache_dir)
    return ResolvedModel(name, folder, HubOrigin(name, folder.name, cache_dir))  # a snapshot folder: its commit


def model_kind(name: str) -> str:
    """What a model argument names, found without downloading anything: "folder" (a pipeline folder),
    "registered" or "hub" (a repository id); raises InvalidInputError where it can name none."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise InvalidInputError(f"The folder {name} is not a pipeline folder: it has no model_index.json.")
        return "folder"
    if registered_model(name):
        return "registered"
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        raise InvalidInputError(
            f"The model {name!r} is not a folder here, nor a registered name{closest_name(name)}, nor a Hub "
            "repository id (owner/name)."
        ) from None
    return "hub"


def closest_name(name: str) -> str:
    """" (did you mean 'vox-256'?)" for a name close to a registered one, else " (fomm models lists them)"."""
    return closest_key(name, MODELS) or " (fomm models lists them)"


def download_pipeline(repo_id: str, revision: Optional[str] = None,
                      cache_dir: Optional[Union[str, os.PathLike]] = None) -> Path:
    """The pipeline files of a Hub repository, from the Hub cache (downloaded there if needed): a snapshot folder
    of the cache, named by its commit."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        folder = Path(snapshot_download(repo_id, revision=revision, cache_dir=cache_dir,
                                        allow_patterns=PIPELINE_FILES))
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


def why_unavailable(name: str) -> Optional[str]:
    """Why the model argument ``name`` cannot be loaded here: it needs a download (not converted here, not in the
    Hub cache) while the Hub is offline or out of reach; None where it can be loaded. Nothing is downloaded."""
    from huggingface_hub import constants, try_to_load_from_cache

    def cached(repo_id: str, filename: str, repo_type: str = "model", revision: Optional[str] = None) -> bool:
        return isinstance(try_to_load_from_cache(repo_id, filename, revision=revision, repo_type=repo_type), str)

    kind = model_kind(name)
    if kind == "folder":
        return None
    if kind == "registered":
        model = registered_model(name)
        if model.folder is not None or is_converted(model) or any(
            cached(mirror.repo_id, mirror.filename, mirror.repo_type, mirror.revision) for mirror in model.mirrors
        ):
            return None
        needs = "it is not converted here and its checkpoint is not in the Hub cache"
    elif cached(name, "model_index.json"):
        return None
    else:
        needs = "it is not in the Hub cache"
    if constants.HF_HUB_OFFLINE:
        return f"{needs}, and the Hub is offline (HF_HUB_OFFLINE=1)"
    if not hub_is_reachable():
        return f"{needs}, and the Hub at {constants.ENDPOINT} cannot be reached"
    return None
