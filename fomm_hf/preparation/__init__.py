"""Preparing training data from raw videos: subject tubes found and cut into square clips (``fomm prepare-data``).

Its names are imported on first use, so that the command line shows the settings' defaults at once.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "CLIP_FORMATS": "fomm_hf.preparation.preparation_settings",
    "ClipPlan": "fomm_hf.preparation.clips",
    "PreparationSettings": "fomm_hf.preparation.preparation_settings",
    "Tube": "fomm_hf.preparation.tubes",
    "find_tubes": "fomm_hf.preparation.tubes",
    "prepare_dataset": "fomm_hf.preparation.prepare",
}
__all__ = ["CLIP_FORMATS", "ClipPlan", "PreparationSettings", "Tube", "find_tubes", "prepare_dataset"]

if TYPE_CHECKING:
    from .clips import ClipPlan
    from .preparation_settings import CLIP_FORMATS, PreparationSettings
    from .prepare import prepare_dataset
    from .tubes import Tube, find_tubes

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
