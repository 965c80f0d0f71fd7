from .best_frame import best_matching_frame
from .device import resolve_device
from .engine import AnimationEngine, MotionOptions, PreparedSource

__all__ = ["AnimationEngine", "MotionOptions", "PreparedSource", "best_matching_frame", "resolve_device"]
