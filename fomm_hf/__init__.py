"""First Order Motion Model for image animation (Siarohin et al., NeurIPS 2019) on the Hugging Face stack.

Importing the package is cheap: the names below are imported from their modules (and torch and diffusers
with them) the first time they are used, so that ``fomm --help`` answers at once.
"""

from typing import TYPE_CHECKING

from .lazy import lazy_exports

# name -> the module that defines it
_EXPORTS = {
    "DenseMotionNetwork": "fomm_hf.models",
    "FOMMPipeline": "fomm_hf.pipelines",
    "FOMMPipelineOutput": "fomm_hf.pipelines",
    "KeypointDetector": "fomm_hf.models",
    "KeypointOutput": "fomm_hf.motion",
    "ModelConfig": "fomm_hf.models",
    "MotionOptions": "fomm_hf.motion",
    "MultiScaleDiscriminator": "fomm_hf.models",
    "OcclusionAwareGenerator": "fomm_hf.models",
    "transfer_motion": "fomm_hf.motion",
}

__all__ = [
    "DenseMotionNetwork",
    "FOMMPipeline",
    "FOMMPipelineOutput",
    "KeypointDetector",
    "KeypointOutput",
    "ModelConfig",
    "MotionOptions",
    "MultiScaleDiscriminator",
    "OcclusionAwareGenerator",
    "transfer_motion",
]

if TYPE_CHECKING:
    from .models import (
        DenseMotionNetwork,
        KeypointDetector,
        ModelConfig,
        MultiScaleDiscriminator,
        OcclusionAwareGenerator,
    )
    from .motion import KeypointOutput, MotionOptions, transfer_motion
    from .pipelines import FOMMPipeline, FOMMPipelineOutput


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
