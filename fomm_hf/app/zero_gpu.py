"""Running the animation on a ZeroGPU Space: Hugging Face's shared GPUs, lent to a function for each call.

On such a Space, the ``spaces`` package (installed there) reports it, and its ``GPU`` decorator attaches a GPU to
each call of the function it wraps, for the seconds that ``duration`` (given the call's arguments) asks for.
Elsewhere, without the package or on other hardware, the function is left as it is.
"""

from typing import Callable


def runs_on_zero_gpu() -> bool:
    try:
        from spaces.config import Config  # imports spaces first, before CUDA starts, as ZeroGPU requires
    except ImportError:
        return False
    return bool(Config.zero_gpu)


def on_zero_gpu(function: Callable, duration: Callable[..., float]) -> Callable:
    """``function`` under ``spaces.GPU(duration=duration)`` on a ZeroGPU Space; ``function`` itself elsewhere."""
    if not runs_on_zero_gpu():
        return function
    import spaces

    return spaces.GPU(duration=duration)(function)
