"""Device and precision choices for inference."""

import warnings
from typing import Optional

import torch

from ..errors import InvalidInputError

DEVICE_TYPES = ("cpu", "cuda", "mps")


def resolve_device(device: Optional[str] = None) -> torch.device:
    """The requested device if this machine has it, or the best available one: CUDA, then Apple MPS, then CPU.

    Raises InvalidInputError for a device name that is not one, or a device this machine (or this build of
    torch) does not have.
    """
    if device in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        resolved = None
    if resolved is None or resolved.type not in DEVICE_TYPES:
        raise InvalidInputError(f"Unknown device {device!r}: use cpu, cuda, cuda:N or mps (or leave it out).")
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            build = "this build of torch has no CUDA" if torch.version.cuda is None else "no CUDA GPU is visible"
            raise InvalidInputError(f"The device {device!r} is not available: {build}.")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise InvalidInputError(
                f"The device {device!r} is not available: this machine has {torch.cuda.device_count()} CUDA GPU(s)."
            )
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise InvalidInputError(f"The device {device!r} is not available: Apple MPS needs a Mac with Metal.")
    return resolved


def reduced_precision_dtype(device: torch.device) -> Optional[torch.dtype]:
    """The dtype of the fast mode on ``device``, or None where it would not be faster.

    bfloat16 where the hardware computes it natively (CPUs with AVX512-BF16 or AMX, recent GPUs),
    float16 on other CUDA GPUs and on MPS.
    """
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    if device.type == "cpu" and (torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()):
        return torch.bfloat16
    return None


def inference_dtype(device: torch.device, model_dtype: torch.dtype, fast: bool) -> torch.dtype:
    """The dtype the networks run in: the models' own when they were cast to a reduced precision (``pipe.to(
    torch.float16)``), else the fast mode's where it is faster (with a warning where it is not), else float32."""
    if model_dtype != torch.float32:
        return model_dtype
    if not fast:
        return torch.float32
    dtype = reduced_precision_dtype(device)
    if dtype is None:
        warnings.warn(f"This {device.type} has no fast reduced-precision arithmetic: fast mode runs in float32.")
        return torch.float32
    return dtype
