"""Framing a source picture and a driving video around their subject, for the models of one category.

The decision and its words are made here, once, for the pipeline and the app: the square around the subject
where it is found, else what the image loader's ``fit`` makes square instead (:data:`FIT_WORDS`).
"""

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

from ..categories import FACE_CATEGORIES, current_name
from .detection import subject_detector
from .squares import Square
from .tracking import SubjectTrack, follow_subject

# What of a picture is animated where no subject is framed, for each fit of fomm_hf.images.
FIT_WORDS = {"crop": "the centre square", "pad": "the whole picture, padded to a square",
             "stretch": "the whole picture, stretched to a square"}


@dataclass(frozen=True)
class FramedSource:
    square: Optional[Square]  # the square of the source that is animated; None: not found
    note: str  # what was found, or what is animated instead


@dataclass(frozen=True)
class FollowedSubject:
    track: Optional[SubjectTrack]  # the subject's square in every frame; None: not followed
    note: str  # what was found, or what is animated instead


class SubjectFramer:
    """Finds the subject of a category's models in a source picture and follows it through a driving video.

    ``available`` is False where this package has no detector for the category (then nothing is framed).
    """

    def __init__(self, category: Optional[str]):
        self.category = category = current_name(category)
        self.detect, self.rule, self.note = subject_detector(category)  # note: why there is no detector
        self.subject = "face" if category in FACE_CATEGORIES else (category or "subject").replace("-", " ")

    @property
    def available(self) -> bool:
        return self.detect is not None

    def frame_source(self, image: np.ndarray, fit: str = "crop") -> FramedSource:
        """The square around the largest subject of an RGB picture (H, W, 3) uint8; where there is none, the note
        says what ``fit`` animates instead."""
        if not self.available:
            return FramedSource(None, f"Source: {self.note[0].lower()}{self.note[1:]}: {FIT_WORDS[fit]} is animated.")
        detections = self.detect(image)
        if not detections:
            return FramedSource(None, f"Source: no {self.subject} found: {FIT_WORDS[fit]} is animated.")
        height, width = image.shape[:2]
        box, square = detections[0].box, self.rule.square(detections[0].box)
        fitted = square.fitted(width, height)
        framing = (f"a {square.side} px square around it is animated" if fitted == square else
                   f"its square ({square.side} px) is larger than the picture: the {fitted.side} px square of the "
                   "picture about it is animated")
        note = (f"Source: {self.subject} found at ({box.left:.0f}, {box.top:.0f})-({box.right:.0f}, {box.bottom:.0f}) "
                f"of the {width}x{height} picture; {framing}")
        if len(detections) > 1:
            note += f" (the largest of {len(detections)} {self.subject}s)"
        return FramedSource(fitted, note + ".")

    def follow(self, frames: Iterable[np.ndarray], fps: float, fit: str = "crop") -> FollowedSubject:
        """The subject's square in every frame where it is found reliably; else the note says what ``fit``
        animates instead."""
        instead = f"{FIT_WORDS[fit]} of each frame is animated"
        if not self.available:
            return FollowedSubject(None, f"Driving video: {self.note[0].lower()}{self.note[1:]}: {instead}.")
        stride = max(1, round(fps / self.detect.detections_per_second))
        track = follow_subject(frames, self.detect, self.rule.square, stride, fps)
        if track is None:
            return FollowedSubject(None, f"Driving video: no {self.subject} found: {instead}.")
        if not track.reliable:
            return FollowedSubject(None, f"{track.summary(self.subject)}: {instead}.")
        return FollowedSubject(track, track.summary(self.subject))
