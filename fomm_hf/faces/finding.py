"""Finding the face of each frame, following it from frame to frame: its 68 landmarks (dlib's shape predictor) and
its identity embedding (dlib's network, in PyTorch: :mod:`.dlib_network`).

- A face is dlib's HOG frontal-face detector's box (where it finds several, the largest; boxes within one step of
  its pyramid, 6/5, count as one size, and the highest score wins among them), and its landmarks those of dlib's
  68-point shape predictor from that box, in the frame's pixels; its identity embedding is that of the face aligned
  on a 150x150 chip by those landmarks.
- Following (``follow=True``, the default): once a face is found, each next frame looks for it only in a square
  twice its size around its last place, on the frame's grid of detector cells (where the detector sees what it
  sees in the whole frame). This costs a few milliseconds instead of tens, and a face elsewhere (another person,
  or a false detection such as a round badge) is never taken for it. A frame where it is not found there has no
  face, and the next one looks around the same place: a face that comes back elsewhere (after a cut) is not found
  again. With ``follow=False`` every frame is searched whole, as a per-frame detector does. Frames under 240 px
  (``3 * SMALLEST_FACE``) are searched, whole or near the face, in a copy enlarged twice (their faces are smaller
  than the detector's window); a face over 400 px in a copy reduced by a whole factor.

Frames are uint8 RGB arrays (H, W, 3): one, an (N, H, W, 3) array, or any iterable of them (a video's
``frames()``), read one at a time; faces are embedded in batches of ``BATCH_SIZE`` as they come. Speed, and how
closely following agrees with searching every frame: docs/metrics.md.
"""

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Tuple

import numpy as np

from ..categories import FACE_CATEGORIES
from ..errors import InvalidInputError, MissingExtraError
from .dlib_network import EMBEDDING_SIZE, EmbeddingNetwork

MISSING_EXTRA = ("Face metrics need the optional extra fomm_hf[faces]: pip install 'fomm_hf[faces]' (dlib's face "
                 "landmarks and identity embedding; not for commercial use: see the README)")
LANDMARK_MODEL = "shape_predictor_68_face_landmarks.dat"
EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
NUM_LANDMARKS = 68
CHIP_SIDE = 150  # the embedding network's input: the face aligned on a square chip of this side
CHIP_PADDING = 0.25  # dlib's default margin around the aligned face
SMALLEST_FACE = 80  # px: the detector's window
PYRAMID_STEP = 6 / 5  # the detector's scales: boxes within one step count as one size
REDUCED_FACE = 200  # px: faces over twice this size are looked for in a copy reduced by a whole factor
NEAR_SIDE = 2.0  # a followed face is looked for in a square this many times its side, around its last place
CELL = 8  # px: the detector's HOG cells
BATCH_SIZE = 16  # faces embedded at once


@dataclass
class FaceLandmarks:
    """The face of each of N frames: where it was found, and its 68 landmarks (dlib's iBUG 300-W order)."""

    points: np.ndarray  # (N, 68, 2) float32: x, y in the frames' pixels; NaN where no face was found
    found: np.ndarray  # (N,) bool
    size: Tuple[int, int]  # (width, height) of the frames

    def scaled(self, side: int = 256) -> np.ndarray:
        """The points (N, 68, 2) in the pixels of the frames resized to side x side."""
        width, height = self.size
        return self.points * np.array([side / width, side / height], dtype=np.float32)


@dataclass
class Faces(FaceLandmarks):
    """The face of each of N frames, with its identity embedding."""

    embeddings: Optional[np.ndarray]  # (N, 128) float32, NaN rows where no face was found; None if not asked for


def faces_available() -> bool:
    """Whether the extra fomm_hf[faces] is installed (dlib and its models), checked without importing it."""
    return importlib.util.find_spec("dlib") is not None and models_folder() is not None


def why_no_faces(category: Optional[str]) -> str:
    """Why the faces of a model of ``category`` are not looked for, in words ("" where they are): dlib's faces are
    looked for in face models' frames (the best frame, the face metrics and scores) where the extra is installed."""
    if category not in FACE_CATEGORIES:
        return "not a face model"
    return "" if faces_available() else "the extra fomm_hf[faces] is not installed: pip install 'fomm_hf[faces]'"


def face_landmarks(frames, follow: bool = True) -> FaceLandmarks:
    """The landmarks of the face in each frame (see the module); raises MissingExtraError without the extra."""
    faces = find_faces(frames, embed=False, follow=follow)
    return FaceLandmarks(faces.points, faces.found, faces.size)


def identity_embedding(frames, follow: bool = True) -> np.ndarray:
    """The identity embedding of the face in each frame, (N, 128) float32 with NaN rows where no face was found."""
    return find_faces(frames, follow=follow).embeddings


