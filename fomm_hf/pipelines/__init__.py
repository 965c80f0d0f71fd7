"""The pipeline, the front door of the package: every animation runs through :class:`FOMMPipeline`.

Its names are imported on first use (with diffusers), so that ``fomm models`` and the registry answer at once.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "AnimationResult": "fomm_hf.pipelines.pipeline_fomm",
    "FOMMPipeline": "fomm_hf.pipelines.pipeline_fomm",
    "FOMMPipelineOutput": "fomm_hf.pipelines.pipeline_fomm",
    "ResolvedModel": "fomm_hf.pipelines.loading",
    "load_pipeline": "fomm_hf.pipelines.loading",
    "resolve_model": "fomm_hf.pipelines.loading",
}
__all__ = ["AnimationResult", "FOMMPipeline", "FOMMPipelineOutput", "ResolvedModel", "load_pipeline", "resolve_model"]

if TYPE_CHECKING:
    from .loading import ResolvedModel, load_pipeline, resolve_model
    from .pipeline_fomm import AnimationResult, FOMMPipeline, FOMMPipelineOutput

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
