"""The logic of the Gradio app (``app.py`` at the top of the repository holds its layout)."""

from .animator import MOTION_MODES, Animator
from .cropping import CROP_MODES, crop_source
from .examples import find_examples
from .settings import AppSettings

__all__ = ["CROP_MODES", "MOTION_MODES", "Animator", "AppSettings", "crop_source", "find_examples"]
