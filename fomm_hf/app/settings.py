"""The app's limits and defaults, set by arguments or by environment variables (for Hugging Face Spaces)."""

import os
import re
from dataclasses import dataclass, fields
from typing import Optional

from ..export.backends import BACKENDS
from ..option_values import check_range, parse_yes_no

ENV_PREFIX = "FOMM_APP_"
FILE_SIZE = re.compile(r"\d+(\.\d+)?\s*([kmgt]?b)?", re.IGNORECASE)  # as gradio's launch(max_file_size=...) reads it
MINIMUMS = {"max_seconds": 0, "max_frames": 0, "min_image_side": 2, "max_image_side": 2, "concurrency_limit": 1,
            "max_queue_size": 1, "cached_models": 1, "batch_size": 1, "results_lifetime": 1, "gpu_seconds": 1,
            "gpu_seconds_per_frame": 0, "live_viewers": 1, "live_seconds": 0, "live_fps": 1,
            "live_threads": 0}


@dataclass(frozen=True)
class AppSettings:
    """Limits of one app instance; each field can be set through ``$FOMM_APP_<FIELD NAME IN CAPITALS>``.

    Driving videos longer than ``max_seconds`` or ``max_frames`` are cut to that length (the status line says
    so); 0 means no limit.
    """

    max_seconds: float = 30.0  # of driving video animated
    max_frames: int = 0  # of driving video animated
    max_file_size: str = "50mb"  # of an upload, as gradio's launch(max_file_size=...) reads it
    min_image_side: int = 32  # pixels; smaller source images are refused
    max_image_side: int = 4096  # pixels; larger source images are scaled down to it first
    concurrency_limit: int = 2  # animations running at once; the others wait in the queue
    max_queue_size: int = 32  # requests waiting; more are turned away
    cached_models: int = 2  # loaded models kept in memory
    batch_size: int = 4  # driving frames animated together
    results_lifetime: int = 3600  # seconds that result videos stay downloadable
    # The models offered besides the default one ($FOMM_MODEL, else the bundled model): registered names, pipeline
    # folders or Hub repo ids, comma-separated; empty: the registry's face models.
    models: str = ""
    allow_any_model: bool = False  # also take any model a visitor types (registered name, folder or repo id)
    preload_models: bool = False  # load the offered models at start (always on ZeroGPU Spaces)
    device: str = ""  # where models run: cpu, cuda, ...; empty: the best available
    gpu_seconds: float = 30.0  # ZeroGPU: GPU time asked for an animation, plus gpu_seconds_per_frame per frame
    gpu_seconds_per_frame: float = 0.1
    backend: str = "pytorch"  # or onnxruntime / openvino: the models' exported graphs, on the CPU (see README)
    int8: bool = False  # with backend openvino: int8 graphs, made on the first animation and cached
    # The Live tab (the webcam animates the source picture, fomm_hf.app.live): hidden on ZeroGPU Spaces.
    live: bool = True  # the Live tab on or off
    live_viewers: int = 2  # viewers animated live at once; the others wait in the queue
    live_seconds: float = 120.0  # of live animation per viewer (a page load); then the camera stops; 0: no limit
    live_fps: float = 12.0  # camera frames each viewer's browser sends per second (see docs/app.md#live)
    live_threads: int = 1  # PyTorch CPU threads per live viewer (0: PyTorch's default, all cores); see docs/app.md

    def __post_init__(self):
        for name, least in MINIMUMS.items():
            check_range(f"${ENV_PREFIX}{name.upper()}", getattr(self, name), least)
        if self.max_image_side < self.min_image_side:
            raise ValueError(f"${ENV_PREFIX}MAX_IMAGE_SIDE ({self.max_image_side}) must be at least "
                             f"${ENV_PREFIX}MIN_IMAGE_SIDE ({self.min_image_side}).")
        if not FILE_SIZE.fullmatch(self.max_file_size.strip()):
            raise ValueError(f"${ENV_PREFIX}MAX_FILE_SIZE must be a size such as 50mb or 1gb; got "
                             f"{self.max_file_size!r}.")
        if self.backend not in BACKENDS:
            raise ValueError(f"${ENV_PREFIX}BACKEND must be one of {', '.join(BACKENDS)}; got {self.backend!r}.")
        if self.int8 and self.backend != "openvino":
            raise ValueError(f"${ENV_PREFIX}INT8 needs ${ENV_PREFIX}BACKEND=openvino.")

    @classmethod
    def from_env(cls, **overrides) -> "AppSettings":
        """Defaults, replaced by the $FOMM_APP_* variables that are set, replaced by ``overrides``."""
        values = {}
        for field in fields(cls):
            variable = ENV_PREFIX + field.name.upper()
            text = os.environ.get(variable)
            if text:
                try:
                    values[field.name] = parse_yes_no(text) if field.type is bool else field.type(text)
                except ValueError:
                    raise ValueError(f"${variable} must be of type {field.type.__name__}; got {text!r}.") from None
        return cls(**{**values, **overrides})

    def gpu_duration(self, frames: int) -> float:
        """Seconds of GPU time to ask a ZeroGPU Space for, to animate ``frames`` frames."""
        return self.gpu_seconds + self.gpu_seconds_per_frame * frames

    def frame_limit(self, fps: float) -> Optional[int]:
        """The most driving frames to animate at ``fps``, or None for no limit."""
        limits = [self.max_frames] if self.max_frames else []
        if self.max_seconds:
            limits.append(max(1, int(self.max_seconds * fps)))
        return min(limits) if limits else None

