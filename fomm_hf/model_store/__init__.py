"""The model store: the models known by name, their download and conversion on first use, what a model argument
names, and pipeline folders written and shared on the Hub. It finds and writes files; the pipeline loads them.

Its names are imported on first use, so that ``fomm models`` and the registry answer at once.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "BUNDLED_MODEL": "fomm_hf.model_store.registry",
    "MODELS": "fomm_hf.model_store.registry",
    "REAL_FACE_MODEL": "fomm_hf.model_store.registry",
    "RegisteredModel": "fomm_hf.model_store.registry",
    "ResolvedModel": "fomm_hf.model_store.resolution",
    "cache_dir": "fomm_hf.model_store.conversion_cache",
    "default_model": "fomm_hf.model_store.resolution",
    "registered_model": "fomm_hf.model_store.registry",
    "resolve_model": "fomm_hf.model_store.resolution",
    "write_pipeline_folder": "fomm_hf.model_store.folders",
}
__all__ = [
    "BUNDLED_MODEL",
    "MODELS",
    "REAL_FACE_MODEL",
    "RegisteredModel",
    "ResolvedModel",
    "cache_dir",
    "default_model",
    "registered_model",
    "resolve_model",
    "write_pipeline_folder",
]

if TYPE_CHECKING:
    from .conversion_cache import cache_dir
    from .folders import write_pipeline_folder
    from .registry import BUNDLED_MODEL, MODELS, REAL_FACE_MODEL, RegisteredModel, registered_model
    from .resolution import ResolvedModel, default_model, resolve_model

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
