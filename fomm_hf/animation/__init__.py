"""Inference: the streaming animation engine, and the device and precision it runs in."""

from .device import inference_dtype, reduced_precision_dtype, resolve_device
from .engine import AnimationEngine, EncodedSource

__all__ = ["AnimationEngine", "EncodedSource", "inference_dtype", "reduced_precision_dtype", "resolve_device"]
