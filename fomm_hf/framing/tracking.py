"""Following the subject through a driving video: one square per frame, steady from frame to frame.

A first pass over the frames (decoded one at a time; only boxes are kept, a few numbers per frame) detects the
subject every ``stride`` frames and keeps the detection nearest the one followed so far (the largest at the
start); once found, it is looked for around its last place and at about its size, and in the whole frame again
(at most once a second) when it is not found there. Frames between detections get the positions in between;
frames before the first detection take the first, and frames after the subject was lost keep the last. A
centred moving average over ``SMOOTHING_SECONDS`` then smooths the square's centre and side, so that the crop
does not jitter with the detector's noise; a square larger than the frame is fitted inside it
(:meth:`Square.fitted`).
"""

from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional

import numpy as np

from .squares import Square

SMOOTHING_SECONDS = 0.3  # the moving average's window (at least 3 detections)
GATE = 0.5  # a detection further than this x the square's side from the followed one is another subject
MIN_FOUND = 0.5  # a subject found in fewer of the frames looked at is not followed: the detector is not reliable


@dataclass
class SubjectTrack:
    squares: List[Square]  # one per frame
    stride: int  # frames between detections
    looked_at: int  # frames the detector ran on
    found: int  # of those, frames where the followed subject was found
    most_subjects: int  # the most subjects found in one frame
    lost_frames: List[int] = field(default_factory=list)  # frames looked at where the subject was not found
    raw_centres: Optional[np.ndarray] = None  # (found, 2): centres of the squares around the detections

    @property
    def reliable(self) -> bool:
        """Whether the subject was found in enough of the frames looked at to be followed."""
        return self.found >= MIN_FOUND * self.looked_at

    def summary(self, subject: str = "face") -> str:
        if not self.reliable:
            return (f"Driving video: the {subject} was found in only {self.found} of {self.looked_at} frames looked "
                    "at, too few to follow it")
        every = "every frame" if self.stride == 1 else f"one in {self.stride}"
        frames = "frame" if self.looked_at == 1 else "frames"
        text = (f"Driving video: the {subject} was followed, found in {self.found} of {self.looked_at} {frames} "
                f"({every})")
        if self.most_subjects > 1:
            text += f"; up to {self.most_subjects} {subject}s in a frame: the largest at the start was followed"
        if self.lost_frames:
            text += f"; where it was not found (first at frame {self.lost_frames[0]}), the crop stayed where it was"
        return text + "."


def follow_subject(
    frames: Iterable[np.ndarray],
    detect: Callable,
    to_square: Callable,
    stride: int = 1,
    fps: float = 25.0,
) -> Optional[SubjectTrack]:
    """The track of the subject through ``frames`` (RGB (H, W, 3) uint8, any number), or None if it is never
    found. ``detect(frame, near=None)`` gives detections largest first (``near``: only about that detection);
    ``to_square(box)`` the square to crop around one; ``stride``: frames between detections."""
    found_at, found_squares, lost, most = [], [], [], 0
    num_frames, last_found, last_full_search = 0, None, -fps
    for index, frame in enumerate(frames):
        num_frames += 1
        height, width = frame.shape[:2]
        if index % stride:
            continue
        detections = detect(frame, near=last_found) if last_found is not None else []
        if not detections and index - last_full_search >= fps:  # the whole frame, at most once a second
            detections, last_full_search = detect(frame), index
            most = max(most, len(detections))
        followed = pick(detections, to_square, found_squares[-1] if found_squares else None)
        if followed is None:
            lost.append(index)
            continue
        last_found, square = followed
        found_at.append(index)
        found_squares.append(square)
    if not found_at:
        return None

    # (centre x, centre y, side) per frame: in between detections, the positions in between; at the ends, held.
    known = np.array([(*square.centre, square.side) for square in found_squares], dtype=np.float64)
    every_frame = np.arange(num_frames)
    track = np.stack([np.interp(every_frame, found_at, known[:, column]) for column in range(3)], axis=1)
    track = moving_average(track, max(round(fps * SMOOTHING_SECONDS), 3 * stride) | 1)
    return SubjectTrack(
        squares=[Square.centred(x, y, side).fitted(width, height) for x, y, side in track],
        stride=stride,
        looked_at=len(found_at) + len(lost),
        found=len(found_at),
        most_subjects=most,
        lost_frames=lost,
        raw_centres=known[:, :2],
    )


def pick(detections, to_square: Callable, followed: Optional[Square]):
    """(detection, square) of the detection to follow: the largest at the start, then the nearest the followed one
    (None if all are too far: another subject, while the followed one is not found)."""
    squares = [to_square(detection.box) for detection in detections]
    if not squares or followed is None:
        return (detections[0], squares[0]) if squares else None
    distance = [np.hypot(s.centre[0] - followed.centre[0], s.centre[1] - followed.centre[1]) for s in squares]
    nearest = int(np.argmin(distance))
    return (detections[nearest], squares[nearest]) if distance[nearest] <= GATE * followed.side else None


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average over ``window`` rows (odd); near the ends the window shrinks to stay centred, so a
    steady movement is followed to the last frame, not flattened there."""
    count = len(values)
    half = np.minimum(np.minimum(np.arange(count), np.arange(count)[::-1]), window // 2)
    sums = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    index = np.arange(count)
    return (sums[index + half + 1] - sums[index - half]) / (2 * half + 1)[:, None]
