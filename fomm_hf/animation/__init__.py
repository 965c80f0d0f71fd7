"""Inference: the streaming animation engines (PyTorch, exported graphs), and the device and precision they run in."""

from .device import inference_dtype, reduced_precision_dtype, resolve_device
from .engine import EncodedSource, StreamingEngine, TorchEngine

__all__ = [
    "EncodedSource",
    "StreamingEngine",
    "TorchEngine",
    "inference_dtype",
    "reduced_precision_dtype",
    "resolve_device",
]
