"""What ``FOMMPipeline.animate_video`` made, and the summary that the command line and the app show of it."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from ..model_store.registry import REAL_FACE_MODEL
from .best_frame import BestFrame


@dataclass
class AnimationResult:
    """What :meth:`FOMMPipeline.animate_video` wrote, and how long it took."""

    output: Path
    keypoints_output: Optional[Path]  # the side-by-side video, if one was asked for
    num_frames: int  # frames written
    fps: float  # of the written video (the driving video's)
    seconds: float  # the whole call: source, model inference, decoding and encoding
    seconds_to_first_frame: float  # from the call to the first frames written
    initial_frame: int  # driving frame used as the reference pose of relative motion
    device: str
    dtype: str  # the precision the networks ran in
    truncated: bool  # the driving video was longer than max_frames
    framing_notes: List[str] = field(default_factory=list)  # what framing found in the source and driving video
    model: Optional[str] = None  # the model's name (a registered name, a repo id or a folder's own name)
    category: Optional[str] = None  # what the model animates
    max_frames: Optional[int] = None  # the limit the call was given
    driving_seconds: float = 0.0  # the driving video's length, as its header states it
    best_frame: Optional[BestFrame] = None  # how initial_frame was chosen as the closest to the source's pose
    sound_left_out: bool = False  # the driving video has sound, which the output format cannot hold (GIF)

    @property
    def frames_per_second(self) -> float:
        return self.num_frames / self.seconds if self.seconds else float("inf")

    def summary(self, limit: str = "max_frames", real_face_model: str = f"--model {REAL_FACE_MODEL}") -> List[str]:
        """Lines that say what was made, how, and what was left out. ``limit`` names what set ``max_frames`` (an
        option, or "this app's limit"); ``real_face_model`` says how to choose the model for real faces."""
        video_seconds = self.num_frames / self.fps
        model = f" with the model {self.model}" if self.model else ""
        lines = [
            f"{self.num_frames} frame{'s' * (self.num_frames != 1)} at {self.fps:.5g} fps ({video_seconds:.1f} s) "
            f"animated in {self.seconds:.1f} s ({self.frames_per_second:.2f} frames per second, the first written "
            f"after {self.seconds_to_first_frame:.2f} s) on {self.device} ({self.dtype}){model}."
        ]
        if self.truncated:
            lines.append(f"Cut: the driving video is {self.driving_seconds:.1f} s long; only its first "
                         f"{self.num_frames} frames ({video_seconds:.1f} s) were animated ({limit}).")
        elif self.max_frames is not None and self.num_frames == self.max_frames:  # its header told no length
            lines.append(f"Limit reached: the driving video was animated up to {self.max_frames} frames "
                         f"({video_seconds:.1f} s, {limit}); any frames after them were left out.")
        if self.best_frame is not None:
            why = f" ({self.best_frame.note})" if self.best_frame.note else ""
            lines.append(f"Relative motion from driving frame {self.initial_frame}, the closest to the source's pose "
                         f"by {self.best_frame.method}{why}.")
        if self.sound_left_out:
            lines.append("The driving video's sound is not in the result: a GIF holds no sound (.mp4, .webm, .mov and "
                         ".mkv keep it).")
        lines += self.framing_notes
        if self.category == "cartoon-face":
            lines.append(f"This model knows cartoon faces only; for real faces, use {real_face_model}.")
        return lines
