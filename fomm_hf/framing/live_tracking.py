"""Following the subject through a live stream (a camera), one frame at a time, with no look-ahead.

:func:`~.tracking.follow_subject` frames a recorded video in two passes: it knows where the subject will be, so it
interpolates between detections and smooths with a centred average, which neither lags nor jitters. A camera's
frame must be framed as it comes. :class:`LiveSubjectTracker` detects the subject with the same detector and
square rule as :class:`~.subject.SubjectFramer`, a few times a second (around its last place, and in the whole
frame again now and then while it is lost), and smooths the square with a :class:`OneEuroFilter`. A causal
low-pass filter must lag to smooth; the 1€ filter raises its cutoff with the signal's speed, so that it lags
where lag is not seen (a still head, whose square would otherwise shake with the detector's noise) and smooths
little where jitter is not seen (a moving head, which the square must keep up with).

The detector may run in a thread of its own (``background=True``), so that no frame waits for it. A search
around the subject's last place costs a few milliseconds, a small part of a frame's animation; a search of the
whole frame that finds nothing costs many times more, as the detector tries every scale and every turned copy of
the frame (docs/live.md gives the figures), and a camera that sees no face would stall at each one.
"""

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from ..categories import FACE_CATEGORIES, current_name
from .detection import subject_detector
from .squares import Detection, Square
from .subject import FIT_WORDS
from .tracking import GATE, pick

# The filter's settings, chosen on carphone.mp4 against the two-pass track's jitter and lag (docs/live.md).
# Centres and sides are filtered in units of the frame's shorter side, so that the settings hold for any camera.
MIN_CUTOFF = 0.5  # Hz: the cutoff of a still head's square, which moves with the detector's noise only slowly
BETA = 1.0  # Hz per (shorter side per second): a moving head's square keeps up with it
D_CUTOFF = 1.0  # Hz: the cutoff of the speed's own smoothing, the paper's choice
DETECTIONS_PER_SECOND = 5  # at most: the detector's thread takes its CPU from the animation's (docs/live.md)
SEARCH_SECONDS = 0.5  # while the subject is not found, the whole frame is searched at most this often
MEMORY_SECONDS = 2.0  # a subject lost for longer is forgotten: whichever is found next is followed, wherever it is

NOT_FOUND, FOLLOWED, LOST = "not found", "followed", "lost"  # the tracker's states


@dataclass
class OneEuroFilter:
    """The 1€ filter (Casiez, Roussel and Vogel, "1€ Filter: A Simple Speed-based Low-pass Filter for Noisy Input
    in Interactive Systems", CHI 2012): an exponential smoothing whose cutoff frequency rises with the signal's
    speed, so that a still signal's jitter is smoothed away and a moving one is followed with little lag.

    Each element of the values is filtered on its own, with the same settings. Samples are given with their time
    in seconds, at even intervals or not: each step uses the time since the sample before.
    """

    min_cutoff: float = MIN_CUTOFF  # Hz: the cutoff of a still signal; lower, less jitter
    beta: float = BETA  # Hz per unit per second: how the cutoff rises with speed; higher, less lag when moving
    d_cutoff: float = D_CUTOFF  # Hz: the cutoff of the low-pass filter of the speed itself
    value: Optional[np.ndarray] = field(default=None, init=False)  # the last filtered value; None before any
    speed: Optional[np.ndarray] = field(default=None, init=False)  # the last filtered speed, in units per second
    cutoff: Optional[np.ndarray] = field(default=None, init=False)  # the last cutoff, in Hz
    time: Optional[float] = field(default=None, init=False)  # the last sample's time

    def __call__(self, sample, time: float) -> np.ndarray:
        """The filtered value of ``sample`` (a number or an array) taken at ``time`` seconds. A sample no later
        than the last one changes nothing: the last value is returned."""
        sample = np.asarray(sample, dtype=np.float64)
        if self.value is None:  # the first sample is its own estimate, at rest
            self.value, self.speed, self.cutoff = sample, np.zeros_like(sample), np.full_like(sample, self.min_cutoff)
            self.time = time
            return self.value
        elapsed = time - self.time
        if elapsed <= 0:
            return self.value
        raw_speed = (sample - self.value) / elapsed  # from the last estimate, not the last sample: the paper's
        self.speed = smoothed(self.speed, raw_speed, self.d_cutoff, elapsed)
        self.cutoff = self.min_cutoff + self.beta * np.abs(self.speed)
        self.value = smoothed(self.value, sample, self.cutoff, elapsed)
        self.time = time
        return self.value

    def reset(self) -> None:
        """Forgets the signal: the next sample starts afresh."""
        self.value = self.speed = self.cutoff = self.time = None


