"""Framing a source picture and a driving video around their subject, for the models of one category."""

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

from .detection import FACE_CATEGORIES, subject_detector
from .squares import Square
from .tracking import SubjectTrack, follow_subject


@dataclass(frozen=True)
class FramedSource:
    square: Optional[Square]  # the square of the source that is animated; None: not found
    note: str  # what was found, or what was done instead


class SubjectFramer:
    """Finds the subject of a category's models in a source picture and follows it through a driving video.

    ``available`` is False where this package has no detector for the category (then nothing is framed).
    """

    def __init__(self, category: Optional[str]):
        self.category = category
        self.detect, self.rule, self.note = subject_detector(category)  # note: why there is no detector
        self.subject = "face" if category in FACE_CATEGORIES else (category or "subject")

    @property
    def available(self) -> bool:
        return self.detect is not None

    def frame_source(self, image: np.ndarray) -> FramedSource:
        """The square around the largest subject of an RGB picture (H, W, 3) uint8."""
        detections = self.detect(image)
        if not detections:
            return FramedSource(None, f"Source: no {self.subject} found")
        height, width = image.shape[:2]
        box, square = detections[0].box, self.rule.square(detections[0].box)
        fitted = square.fitted(width, height)
        framing = (f"a {square.side} px square around it is animated" if fitted == square else
                   f"its square ({square.side} px) is larger than the picture: the {fitted.side} px square of the "
                   "picture about it is animated")
        square = fitted
        note = (f"Source: {self.subject} found at ({box.left:.0f}, {box.top:.0f})-({box.right:.0f}, {box.bottom:.0f}) "
                f"of the {width}x{height} picture; {framing}")
        if len(detections) > 1:
            note += f" (the largest of {len(detections)} {self.subject}s)"
        return FramedSource(square, note + ".")

    def follow(self, frames: Iterable[np.ndarray], fps: float) -> Optional[SubjectTrack]:
        """The subject's square in every frame, or None if it is never found."""
        stride = max(1, round(fps / self.detect.detections_per_second))
        return follow_subject(frames, self.detect, self.rule.square, stride, fps)
