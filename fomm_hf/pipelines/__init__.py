"""The pipeline, the front door of the package: every animation runs through :class:`FOMMPipeline`."""

from .loading import ResolvedModel, load_pipeline, resolve_model
from .pipeline_fomm import AnimationResult, FOMMPipeline, FOMMPipelineOutput

__all__ = ["AnimationResult", "FOMMPipeline", "FOMMPipelineOutput", "ResolvedModel", "load_pipeline", "resolve_model"]
