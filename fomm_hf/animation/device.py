"""Device and precision choices for inference."""

from typing import Optional

import torch


def resolve_device(device: Optional[str] = None) -> torch.device:
    """The requested device, or the best available one: CUDA, then Apple MPS, then CPU."""
    if device not in (None, "", "auto"):
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def reduced_precision_dtype(device: torch.device) -> Optional[torch.dtype]:
    """The autocast dtype of the fast mode on ``device``, or None where it would not be faster.

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
