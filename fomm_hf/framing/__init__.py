"""Framing real pictures and videos: find the subject, follow it through the video, paste the animation back.

:class:`SubjectFramer` finds the subject of a category's models (a face, a body, ...) in the source picture and
follows it through the driving video; :class:`LiveSubjectTracker` follows it through a live stream, with no
look-ahead; :class:`PasteBack` puts the animated square back into the full-size source.
"""

from .compositing import PasteBack, feather_mask
from .detection import FaceDetector, face_detector, subject_detector
from .live_tracking import LiveSubjectTracker, OneEuroFilter
from .squares import Box, Detection, Square
from .subject import FramedSource, SubjectFramer
from .tracking import SubjectTrack, follow_subject

__all__ = [
    "Box",
    "Detection",
    "FaceDetector",
    "FramedSource",
    "LiveSubjectTracker",
    "OneEuroFilter",
    "PasteBack",
    "Square",
    "SubjectFramer",
    "SubjectTrack",
    "face_detector",
    "feather_mask",
    "follow_subject",
    "subject_detector",
]