def find_faces(frames, embed: bool = True, follow: bool = True) -> Faces:
    """The landmarks and, with ``embed``, the identity embedding of the face in each frame, each frame's face found
    once; raises MissingExtraError without the extra."""
    dlib = require_extra()
    finder = FaceFinder(follow)
    points, chips, embedded, embeddings, size = [], [], [], [], None
    for index, frame in enumerate(rgb_frames(frames)):
        size = size or frame.shape[1::-1]
        if frame.shape[1::-1] != size:
            raise InvalidInputError(f"frames[{index}] is {frame.shape[1]}x{frame.shape[0]}; frames[0] is "
                                    f"{size[0]}x{size[1]}: the frames of a video must have one size.")
        shape = finder(frame)
        points.append(np.full((NUM_LANDMARKS, 2), np.nan, np.float32) if shape is None else
                      np.array([(point.x, point.y) for point in shape.parts()], np.float32))
        if shape is not None and embed:
            chips.append(dlib.get_face_chip(frame, shape, size=CHIP_SIDE, padding=CHIP_PADDING))
            embedded.append(index)
        if len(chips) == BATCH_SIZE:
            embeddings.append(embedding_network()(np.stack(chips)))
            chips = []
    if not points:
        raise InvalidInputError("frames is empty: at least one frame is needed.")
    points = np.stack(points)
    faces = Faces(points, ~np.isnan(points[:, 0, 0]), tuple(size), None)
    if embed:
        faces.embeddings = np.full((len(points), EMBEDDING_SIZE), np.nan, np.float32)
        if chips:
            embeddings.append(embedding_network()(np.stack(chips)))
        if embedded:
            faces.embeddings[embedded] = np.concatenate(embeddings)
    return faces


def face_size(points: np.ndarray) -> float:
    """The size of a face from its landmarks (68, 2): the square root of the area of their convex hull, as the
    original demo's ``normalize_kp`` measures it."""
    import cv2

    return float(np.sqrt(cv2.contourArea(cv2.convexHull(points.astype(np.float32)))))


def require_extra():
    """The dlib module; raises MissingExtraError where the extra is not installed."""
    try:
        import dlib
    except ImportError:
        raise MissingExtraError(MISSING_EXTRA) from None
    if models_folder() is None:
        raise MissingExtraError(MISSING_EXTRA)
    return dlib


def models_folder() -> Optional[Path]:
    """face_recognition_models' folder of model files, found without importing the package (which imports
    pkg_resources, gone from recent setuptools); None where it is not installed."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(spec.submodule_search_locations[0]) / "models"
    return folder if (folder / LANDMARK_MODEL).is_file() and (folder / EMBEDDING_MODEL).is_file() else None


@functools.lru_cache(maxsize=None)
def dlib_model(name: str):
    """dlib's "detector" (HOG) or "landmarks" (the 68-point shape predictor), loaded once (docs/metrics.md: about a
    second together)."""
    dlib = require_extra()
    if name == "detector":
        return dlib.get_frontal_face_detector()
    return dlib.shape_predictor(str(models_folder() / LANDMARK_MODEL))


def rgb_frames(frames) -> Iterator[np.ndarray]:
    """The frames one at a time, checked: a uint8 (H, W, 3) array, an (N, H, W, 3) array, or an iterable of them."""
    if isinstance(frames, np.ndarray) and frames.ndim == 3:
        frames = [frames]
    for index, frame in enumerate(frames):
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            described = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
            raise InvalidInputError(f"frames[{index}] must be a uint8 RGB array (H, W, 3); got {described}.")
        yield np.ascontiguousarray(frame)


class FaceFinder:
    """Finds the face of each frame of a sequence in turn, following it from frame to frame (see the module)."""

    def __init__(self, follow: bool = True):
        self.follow = follow
        self.last: Optional[Tuple[float, float, float]] = None  # centre x, centre y and side of the face found last

    def __call__(self, frame: np.ndarray):
        """The face's 68 landmarks in ``frame`` (a dlib full_object_detection), or None."""
        import dlib

        height, width = frame.shape[:2]
        enlarge = min(height, width) < 3 * SMALLEST_FACE
        if self.follow and self.last is not None:
            x, y, side = self.last
            half, reduce = NEAR_SIDE * side / 2, max(1, int(side // REDUCED_FACE))
            grid = CELL * reduce  # the square starts on the whole frame's grid of cells
            left, top = max(0, int(x - half)) // grid * grid, max(0, int(y - half)) // grid * grid
            right, bottom = min(width, round(x + half)), min(height, round(y + half))
            box = detect(frame[top:bottom, left:right], enlarge, reduce)
        else:
            left = top = 0
            box = detect(frame, enlarge)
        if box is None:
            return None
        box = box + np.array([left, top, left, top])
        self.last = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0])
        return dlib_model("landmarks")(frame, dlib.rectangle(*map(int, np.round(box))))


def detect(image: np.ndarray, enlarge: bool, reduce: int = 1) -> Optional[np.ndarray]:
    """The face that dlib's HOG detector finds in ``image`` (see the module for which), in a copy enlarged twice
    or reduced ``reduce`` times: (left, top, right, bottom) in the image's pixels, or None."""
    import cv2

    if min(image.shape[:2]) < 8:
        return None
    if reduce > 1:
        image = cv2.resize(image, (image.shape[1] // reduce, image.shape[0] // reduce), interpolation=cv2.INTER_AREA)
    boxes, scores, _ = dlib_model("detector").run(np.ascontiguousarray(image), int(enlarge and reduce == 1), 0.0)
    if not boxes:
        return None
    largest = max(box.width() for box in boxes)
    box = boxes[max((i for i, box in enumerate(boxes) if box.width() * PYRAMID_STEP > largest), key=scores.__getitem__)]
    return np.array([box.left(), box.top(), box.right(), box.bottom()], dtype=np.float64) * reduce


@functools.lru_cache(maxsize=None)
def embedding_network() -> EmbeddingNetwork:
    """dlib's face embedding network in PyTorch, read once from its file."""
    require_extra()
    return EmbeddingNetwork.from_dlib(models_folder() / EMBEDDING_MODEL)
