"""Live animation: a camera's frames animate a picture one at a time, as they come (``pipe.live(...)``).

The source is framed and encoded once. Then each frame, at once: the subject is followed with no look-ahead
(:class:`~fomm_hf.framing.LiveSubjectTracker`), its square made the models' size, its keypoints detected, the
source moved by them relative to the reference pose (the first frame, and the next one after
:meth:`LiveAnimator.reset`), and the animated square pasted back into the whole source. One animator per viewer:
calls are serialised, so the thread a server calls it from does not matter.

Where the fast variant is int8 graphs that the model does not have yet (the first use on a machine without
bfloat16 arithmetic), the first frames are animated exactly while they are collected, the graphs are made from them
in the background, and the animator switches to them when they are ready (:attr:`LiveAnimator.status` says so).
"""

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ..framing import LiveSubjectTracker, SubjectFramer
from ..images import check_fit, prepare_image, rgb_array, to_uint8
from ..motion import KeypointOutput, MotionOptions
from .engine_cache import CALIBRATION_FRAMES
from .prepared_source import prepare_framed_source

STATS_SECONDS = 5.0  # frames/s and latencies are measured over the last seconds
CALIBRATION_BATCH = 4  # calibration frames animated together while the int8 graphs are made


@dataclass(frozen=True)
class LiveStats:
    frames_in: int  # frames given to the animator, those its caller dropped included (see frame_dropped)
    frames_out: int  # frames animated
    frames_per_second: float  # frames animated per second over the last STATS_SECONDS
    latency_p50: float  # seconds from a frame given to its animated frame: the median over the last STATS_SECONDS
    latency_p95: float  # and the 95th percentile

    def summary(self) -> str:
        return (f"{self.frames_per_second:.1f} frames/s, latency {1000 * self.latency_p50:.0f} ms "
                f"(95%: {1000 * self.latency_p95:.0f} ms), {self.frames_out} of {self.frames_in} frames animated")


class LiveAnimator:
    """Animates ``pipe``'s source picture with each camera frame it is called with (see the module).

    Args as :meth:`FOMMPipeline.live`'s; ``framer`` is None for ``framing="none"`` (each frame made square by
    ``fit``).
    """

    def __init__(self, pipe, source_image, motion: MotionOptions = MotionOptions(), fast: bool = False,
                 backend: str = "pytorch", int8: bool = False, framing: str = "auto", paste_back: bool = True,
                 fit: str = "crop"):
        check_fit(fit)
        framer = SubjectFramer(pipe.category) if framing == "auto" else None
        self.source = prepare_framed_source(source_image, framer, pipe.image_size, fit, paste_back)
        self.pipe, self.options = pipe, (fast, backend, int8)
        # Calibration frames for the int8 graphs the fast variant needs, while they are not made: None if not needed.
        self._calibration = [] if pipe.engines.needs_int8_graphs(fast, backend, int8) else None
        self.engine = pipe.engine() if self._calibration is not None else pipe.engine(fast, backend, int8)
        self.encoded = self.engine.encode_source(self.source.image)
        # Whole-frame searches run in a thread of their own: no frame waits for one (while the face is lost, one
        # can take many frames' time).
        self.tracker = (LiveSubjectTracker(pipe.category, background=True)
                        if framer is not None and framer.available else None)
        self.motion, self.fit, self.image_size = motion, fit, pipe.image_size
        self._kp_initial: Optional[KeypointOutput] = None  # the reference pose; None: the next frame's
        self._frames_in = self._frames_out = 0
        self._recent = deque()  # (time the frame was done, its latency) over the last STATS_SECONDS
        self._lock = threading.Lock()

    def __call__(self, frame) -> np.ndarray:
        """The animated frame for a camera frame (H, W, 3 uint8 RGB, or any image input, any size): the whole
        source picture (H', W', 3) uint8 with the square pasted back, else the model's square (S, S, 3)."""
        start = time.perf_counter()
        with self._lock:
            self._frames_in += 1
            image = rgb_array(frame, "frame")
            square = self.tracker.update(image, start) if self.tracker is not None else None
            driving = prepare_image(square.crop(image) if square is not None else image, self.image_size, self.fit,
                                    "frame")
            if self._calibration is not None and len(self._calibration) < CALIBRATION_FRAMES:
                self._calibration.append(driving)
                if len(self._calibration) == CALIBRATION_FRAMES:
                    threading.Thread(target=self._make_fast_variant, daemon=True).start()
            kp_driving = self.engine.detect(driving)
            if self._kp_initial is None:
                self._kp_initial = kp_driving
            animated = self.engine.move(self.encoded, kp_driving, self._kp_initial, self.motion)
            paste_back = self.source.paste_back
            result = paste_back(animated)[0] if paste_back is not None else to_uint8(animated)[0]
            self._frames_out += 1
            done = time.perf_counter()
            self._recent.append((done, done - start))
            while self._recent and self._recent[0][0] < done - STATS_SECONDS:
                self._recent.popleft()
            return result

    def _make_fast_variant(self) -> None:
        """Makes the int8 graphs from the collected frames, then animates with them (in a thread of its own)."""
        driving = torch.cat(self._calibration)
        self.pipe.engines.prepare_fast(self.source.image, driving, self.motion, CALIBRATION_BATCH, *self.options)
        engine = self.pipe.engine(*self.options)
        encoded = engine.encode_source(self.source.image)
        with self._lock:  # the reference pose stays: the int8 graphs' keypoint detector is the float32 one
            self.engine, self.encoded, self._calibration = engine, encoded, None

    def reset(self) -> None:
        """The next frame becomes the reference pose: the source's own pose is the camera's from then on."""
        with self._lock:
            self._kp_initial = None

    def frame_dropped(self) -> None:
        """Counts a frame its caller did not animate (it came while the one before was still being animated)."""
        with self._lock:
            self._frames_in += 1

    @property
    def status(self) -> str:
        """What framing finds, in the source (once) and in the camera's frames now; the fast variant being made."""
        camera = self.tracker.status if self.tracker is not None else "Camera: each frame is made square."
        making = ["Fast mode: its int8 graphs are being made from the first frames (once on this machine); exact "
                  "until then."] if self._calibration is not None else []
        return " ".join([*self.source.notes, camera, *making])

    @property
    def stats(self) -> LiveStats:
        with self._lock:
            latencies = np.array([latency for _, latency in self._recent])
            span = self._recent[-1][0] - self._recent[0][0] if len(self._recent) > 1 else 0.0
            rate = (len(self._recent) - 1) / span if span > 0 else 0.0
            p50, p95 = np.percentile(latencies, [50, 95]) if len(latencies) else (0.0, 0.0)
            return LiveStats(self._frames_in, self._frames_out, rate, float(p50), float(p95))
