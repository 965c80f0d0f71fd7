"""Animating a source image with a driving video file, into a video file: what the CLI and the app run.

The driving video is decoded, prepared, animated and encoded in batches, so memory does not depend on its
length; the result keeps the driving video's frame rate and audio track. Outputs appear only when complete.
"""

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import PIL.Image
import torch
from tqdm.auto import tqdm

from ..errors import InvalidInputError
from ..models import KeypointOutput
from ..pipelines.image_inputs import prepare_image
from ..video import VideoWriter, fit_square, iter_batches, open_video, prepare_video_frames
from .best_frame import best_matching_frame
from .engine import AnimationEngine, MotionOptions, concat_keypoints
from .visualization import side_by_side


@dataclass
class RenderResult:
    output: Path
    keypoints_output: Optional[Path]
    num_frames: int  # frames written
    fps: float  # of the written video (the driving video's)
    seconds: float  # wall time of the animation
    initial_frame: int  # driving frame used as the reference pose
    device: str
    truncated: bool  # the driving video was longer than max_frames

    @property
    def frames_per_second(self) -> float:
        return self.num_frames / self.seconds if self.seconds else float("inf")


def load_source(source, size: int, fit: str = "crop") -> torch.Tensor:
    """A source image (path, PIL image, array or tensor) -> (1, 3, size, size); paths, PIL images and arrays
    are made square like the driving frames (centre crop or pad) before resizing."""
    if isinstance(source, (str, Path)):
        try:
            with PIL.Image.open(source) as image:
                source = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        except (OSError, ValueError) as error:
            raise InvalidInputError(f"Cannot read the source image {source}: {error}") from None
    if isinstance(source, PIL.Image.Image):
        source = np.asarray(source)
    if isinstance(source, np.ndarray):
        source = fit_square(source if source.ndim == 3 else source[:, :, None], fit)
    return prepare_image(source, "source image", size)


def animate_video(
    engine: AnimationEngine,
    image_size: int,
    source,
    driving_path,
    output_path,
    motion: MotionOptions = MotionOptions(),
    find_best_frame: bool = False,
    fit: str = "crop",
    keypoints_path=None,
    max_frames: Optional[int] = None,
    progress: bool = True,
) -> RenderResult:
    """Animates ``source`` with the video (or folder of frames) at ``driving_path`` into ``output_path``.

    With ``find_best_frame`` a first pass detects the keypoints of every driving frame (kept in memory: a
    few numbers per frame) to choose the reference pose; the frames are decoded again for the second pass.
    ``keypoints_path`` also writes the side-by-side visualisation (source | driving with keypoints | result).
    ``max_frames`` stops after that many frames (``truncated`` tells whether frames were left out).
    """
    start = time.perf_counter()
    source_image = load_source(source, image_size, fit)
    prepared = engine.prepare_source(source_image)
    batch_size = engine.batch_size

    with open_video(driving_path) as video:
        total = video.num_frames if max_frames is None else min(video.num_frames, max_frames)

        def driving_batches():
            frames = video.frames()
            if max_frames is not None:
                frames = (frame for _, frame in zip(range(max_frames), frames))
            for batch in iter_batches(frames, batch_size):
                yield prepare_video_frames(batch, image_size, fit)

        stored_keypoints = None
        initial_frame = 0
        if find_best_frame:
            with tqdm(total=total, unit="frame", desc="Finding the best frame", disable=not progress) as bar:
                parts = []
                for frames in driving_batches():
                    parts.append(engine.detect(frames))
                    bar.update(len(frames))
            stored_keypoints = concat_keypoints(parts)
            initial_frame = best_matching_frame(prepared.keypoints, stored_keypoints)

        audio_from = video.path if video.has_audio else None
        with contextlib.ExitStack() as outputs:
            writer = outputs.enter_context(VideoWriter(output_path, video.fps, audio_from=audio_from))
            keypoints_writer = (
                outputs.enter_context(VideoWriter(keypoints_path, video.fps, audio_from=audio_from))
                if keypoints_path
                else None
            )
            kp_initial = None if stored_keypoints is None else stored_keypoints.select(initial_frame)
            written = 0
            with tqdm(total=total, unit="frame", desc="Animating", disable=not progress) as bar:
                for frames in driving_batches():
                    if stored_keypoints is None:
                        kp_driving = engine.detect(frames)
                    else:
                        kp_driving = stored_keypoints.select(slice(written, written + len(frames)))
                    if kp_initial is None:
                        kp_initial = kp_driving.select(0)
                    result = engine.animate_batch(prepared, kp_driving, kp_initial, motion)
                    writer.write(result)
                    if keypoints_writer is not None:
                        keypoints_writer.write(visualise(source_image[0], frames, kp_driving, result))
                    written += len(frames)
                    bar.update(len(frames))
            if written == 0:
                raise InvalidInputError(f"The driving video {driving_path} has no frames that can be decoded.")

    truncated = max_frames is not None and video.num_frames > max_frames
    return RenderResult(
        output=Path(output_path),
        keypoints_output=Path(keypoints_path) if keypoints_path else None,
        num_frames=written,
        fps=video.fps,
        seconds=time.perf_counter() - start,
        initial_frame=initial_frame,
        device=str(engine.device),
        truncated=truncated,
    )


def visualise(source: torch.Tensor, frames: torch.Tensor, kp_driving: KeypointOutput, result: torch.Tensor):
    """(N, H, 3W, 3) uint8 side-by-side pictures for a batch."""
    keypoints = kp_driving.value.float().cpu()
    return np.stack([side_by_side(source, frames[i], keypoints[i], result[i]) for i in range(len(frames))])
