from .loading import load_pipeline
from .pipeline_fomm import FOMMPipeline, FOMMPipelineOutput

__all__ = ["FOMMPipeline", "FOMMPipelineOutput", "load_pipeline"]
