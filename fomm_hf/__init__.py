"""First Order Motion Model for image animation (Siarohin et al., NeurIPS 2019) on the Hugging Face stack."""

from .models import (
    DenseMotionNetwork,
    KeypointDetector,
    KeypointOutput,
    MultiScaleDiscriminator,
    OcclusionAwareGenerator,
)
from .motion import transfer_motion
from .pipelines import FOMMPipeline, FOMMPipelineOutput

__all__ = [
    "DenseMotionNetwork",
    "FOMMPipeline",
    "FOMMPipelineOutput",
    "KeypointDetector",
    "KeypointOutput",
    "MultiScaleDiscriminator",
    "OcclusionAwareGenerator",
    "transfer_motion",
]
