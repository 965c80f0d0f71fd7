"""The logic of the Gradio app (``app.py`` at the top of the repository holds its layout)."""

from .animator import MOTION_MODES, Animator
from .cropping import CROP_MODES, source_crop
from .examples import find_examples
from .messages import refusing_unreadable_images
from .model_menu import ModelMenu
from .settings import AppSettings
from .zero_gpu import on_zero_gpu

__all__ = ["CROP_MODES", "MOTION_MODES", "Animator", "AppSettings", "ModelMenu", "source_crop", "find_examples",
           "on_zero_gpu", "refusing_unreadable_images"]
