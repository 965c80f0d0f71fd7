"""Inference: the streaming animation engines (PyTorch, exported graphs), and the device and precision they run in."""

from .device import (
    Variant,
    fast_variant,
    inference_dtype,
    limit_threads_here,
    reduced_precision_dtype,
    resolve_device,
)
from .engine import EncodedSource, StreamingEngine, TorchEngine

__all__ = [
    "EncodedSource",
    "StreamingEngine",
    "TorchEngine",
    "Variant",
    "fast_variant",
    "inference_dtype",
    "limit_threads_here",
    "reduced_precision_dtype",
    "resolve_device",
]
