"""Inference: the streaming animation engine, and the device and precision it runs in."""

from .device import inference_dtype, reduced_precision_dtype, resolve_device
from .engine import AnimationEngine, EncodedSource, StreamingEngine

__all__ = [
    "AnimationEngine",
    "EncodedSource",
    "StreamingEngine",
    "inference_dtype",
    "reduced_precision_dtype",
    "resolve_device",
]
