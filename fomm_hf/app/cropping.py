"""Choosing the square of the source image that is animated: its centre, the whole image padded, or the face.

The centre and padded squares are the image loader's own fits ("crop" and "pad", :mod:`fomm_hf.images`), so
the app animates the same pixels as ``fomm animate`` and ``pipe(...)``. Face detection uses the Haar cascade
that opencv-python(-headless) 4.x ships (fully offline); without it the face crop falls back to the centre
square, and says so.
"""

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import PIL.Image
import torch

from ..errors import InvalidInputError
from ..images import fit_square

CROP_MODES = {"centre": "Centre square", "face": "Face (detected)", "pad": "Whole image (padded)"}
FITS = {"centre": "crop", "face": "crop", "pad": "pad"}  # how the image loader makes each crop mode's image square
PREVIEW_SIDE = 512  # the preview of a larger square is reduced (for display only)
DETECTION_SIDE = 512  # faces are looked for in a copy of the image reduced to this size
FACE_MARGIN = 2.2  # side of the crop / side of the detected face box (brows to chin): head, hair and neck
FACE_RAISE = 0.1  # the crop is centred this fraction of the face box above its centre, on the head
FACE_CASCADE = "haarcascade_frontalface_default.xml"


@dataclass
class SourceCrop:
    image: np.ndarray  # (H, W, 3) uint8 RGB: the whole image, or the square around the face
    fit: str  # how the image loader makes it square: "crop" or "pad"
    note: str = ""  # what the person should know about how it was made

    def preview(self) -> np.ndarray:
        """The square that is animated, at most PREVIEW_SIDE pixels wide (for display)."""
        square = fit_square(torch.from_numpy(self.image).permute(2, 0, 1), self.fit).permute(1, 2, 0).numpy()
        if square.shape[0] <= PREVIEW_SIDE:
            return np.ascontiguousarray(square)
        size = (PREVIEW_SIDE, PREVIEW_SIDE)
        return np.asarray(PIL.Image.fromarray(np.ascontiguousarray(square)).resize(size, PIL.Image.Resampling.LANCZOS))


@functools.cache
def face_detector():
    """OpenCV's frontal face cascade, or None where OpenCV or its cascade files are not installed."""
    try:
        import cv2
    except ImportError:
        return None
    cascade = Path(getattr(getattr(cv2, "data", None), "haarcascades", "")) / FACE_CASCADE
    if not hasattr(cv2, "CascadeClassifier") or not cascade.is_file():
        return None  # OpenCV 5 no longer ships the cascades
    return cv2.CascadeClassifier(str(cascade))


_detection_lock = threading.Lock()  # a CascadeClassifier is not safe to share between threads


def largest_face(image: np.ndarray) -> Optional[Tuple[int, int, int]]:
    """(centre x, centre y, side) of the largest frontal face in an RGB image, or None."""
    import cv2

    scale = min(1.0, DETECTION_SIDE / max(image.shape[:2]))
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    with _detection_lock:
        faces = face_detector().detectMultiScale(
            cv2.equalizeHist(grey), scaleFactor=1.1, minNeighbors=5, minSize=(24, 24)
        )
    if len(faces) == 0:
        return None
    x, y, width, height = max(faces, key=lambda box: box[2] * box[3]) / scale
    return round(x + width / 2), round(y + height / 2), round(max(width, height))


def crop_around_face(image: np.ndarray, face: Tuple[int, int, int]) -> np.ndarray:
    """The square around the face (FACE_MARGIN, FACE_RAISE), moved (and shrunk where needed) to lie inside the image."""
    height, width = image.shape[:2]
    centre_x, centre_y, face_side = face
    side = min(round(face_side * FACE_MARGIN), height, width)
    left = min(max(centre_x - side // 2, 0), width - side)
    top = min(max(centre_y - round(face_side * FACE_RAISE) - side // 2, 0), height - side)
    return image[top : top + side, left : left + side]


def crop_source(image: np.ndarray, mode: str = "centre", min_side: int = 32) -> SourceCrop:
    """What to animate of an RGB image (H, W, 3), as ``mode`` (a key of CROP_MODES) says.

    Raises InvalidInputError for images under ``min_side`` pixels, and when no face is found in "face" mode.
    """
    if mode not in CROP_MODES:
        raise InvalidInputError(f"The crop must be one of {', '.join(CROP_MODES)}; got {mode!r}.")
    height, width = image.shape[:2]
    if min(height, width) < min_side:
        raise InvalidInputError(
            f"The source image is {width}x{height} pixels: it must be at least {min_side} pixels on each side."
        )
    if mode != "face":
        return SourceCrop(image, FITS[mode])
    if face_detector() is None:
        note = "No face detector is installed (opencv-python-headless<5): the centre square was used."
        return SourceCrop(image, "crop", note)
    face = largest_face(image)
    if face is None:
        raise InvalidInputError(
            "No face was found in the source image. Use a photo with a clearly visible face turned towards the "
            "camera, or choose another crop."
        )
    return SourceCrop(crop_around_face(image, face), "crop")
