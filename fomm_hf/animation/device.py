"""Device, precision and thread choices for inference."""

import ctypes
import ctypes.util
import functools
import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True)
class Variant:
    """A way to run the networks: a backend and a precision."""

    backend: str  # "pytorch" or "openvino"
    precision: str  # "float32", "bfloat16", "float16" or "int8"


def fast_variant(device: torch.device) -> Variant:
    """The quickest reduced-precision variant on ``device``, which the fast mode runs (docs/performance.md has the
    measurements behind the choice): on GPUs, PyTorch in bfloat16 or float16; on a CPU with bfloat16 arithmetic
    (AVX512-BF16 or AMX), OpenVINO in bfloat16 where it is installed, else PyTorch in bfloat16; on a CPU without
    it, OpenVINO int8 where OpenVINO and NNCF are installed, else float32 (no faster)."""
    reduced = reduced_precision_dtype(device)
    if device.type != "cpu":
        return Variant("pytorch", str(reduced).removeprefix("torch.") if reduced else "float32")
    if importlib.util.find_spec("openvino") is not None:
        from .exported import openvino_has_bf16

        if reduced is not None and openvino_has_bf16():
            return Variant("openvino", "bfloat16")
        if reduced is None and importlib.util.find_spec("nncf") is not None:
            return Variant("openvino", "int8")
    return Variant("pytorch", "bfloat16" if reduced is not None else "float32")


def limit_threads_here(count: int) -> bool:
    """Runs the PyTorch CPU work of the calling thread on ``count`` threads, and leaves the process's other threads
    as they are (``torch.set_num_threads`` sets them all). It sets OpenMP's own per-thread count (PyTorch's CPU
    kernels and oneDNN's convolutions parallelise with OpenMP), once PyTorch has given this thread the process's
    setting. Returns False, changing nothing, where no OpenMP library of PyTorch's can be found."""
    openmp = openmp_library()
    if openmp is None:
        return False
    torch.get_num_threads()  # PyTorch sets a thread's OpenMP count at its first use: before ours, not after
    openmp.omp_set_num_threads(count)
    return torch.get_num_threads() == count


@functools.lru_cache(maxsize=None)
def openmp_library() -> Optional[ctypes.CDLL]:
    """The OpenMP runtime PyTorch uses (the one shipped in torch/lib, else the system's), or None."""
    shipped = sorted(Path(torch.__file__).parent.joinpath("lib").glob("lib*omp*.so*"))
    for path in [*map(str, shipped), ctypes.util.find_library("gomp"), ctypes.util.find_library("omp")]:
        if path:
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None
