"""Finding the subject of a picture, for the models of a category (:func:`subject_detector`).

Faces (the face models and the bundled cartoon-face model): OpenCV's frontal-face cascade, which ships with
opencv-python-headless 4 and runs offline. Bodies, cartoon animals and the robot arm: zero-shot detection with
OWLv2 (:mod:`.zero_shot`), prompted with the category's name, whose checkpoint is fetched from the Hub on first
use; where it cannot be (offline, nothing cached), nothing is framed, and the note says so.
"""

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np

from ..categories import FACE_CATEGORIES, current_name
from .squares import Box, Detection, Square

DETECTION_SIDES = (256, 512)  # faces are looked for in a copy of the image reduced to this size, then this
NEAR_FACE_SIDE = 64  # around a known face, in a copy reduced so that the face is at most this size
FACE_CASCADE = "haarcascade_frontalface_default.xml"
ROLL_ANGLES = (25.0, -25.0, 50.0, -50.0)  # degrees: a tilted head is looked for in copies turned by these
# Where no face is found in a picture's luma, upright or turned, the detector of drawn faces looks for one again,
# upright, in these grey renderings of the picture, in turn: (rendering, enlargement). See FaceDetector.
DRAWN_FACE_RENDERINGS = (("value", 1.0), ("negative", 1.0), ("value", 1.25))
FACE_RENDERINGS = {"face": (), "cartoon-face": DRAWN_FACE_RENDERINGS}  # the renderings searched, by category


@dataclass(frozen=True)
class SquareRule:
    """How a detection becomes the square a model animates: the training crops' framing of that category."""

    margin: float  # side of the square / larger side of the detected box
    raise_by: float  # the square's centre is this fraction of the box's side above the box's centre

    def square(self, box: Box) -> Square:
        return Square.around(box, self.margin, self.raise_by)


# Faces: the cascade's box covers brows to chin; the square holds head, hair and neck, as VoxCeleb's crops do.
# Cartoon faces: the bundled model's training frames show the face at about 1/1.8 of the frame, a little above
# its centre (hair above, shoulders below). Bodies and
# cartoon animals fill most of their training frames; the robot arm is a third of BAIR's view of the table.
SQUARE_RULES = {
    "face": SquareRule(margin=2.2, raise_by=0.1),
    "cartoon-face": SquareRule(margin=1.8, raise_by=-0.08),
    "body": SquareRule(margin=1.15, raise_by=0.0),
    "cartoon-animal": SquareRule(margin=1.2, raise_by=0.0),
    "robot-arm": SquareRule(margin=3.0, raise_by=0.0),
}
ZERO_SHOT_PROMPTS = {"body": "a person", "cartoon-animal": "a cartoon animal", "robot-arm": "a robot arm"}


