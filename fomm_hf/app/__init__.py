"""The logic of the Gradio app (``app.py`` at the top of the repository holds its layout).

Its names are imported on first use: the settings and the model menu are checked before gradio and torch load.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "CROP_MODES": "fomm_hf.app.cropping",
    "MOTION_MODES": "fomm_hf.app.animator",
    "Animator": "fomm_hf.app.animator",
    "AppSettings": "fomm_hf.app.settings",
    "LiveTab": "fomm_hf.app.live",
    "ModelMenu": "fomm_hf.app.model_menu",
    "find_examples": "fomm_hf.app.examples",
    "on_zero_gpu": "fomm_hf.app.zero_gpu",
    "refusing_unreadable_images": "fomm_hf.app.messages",
    "source_crop": "fomm_hf.app.cropping",
}
__all__ = [
    "CROP_MODES",
    "MOTION_MODES",
    "Animator",
    "AppSettings",
    "LiveTab",
    "ModelMenu",
    "find_examples",
    "on_zero_gpu",
    "refusing_unreadable_images",
    "source_crop",
]

if TYPE_CHECKING:
    from .animator import MOTION_MODES, Animator
    from .cropping import CROP_MODES, source_crop
    from .examples import find_examples
    from .live import LiveTab
    from .messages import refusing_unreadable_images
    from .model_menu import ModelMenu
    from .settings import AppSettings
    from .zero_gpu import on_zero_gpu

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