def smoothed(previous: np.ndarray, sample: np.ndarray, cutoff, elapsed: float) -> np.ndarray:
    """One step of the exponential smoothing of cutoff frequency ``cutoff`` (Hz, per element or one for all)
    ``elapsed`` seconds after ``previous``: the weight of the new sample is 1 / (1 + tau / elapsed), with the
    time constant tau = 1 / (2 pi cutoff)."""
    weight = 1 / (1 + 1 / (2 * np.pi * np.asarray(cutoff) * elapsed))
    return previous + weight * (sample - previous)


class LiveSubjectTracker:
    """The square to crop from each frame of a live stream, around the subject of a category's models.

    Fed one frame at a time with its time (``tracker.update(frame, t)`` or ``tracker(frame, t)``), it gives the
    square to animate now, or None while the subject has not been found (the caller animates the frame as it
    would without framing; :attr:`status` says so). The subject is looked for about every ``detection_seconds``
    (default: as often as :class:`~.subject.SubjectFramer` samples a video, at most ``DETECTIONS_PER_SECOND``
    times a second), around the detection followed (the largest at the start, then the one nearest it, as
    :func:`~.tracking.pick` chooses); where it is not found there, in the whole frame, at most every
    ``search_seconds``. The squares of the detections are smoothed by a :class:`OneEuroFilter` (``min_cutoff``,
    ``beta``, ``d_cutoff``) at every frame, so the square glides between detections. While the subject is lost the
    last square is held; once it has been lost for ``MEMORY_SECONDS``, whichever subject is found next is
    followed, wherever it is. A frame of another size than the one before (the camera's resolution changed), or a
    time earlier than the last (another stream), starts everything over.

    With ``background``, searches run in a thread of their own and a frame never waits for them: a search starts
    when one is due and none is running, on a copy of the frame, and what it finds is taken at the first frame
    after it ends, as found at the time of the frame it searched. A search around the subject followed, where the
    detector says it is quick (``quick_near``: a few milliseconds), runs in the frame's own thread instead: beside
    the caller's work (the animation's threads) it would take their CPU and slow them by more than its own time.
    Without ``background`` (the default), each frame's result depends on the frames alone, not on how long the
    detector took. ``available`` is False where this package has no detector for the category: then every frame
    gives None.
    """

    def __init__(self, category: Optional[str], fit: str = "crop", detection_seconds: Optional[float] = None,
                 search_seconds: float = SEARCH_SECONDS, min_cutoff: float = MIN_CUTOFF, beta: float = BETA,
                 d_cutoff: float = D_CUTOFF, background: bool = False):
        category = current_name(category)
        self.detect, self.rule, self.note = subject_detector(category)  # note: why there is no detector
        self.subject = "face" if category in FACE_CATEGORIES else (category or "subject").replace("-", " ")
        self.instead = f"{FIT_WORDS[fit]} of each frame is animated"  # what the caller animates without a square
        rate = getattr(self.detect, "detections_per_second", None)
        default = 1 / min(rate, DETECTIONS_PER_SECOND) if rate else 0.0
        self.detection_seconds = detection_seconds if detection_seconds is not None else default
        self.search_seconds = search_seconds
        self.filter = OneEuroFilter(min_cutoff, beta, d_cutoff)  # of (centre x, centre y, side) / shorter side
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="live-framing") if background else None
        self._start_over(None)

    @property
    def available(self) -> bool:
        return self.detect is not None

    def _start_over(self, size: Optional[Tuple[int, int]]) -> None:
        self.size = size  # (height, width) of the stream's frames; None before the first
        self.state = NOT_FOUND  # NOT_FOUND (not found since the start), FOLLOWED or LOST
        self.square: Optional[Square] = None  # the last square given, fitted inside the frame
        self.filter.reset()
        self._followed: Optional[Detection] = None  # the detection followed, where it was last found
        self._target: Optional[Square] = None  # its square, unsmoothed: what the filter is given at each frame
        self._time: Optional[float] = None  # the last frame's time
        self._detected_at = self._searched_at = -np.inf  # times of the last detection and whole-frame search
        self._lost_at: Optional[float] = None  # when the subject was first missed, while it is lost
        self._running: Optional[Future] = None  # the background search, until its result is taken

    def update(self, frame: np.ndarray, time: float) -> Optional[Square]:
        """The square to crop from ``frame`` (RGB (H, W, 3) uint8) taken at ``time`` seconds (any clock, rising),
        or None while the subject has not been found."""
        if not self.available:
            return None
        size = frame.shape[:2]
        if size != self.size or (self._time is not None and time < self._time):
            self._start_over(size)  # a search still running is forgotten: its result is for the frames before
        interval = time - self._time if self._time is not None else 0.0
        self._time = time
        if self._running is not None and self._running.done():
            self._found(*self._running.result())
            self._running = None
        # A search starts in the frame nearest the time it is due: this one, unless the next will be nearer.
        if self._running is None and time + interval / 2 >= self._detected_at + self.detection_seconds:
            self._detected_at = time
            whole = time - self._searched_at >= self.search_seconds  # whether it may search the whole frame
            near = self._followed
            if self._worker is None:
                self._found(*self._search(frame, near, whole, time))
            elif near is not None and getattr(self.detect, "quick_near", False):
                # A few milliseconds: run here, where they do not take the CPU from the animation's threads.
                detections = self.detect(frame, near=near)
                if detections or not whole:
                    self._found(detections, False, time)
                else:
                    self._running = self._worker.submit(self._search, frame.copy(), None, True, time)
            else:
                self._running = self._worker.submit(self._search, frame.copy(), near, whole, time)
        if self.state == FOLLOWED:
            height, width = size
            unit = min(height, width)  # the filter's unit of length, in pixels
            target = np.array([*self._target.centre, self._target.side]) / unit  # (centre x, centre y, side)
            centre_x, centre_y, side = self.filter(target, time) * unit
            self.square = Square.centred(centre_x, centre_y, side).fitted(width, height)
        return self.square

    __call__ = update

    def _search(self, frame: np.ndarray, near: Optional[Detection], whole: bool, time: float):
        """(detections, whether the whole frame was searched, ``time``): the subjects found in ``frame`` around
        ``near``, else (if ``whole``) in the whole frame. Reads nothing of the tracker's state but the detector:
        it may run in the background thread."""
        detections = self.detect(frame, near=near) if near is not None else []
        if not detections and whole:
            return self.detect(frame), True, time
        return detections, False, time

    def _found(self, detections: List[Detection], whole: bool, time: float) -> None:
        """Takes what a search of the frame of ``time`` found: the detection to follow, if any, becomes the
        filter's target; else the subject followed is lost."""
        if whole:
            self._searched_at = time
        remembered = self._lost_at is None or time - self._lost_at < MEMORY_SECONDS
        picked = pick(detections, self.rule.square, self._target if remembered else None)
        if picked is None:
            if self.state == FOLLOWED:
                self.state, self._lost_at = LOST, time
            return
        followed, square = picked
        if self._target is not None and not close_to(square, self._target):
            self.filter.reset()  # found again elsewhere: the crop cuts to it rather than gliding across
        self._followed, self._target, self.state, self._lost_at = followed, square, FOLLOWED, None

    @property
    def status(self) -> str:
        """What the tracker does now, in words, for the caller to show."""
        if not self.available:
            return f"Camera: {self.note[0].lower()}{self.note[1:]}: {self.instead}."
        if self.state == NOT_FOUND:
            return f"Camera: no {self.subject} found: {self.instead}."
        if self.state == LOST:
            return f"Camera: the {self.subject} is lost: the crop holds its last place."
        return f"Camera: the {self.subject} is followed."


def close_to(square: Square, other: Square) -> bool:
    """Whether ``square`` is about where ``other`` is: as near as :func:`~.tracking.pick` takes for the same
    subject."""
    return np.hypot(square.centre[0] - other.centre[0], square.centre[1] - other.centre[1]) <= GATE * other.side
