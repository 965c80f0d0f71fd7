"""The networks of the First Order Motion Model, as diffusers models, and the configuration that builds them."""

from .dense_motion import DenseMotionNetwork
from .discriminator import MultiScaleDiscriminator
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KeypointDetector
from .model_config import ModelConfig
from .outputs import DenseMotionOutput, DiscriminatorOutput, GeneratorOutput

__all__ = [
    "DenseMotionNetwork",
    "DenseMotionOutput",
    "DiscriminatorOutput",
    "GeneratorOutput",
    "KeypointDetector",
    "ModelConfig",
    "MultiScaleDiscriminator",
    "OcclusionAwareGenerator",
]
