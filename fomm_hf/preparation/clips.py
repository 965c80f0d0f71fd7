"""From a subject tube to a training clip: one fixed square per clip, checked, cropped and resized, then written.

As in the original datasets (VoxCeleb, TaiChi), a clip's crop does not move: the model learns the subject's
motion within the frame, including how it moves across it. The square holds the square the models would
animate around the subject in every frame of the tube (the category's framing rule applied to each detection),
and is moved inside the picture (or reduced to its shorter side) where it would leave it, so that no clip
holds padding.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..framing.squares import Square
from ..permissions import give_ordinary_permissions
from .tubes import Tube

JPEG_QUALITY = 95


@dataclass(frozen=True)
class ClipPlan:
    tube: Tube
    square: Square  # the clip's crop, in the video's pixels, inside the picture
    centre_errors: np.ndarray  # per detection: distance from the subject's square's centre to the clip's / side

    @classmethod
    def of(cls, tube: Tube, to_square: Callable, width: int, height: int) -> "ClipPlan":
        subject_squares = [to_square(box) for box in tube.boxes]
        left = min(s.left for s in subject_squares)
        top = min(s.top for s in subject_squares)
        right = max(s.left + s.side for s in subject_squares)
        bottom = max(s.top + s.side for s in subject_squares)
        square = Square.centred((left + right) / 2, (top + bottom) / 2, max(right - left, bottom - top))
        square = square.moved_inside(width, height)
        errors = [np.hypot(s.centre[0] - square.centre[0], s.centre[1] - square.centre[1]) / square.side
                  for s in subject_squares]
        return cls(tube, square, np.array(errors))

    def drop_reason(self, min_frames: int, min_side: int, min_sharpness: float) -> Optional[str]:
        """Why the clip is not kept ("too short", "too small", "too blurred"), or None."""
        if self.tube.num_frames < min_frames:
            return "too short"
        if self.square.side < min_side:
            return "too small"
        if self.tube.sharpness < min_sharpness:
            return "too blurred"
        return None


def clip_crop(frame: np.ndarray, square: Square, size: int) -> np.ndarray:
    """The square of an RGB frame resized to ``size`` x ``size``."""
    import cv2

    crop = np.ascontiguousarray(square.crop(frame))
    interpolation = cv2.INTER_AREA if square.side > size else cv2.INTER_CUBIC
    return cv2.resize(crop, (size, size), interpolation=interpolation)


class ClipWriter:
    """Writes one clip's frames to ``path`` (a folder of frames, or ``path.mp4``), to be moved into place by
    ``finish(destination)`` once complete."""

    def __init__(self, path: Path, clip_format: str, fps: float):
        self.clip_format, self.num_frames = clip_format, 0
        if clip_format == "mp4":
            from ..video import VideoWriter

            self.path = path.with_name(f"{path.name}.mp4")
            self._video = VideoWriter(self.path, fps=fps)
        else:
            self.path = path
            self.path.mkdir(parents=True)

    def write(self, frame: np.ndarray) -> None:
        if self.clip_format == "mp4":
            self._video.write(frame[None])
        else:
            import cv2

            options = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if self.clip_format == "jpg" else []
            name = self.path / f"{self.num_frames:05d}.{self.clip_format}"
            cv2.imwrite(str(name), np.ascontiguousarray(frame[..., ::-1]), options)
        self.num_frames += 1

    def finish(self, folder: Path) -> Path:
        """Moves the complete clip into ``folder``; returns its new path."""
        if self.clip_format == "mp4":
            self._video.close()
        destination = folder / self.path.name
        give_ordinary_permissions(self.path)
        self.path.rename(destination)
        return destination

    def discard(self) -> None:
        if self.clip_format == "mp4":
            self._video.discard()
        else:
            shutil.rmtree(self.path, ignore_errors=True)
