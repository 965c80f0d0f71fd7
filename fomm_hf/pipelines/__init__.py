from .pipeline_fomm import FOMMPipeline, FOMMPipelineOutput

__all__ = ["FOMMPipeline", "FOMMPipelineOutput"]
