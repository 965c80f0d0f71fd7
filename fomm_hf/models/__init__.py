from .dense_motion import DenseMotionNetwork
from .discriminator import DiscriminatorOutput, MultiScaleDiscriminator
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KeypointDetector
from .outputs import DenseMotionOutput, GeneratorOutput, KeypointOutput

__all__ = [
    "DenseMotionNetwork",
    "DenseMotionOutput",
    "DiscriminatorOutput",
    "GeneratorOutput",
    "KeypointDetector",
    "KeypointOutput",
    "MultiScaleDiscriminator",
    "OcclusionAwareGenerator",
]