class FaceDetector:
    """OpenCV's frontal-face Haar cascade: offline (its model ships with opencv-python-headless 4), boxes only.

    The picture's contrast is evened out locally first (CLAHE), which finds more faces than the usual global
    equalisation (the cascade was trained on photographs and misses many cartoons).
    The cascade finds upright faces (within about 15 degrees); where it finds none, it looks again in copies
    turned by ``ROLL_ANGLES``, so that a head tilted to one side is still found, as the speaker's in the second
    half of carphone.mp4.
    Where it finds none at all, the detector of drawn faces (``renderings``: ``DRAWN_FACE_RENDERINGS``) looks
    again, upright, in other grey renderings of the picture, for cartoon faces with dark skin: the cascade looks for
    eyes darker than the cheeks and forehead, as in photographs, and a cartoon face darker than the whites of its
    eyes has the opposite contrast in luma. The brightest channel (HSV's value) makes coloured skin lighter, the
    negative turns the contrast round, and the cascade's responses to drawn faces come and go with a few percent of
    scale, so the brightest channel is searched once more 1.25 times larger. Faces found in luma are found as
    before; a picture without any face costs the searches of the renderings too. How many faces each finds, and
    the milliseconds they take: docs/animating.md (``python benchmarks/face_detection.py``).
    The detector of real faces has no other renderings: in photographs they find more things that are not faces.
    Calls are serialised: a ``CascadeClassifier`` is not safe to share between threads.
    """

    detections_per_second = 10  # each is fast (docs/animating.md gives the figures): the video is sampled densely
    quick_near = True  # a search around a known face takes a few milliseconds (docs/live.md)

    def __init__(self, cascade: Path, renderings: tuple = ()):
        import cv2

        self.renderings = tuple(renderings)  # (rendering, enlargement) searched after the luma
        self._cascade = cv2.CascadeClassifier(str(cascade))
        self._contrast = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        self._lock = threading.Lock()

    def __call__(self, image: np.ndarray, near: Optional[Detection] = None) -> List[Detection]:
        """The faces in an RGB image (H, W, 3) uint8, largest first; with ``near`` (the face found in the frame
        before), only faces of about its size around it, turned first as it was found (a head tilted then is
        likely tilted still), which is several times faster."""
        if near is None:  # in a copy reduced to 256 pixels (most faces of a portrait), else to 512 (smaller ones)
            for side in DETECTION_SIDES:
                detections = self._search(image, min(1.0, side / max(image.shape[:2])), {"minSize": (24, 24)})
                if detections or side >= max(image.shape[:2]):
                    return detections
            return detections
        side = max(near.box.width, near.box.height)  # in a region three faces wide around it, at about its size
        (centre_x, centre_y), height, width = near.box.centre, *image.shape[:2]
        left, top = max(0, round(centre_x - 1.5 * side)), max(0, round(centre_y - 1.5 * side))
        bottom, right = min(height, round(centre_y + 1.5 * side)), min(width, round(centre_x + 1.5 * side))
        # reduced, but never further than the whole picture's first search reduces it (where a face larger than a
        # quarter of a small picture was found, at that scale: a drawn face is missed in a smaller copy)
        scale = max(min(1.0, NEAR_FACE_SIDE / side), min(1.0, DETECTION_SIDES[0] / max(height, width)))
        sizes = {"minSize": (max(24, round(0.6 * side * scale)),) * 2, "maxSize": (round(1.6 * side * scale),) * 2}
        return [
            Detection(detection.box.moved(left, top), detection.score, detection.roll)
            for detection in self._search(image[top:bottom, left:right], scale, sizes, near.roll)
        ]

    def _search(self, image: np.ndarray, scale: float, sizes: dict, first_roll: float = 0.0) -> List[Detection]:
        """The faces of the sizes ``sizes`` says (cascade options, in the reduced copy) in a copy of ``image``
        reduced by ``scale``, largest first, in ``image``'s pixels: in its luma, turned by ``first_roll``, else
        by the other angles (upright first), else in ``renderings``, upright."""
        image = np.ascontiguousarray(image)
        rolls = (first_roll, *(angle for angle in (0.0, *ROLL_ANGLES) if angle != first_roll))
        for rendering, enlargement in (("luma", 1.0), *self.renderings):
            grey = self._contrast.apply(rendered(image, rendering, scale * enlargement))
            enlarged = {option: (round(size * enlargement),) * 2 for option, (size, _) in sizes.items()}
            for angle in rolls if rendering == "luma" else (0.0,):
                if detections := self._search_turned(grey, angle, enlarged):
                    detections = [Detection(found.box.scaled(1 / (scale * enlargement)), found.score, found.roll)
                                  for found in detections]
                    return sorted(detections, key=lambda detection: -detection.box.area)
        return []

    def _search_turned(self, grey: np.ndarray, angle: float, sizes: dict) -> List[Detection]:
        """The faces in ``grey`` turned by ``angle`` degrees (anticlockwise) about its centre, as boxes of the same
        size around the faces' centres turned back, in ``grey``'s pixels."""
        import cv2

        height, width = grey.shape
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)  # (2, 3): grey -> turned copy
        if angle:
            grey = cv2.warpAffine(grey, turn, (width, height), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
        with self._lock:
            boxes, _, weights = self._cascade.detectMultiScale3(
                grey, scaleFactor=1.1, minNeighbors=3, outputRejectLevels=True, **sizes
            )
        turn_back = cv2.invertAffineTransform(turn)
        detections = []
        for (x, y, w, h), weight in zip(boxes, np.ravel(weights)):
            centre_x, centre_y = turn_back @ (x + w / 2, y + h / 2, 1.0)
            box = Box(centre_x - w / 2, centre_y - h / 2, centre_x + w / 2, centre_y + h / 2)
            detections.append(Detection(box, float(weight), angle))
        return detections


def rendered(image: np.ndarray, rendering: str, scale: float) -> np.ndarray:
    """A grey copy (H, W) uint8 of an RGB ``image``, resized by ``scale``: its luma, its brightest channel
    ("value") or the negative of its luma."""
    import cv2

    grey = image.max(axis=2) if rendering == "value" else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if scale != 1:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=interpolation)
    return 255 - grey if rendering == "negative" else grey


@functools.cache
def face_detector(renderings: tuple = ()) -> Optional[FaceDetector]:
    """The offline face detector (searching ``renderings`` after the luma: ``FACE_RENDERINGS``), or None where
    OpenCV or its cascade files are not installed."""
    try:
        import cv2
    except ImportError:
        return None
    cascade = Path(getattr(getattr(cv2, "data", None), "haarcascades", "")) / FACE_CASCADE
    if not hasattr(cv2, "CascadeClassifier") or not cascade.is_file():
        return None  # OpenCV 5 no longer ships the cascades
    return FaceDetector(cascade, renderings)


def subject_detector(category: Optional[str]):
    """(detector, square rule, note) for the models of ``category``; the detector is None where there is none
    here, and the note then says why."""
    category = current_name(category)  # "cartoon face" of earlier versions is "cartoon-face"
    if category in FACE_CATEGORIES:
        if (detector := face_detector(FACE_RENDERINGS.get(category, ()))) is None:
            return None, None, "No face detector is installed (opencv-python-headless<5)"
        return detector, SQUARE_RULES[category], ""
    if category in ZERO_SHOT_PROMPTS:
        from .zero_shot import zero_shot_checkpoint

        try:
            return zero_shot_detector(ZERO_SHOT_PROMPTS[category], zero_shot_checkpoint()), SQUARE_RULES[category], ""
        except ImportError:
            return None, None, "The zero-shot detector needs transformers (pip install transformers)"
        except OSError:
            return None, None, (f"The zero-shot detector {zero_shot_checkpoint()} is not in the Hub cache and could "
                                "not be downloaded")
    return None, None, f"No subject detector for this model's category ({category or 'not recorded'})"


@functools.lru_cache(maxsize=4)
def zero_shot_detector(prompt: str, checkpoint: str):
    """The OWLv2 detector of ``prompt``, loaded once (a few seconds) and kept."""
    from .zero_shot import ZeroShotDetector

    return ZeroShotDetector(prompt, checkpoint)
