"""The paper's face metrics, with dlib's faces (:mod:`fomm_hf.faces`, the optional extra fomm_hf[faces]).

Between a video and its reconstruction (:class:`FaceReconstructionMetrics`), as the original evaluation code (the
pose-evaluation repository) defines them:

- ``akd``: per frame, the mean absolute difference of the 68 landmarks' coordinates, in pixels of the frames
  resized to 256x256; averaged over the frames where both faces are found;
- ``mkr``: the share of the frames where the original has a face and the reconstruction has none;
- ``aed``: the squared Euclidean distance between the identity embeddings, averaged over the frames where both
  faces are found.

The original found landmarks with face-alignment and embedded the whole frame at 96x96 with OpenFace (and its
``cmp.py`` averaged the absolute differences of the embeddings' components); dlib's landmarks and embedding stand
in for them here, so the figures are comparable in kind, not in value.

Scores of any animation (:class:`AnimationFaceScores`), from the source picture, the driving frames and the
result's frames:

- identity ``aed``: the squared Euclidean distance between the source face's embedding and each animated
  frame's, averaged over the frames where the result has a face;
- motion ``akd``: the landmarks' motion in the result against the driving video's, as relative motion transfers
  it: each video's landmarks minus those of its own first frame with a face, divided by that face's size (the
  square root of the area of its landmarks' convex hull, as the original demo's ``normalize_kp``); per frame, the
  mean absolute difference of the coordinates, in percent of the face's size, averaged over the frames where both
  have a face;
- ``mkr``: the share of the frames where the driving video has a face and the result has none.

Frames are uint8 RGB arrays (H, W, 3), an (N, H, W, 3) array, or any iterable of them (a video's ``frames()``),
read one at a time.
"""

import math
from dataclasses import asdict, dataclass
from typing import List

import numpy as np

from ..errors import InvalidInputError
from ..faces import FaceLandmarks, Faces, face_size, find_faces
from ..images import rgb_array

SIDE = 256  # px: landmarks are compared in frames of this side, as the original evaluation resized its frames


@dataclass(frozen=True)
class FaceReconstructionMetrics:
    """AKD, MKR and AED between a video and its reconstruction (see the module); NaN where no frame counts."""

    akd: float  # px at 256x256, over the frames where both faces are found
    mkr: float  # share of all frames: the original has a face, the reconstruction none
    aed: float  # squared L2 distance between the embeddings, over the frames where both faces are found
    num_frames: int
    original_found: int  # frames where the original has a face
    both_found: int  # frames where both have one

    @classmethod
    def between(cls, original: Faces, reconstruction: Faces) -> "FaceReconstructionMetrics":
        """The metrics of the faces found in a video and in its reconstruction, frame by frame."""
        count = len(original.found)
        if len(reconstruction.found) != count:
            raise InvalidInputError(f"The reconstruction has {len(reconstruction.found)} frames and the original "
                                    f"{count}: a reconstruction has one frame per frame of its video.")
        both = original.found & reconstruction.found
        distances = np.abs(original.scaled(SIDE) - reconstruction.scaled(SIDE))[both].mean(axis=(1, 2))
        identity = ((original.embeddings - reconstruction.embeddings)[both] ** 2).sum(axis=1)
        return cls(akd=mean(distances), mkr=float((original.found & ~reconstruction.found).mean()),
                   aed=mean(identity), num_frames=count, original_found=int(original.found.sum()),
                   both_found=int(both.sum()))

    def as_dict(self) -> dict:
        """The metrics and counts, NaN as None (JSON's null)."""
        return json_ready(asdict(self))


@dataclass(frozen=True)
class AnimationFaceScores:
    """Identity, motion and faces lost of an animation (see the module); NaN where no frame counts."""

    aed: float  # identity: squared L2 distance between the source's embedding and the result's frames'
    akd: float  # motion: percent of the face's size, over the frames where both videos have a face
    mkr: float  # share of the frames: the driving video has a face, the result none
    num_frames: int  # frames compared: those of the result, or of the driving video where it is shorter
    source_found: bool
    driving_found: int
    result_found: int
    both_found: int

    @classmethod
    def of(cls, source: Faces, driving: FaceLandmarks, result: Faces) -> "AnimationFaceScores":
        """The scores of an animation from the faces found in its source picture, driving frames and result."""
        count = min(len(driving.found), len(result.found))
        driving_found, result_found = driving.found[:count], result.found[:count]
        both = driving_found & result_found
        motion = np.abs(relative_motion(driving)[:count] - relative_motion(result)[:count])[both].mean(axis=(1, 2))
        identity = ((result.embeddings[:count] - source.embeddings[0]) ** 2).sum(axis=1)[result_found]
        return cls(aed=mean(identity), akd=mean(100 * motion), mkr=float((driving_found & ~result_found).mean()),
                   num_frames=count, source_found=bool(source.found[0]), driving_found=int(driving_found.sum()),
                   result_found=int(result_found.sum()), both_found=int(both.sum()))

    def as_dict(self) -> dict:
        """The scores and counts, NaN as None (JSON's null)."""
        return json_ready(asdict(self))

    def summary(self) -> List[str]:
        """What ``fomm score`` prints: one line per score, with what it measures."""
        identity = ("none: no face was found in the source" if not self.source_found else
                    "none: no face was found in the result" if not self.result_found else
                    f"{self.aed:.3f} over the {self.result_found} frames with a face (dlib tells two people apart "
                    "above 0.36)")
        motion = (f"{self.akd:.1f} % of the face's size, over the {self.both_found} frames where both videos have a "
                  "face" if self.both_found else "none: no frame where both videos have a face")
        lost = round(self.mkr * self.num_frames)
        return [f"Identity (aed, the squared distance of the result's face to the source's): {identity}.",
                f"Motion (akd, the result's landmarks against the driving video's, relative motion): {motion}.",
                f"Faces lost (mkr): {self.mkr:.3f}, {lost} of {self.num_frames} frames where the driving video has a "
                "face and the result has none."]


def face_reconstruction_metrics(original, reconstruction) -> FaceReconstructionMetrics:
    """AKD, MKR and AED between the frames of a video and those of its reconstruction (see the module)."""
    return FaceReconstructionMetrics.between(find_faces(original), find_faces(reconstruction))


def score_animation(source, driving, result) -> AnimationFaceScores:
    """The identity, motion and faces-lost scores of an animation (see the module): ``source`` is the picture
    animated (a file, PIL image, array or tensor), ``driving`` and ``result`` the frames of the driving video and
    of the animation."""
    source_faces = find_faces(rgb_array(source, "source"))
    return AnimationFaceScores.of(source_faces, find_faces(driving, embed=False), find_faces(result))


def relative_motion(landmarks: FaceLandmarks) -> np.ndarray:
    """(N, 68, 2): each frame's landmarks minus those of the first frame with a face, divided by that face's size
    (:func:`fomm_hf.faces.face_size`); NaN where no face was found, or none in any frame."""
    if not landmarks.found.any():
        return np.full_like(landmarks.points, np.nan)
    reference = landmarks.points[np.argmax(landmarks.found)]
    return (landmarks.points - reference) / face_size(reference)


def mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else math.nan


def json_ready(values: dict) -> dict:
    return {key: None if isinstance(value, float) and math.isnan(value) else value for key, value in values.items()}
