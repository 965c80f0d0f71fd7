"""What of the source picture is animated: the square around its subject, its centre, or all of it padded.

"subject" is the package's framing (:mod:`fomm_hf.framing`: the largest face for the face models, a body or an
animal for the others, pasted back into the whole picture); "crop" (the centre square) and "pad" are the image
loader's own fits (:mod:`fomm_hf.images`), so the app animates the same pixels as ``fomm animate`` and
``pipe(...)``, and says the same of them.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np
import PIL.Image
import PIL.ImageDraw
import torch

from ..errors import InvalidInputError
from ..framing import SubjectFramer
from ..images import fit_square

CROP_MODES = {"subject": "Around the subject (detected)", "crop": "Centre square", "pad": "Whole image (padded)"}
CROP_SETTINGS = {"subject": ("auto", "crop"), "crop": ("none", "crop"), "pad": ("none", "pad")}  # (framing, fit)
PREVIEW_SIDE = 512  # previews are reduced to this size (for display only)
BOX_COLOUR = (255, 64, 0)


@dataclass(frozen=True)
class SourceCrop:
    framing: str  # the pipeline's framing: "auto" or "none"
    fit: str  # how the image loader makes it square where it is not framed: "crop" or "pad"


def source_crop(image: np.ndarray, mode: str, min_side: int = 32) -> SourceCrop:
    """How to animate an RGB picture (H, W, 3) in ``mode`` (a key of CROP_MODES); refuses pictures under
    ``min_side`` pixels."""
    if mode not in CROP_MODES:
        raise InvalidInputError(f"The crop must be one of {', '.join(CROP_MODES)}; got {mode!r}.")
    height, width = image.shape[:2]
    if min(height, width) < min_side:
        raise InvalidInputError(
            f"The source image is {width}x{height} pixels: it must be at least {min_side} pixels on each side."
        )
    return SourceCrop(*CROP_SETTINGS[mode])


def preview(image: np.ndarray, crop: SourceCrop, category: Optional[str]) -> tuple:
    """(picture, note): the square that is animated, or with framing the whole picture with the square drawn on
    it (the note says when no subject is found, and what is animated instead)."""
    if crop.framing == "auto":
        framed = SubjectFramer(category).frame_source(image, crop.fit)
        if framed.square is None:
            return square_preview(image, crop.fit), framed.note
        scale = min(1.0, PREVIEW_SIDE / max(image.shape[:2]))
        picture = PIL.Image.fromarray(image)
        if scale < 1:
            picture = picture.resize((round(image.shape[1] * scale), round(image.shape[0] * scale)))
        square = framed.square
        corners = [square.left * scale, square.top * scale, (square.left + square.side) * scale,
                   (square.top + square.side) * scale]
        PIL.ImageDraw.Draw(picture).rectangle(corners, outline=BOX_COLOUR, width=max(2, round(picture.width / 150)))
        return np.asarray(picture), ""
    return square_preview(image, crop.fit), ""


def square_preview(image: np.ndarray, fit: str) -> np.ndarray:
    """The square the image loader makes of ``image`` with ``fit``, at most PREVIEW_SIDE pixels wide."""
    square = fit_square(torch.from_numpy(image).permute(2, 0, 1), fit).permute(1, 2, 0).numpy()
    if square.shape[0] <= PREVIEW_SIDE:
        return np.ascontiguousarray(square)
    size = (PREVIEW_SIDE, PREVIEW_SIDE)
    return np.asarray(PIL.Image.fromarray(np.ascontiguousarray(square)).resize(size, PIL.Image.Resampling.LANCZOS))
