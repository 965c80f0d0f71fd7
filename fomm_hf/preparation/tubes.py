"""Subject tubes in a raw video: runs of frames in which one subject stays about where it first appeared.

The rule is the original data preparation's (``crop-video.py`` of the authors' video-preprocessing repository):
a detection continues a tube while it overlaps the tube's first box by more than ``iou_with_first``
(intersection over union); several subjects make several tubes, and a subject that moves away from where it
started ends its tube and starts another. Unlike the original, which ends a tube at the first frame without a
detection, a tube here ends only when its subject has not been found for ``max_gap_seconds``: the offline
face detector misses a face in some frames of a steady shot. And every tube ends at a cut between two shots
(found on every frame, as a change in the colours of a small copy of the frame), where the original would
continue a tube whose subject is about where another was before the cut.
"""

from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Tuple

import numpy as np

from ..framing.squares import Box

SHARPNESS_SIDE = 128  # sharpness is measured on the subject's square resized to this side
CUT_DISTANCE = 0.5  # Bhattacharyya distance between the colours of two frames that are in different shots


@dataclass
class Tube:
    """One subject's detections, in frame order: (frame index, box, sharpness of the subject's square)."""

    stride: int  # frames between the frames looked at
    detections: List[Tuple[int, Box, float]] = field(default_factory=list)

    @property
    def first_box(self) -> Box:
        return self.detections[0][1]

    @property
    def start(self) -> int:
        return self.detections[0][0]

    @property
    def end(self) -> int:
        """The frame after the last one where the subject was found."""
        return self.detections[-1][0] + 1

    @property
    def num_frames(self) -> int:
        return self.end - self.start

    @property
    def boxes(self) -> List[Box]:
        return [box for _, box, _ in self.detections]

    @property
    def found_fraction(self) -> float:
        """Of the frames looked at within the tube, the fraction where its subject was found."""
        return len(self.detections) / ((self.end - 1 - self.start) // self.stride + 1)

    @property
    def sharpness(self) -> float:
        return float(np.median([sharpness for _, _, sharpness in self.detections]))


def find_tubes(
    frames: Iterable[np.ndarray],
    detect: Callable,
    to_square: Callable,
    stride: int,
    fps: float,
    max_gap_seconds: float = 0.5,
    iou_with_first: float = 0.25,
) -> Tuple[List[Tube], int]:
    """(tubes in order of their first frame, number of frames) of ``frames`` (RGB (H, W, 3) uint8).

    ``detect(frame)`` gives the subjects of a frame; ``to_square(box)`` the square the models would animate
    around one (where sharpness is measured); the detector runs on every ``stride``-th frame.
    """
    max_gap = max(round(max_gap_seconds * fps), 2 * stride)
    open_tubes, closed, num_frames, colours = [], [], 0, None
    for index, frame in enumerate(frames):
        num_frames += 1
        previous_colours, colours = colours, colour_histogram(frame)
        if previous_colours is not None and is_cut(previous_colours, colours):
            closed, open_tubes = closed + open_tubes, []
        if index % stride:
            continue
        closed += [tube for tube in open_tubes if index - tube.detections[-1][0] > max_gap]
        open_tubes = [tube for tube in open_tubes if index - tube.detections[-1][0] <= max_gap]

        # Each detection continues the open tube whose first box it overlaps most (each tube takes at most one
        # detection per frame, the best overlapping); the others start tubes.
        boxes = [detection.box for detection in detect(frame)]
        pairs = sorted(
            ((box.iou(tube.first_box), b, t) for b, box in enumerate(boxes) for t, tube in enumerate(open_tubes)),
            key=lambda pair: -pair[0],
        )
        taken_boxes, taken_tubes = set(), set()
        for overlap, b, t in pairs:
            if overlap > iou_with_first and b not in taken_boxes and t not in taken_tubes:
                taken_boxes.add(b)
                taken_tubes.add(t)
                open_tubes[t].detections.append((index, boxes[b], square_sharpness(frame, to_square(boxes[b]))))
        for b, box in enumerate(boxes):
            if b not in taken_boxes:
                open_tubes.append(Tube(stride, [(index, box, square_sharpness(frame, to_square(box)))]))
    return sorted(closed + open_tubes, key=lambda tube: (tube.start, tube.first_box.left)), num_frames


def square_sharpness(frame: np.ndarray, square) -> float:
    """Variance of the Laplacian of the square's grey pixels, resized to ``SHARPNESS_SIDE``: low when blurred."""
    import cv2

    grey = cv2.cvtColor(np.ascontiguousarray(square.crop(frame)), cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def colour_histogram(frame: np.ndarray) -> np.ndarray:
    """Hue-saturation histogram of a 32x32 copy of an RGB frame, normalised."""
    import cv2

    small = cv2.cvtColor(cv2.resize(frame, (32, 32), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2HSV)
    histogram = cv2.calcHist([small], [0, 1], None, [16, 8], [0, 180, 0, 256])
    return cv2.normalize(histogram, histogram)


def is_cut(colours: np.ndarray, next_colours: np.ndarray) -> bool:
    """Whether two consecutive frames (their :func:`colour_histogram`) are in different shots: ``CUT_DISTANCE`` lies
    well between the distances of consecutive frames of one shot and those across a cut (docs/training.md gives
    them)."""
    import cv2

    return cv2.compareHist(colours, next_colours, cv2.HISTCMP_BHATTACHARYYA) > CUT_DISTANCE
