"""The file-to-file job of ``FOMMPipeline.animate_video``: a driving video animated into a video file, streaming.

:func:`animate_video_file` runs it in named steps:

1. check the arguments, before anything is decoded or computed (:func:`check_job`);
2. frame the source: the square around its subject, to be pasted back at the end
   (:func:`~.prepared_source.prepare_framed_source`);
3. follow the subject through the driving video: a first pass that keeps one square per frame
   (:func:`follow_driving_subject`);
4. choose the reference pose of relative motion: with ``find_best_frame``, a pass that keeps the keypoints of
   every frame (:func:`reference_pose`);
5. stream: :func:`driving_batches` decodes, crops and detects the driving video a batch at a time, and
   :func:`write_animation` animates and writes each batch, so memory does not depend on the video's length.
"""

import contextlib
import itertools
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator, List, Optional, Tuple, Union

import numpy as np
import torch

from ..animation import StreamingEngine
from ..animation.engine import EncodedSource
from ..errors import InvalidInputError
from ..export.backends import check_backend
from ..framing import SubjectFramer, SubjectTrack
from ..images import check_fit, prepare_images
from ..motion import KeypointOutput, MotionOptions
from ..option_values import check_whole_number
from ..video import VideoWriter, check_output_path, iter_batches, open_video
from ..video.reader import DrivingVideo
from ..visualization import side_by_side_batch
from .animation_result import AnimationResult
from .best_frame import BestFrame, best_frame
from .engine_cache import CALIBRATION_FRAMES
from .prepared_source import PreparedSource, prepare_framed_source

FRAMING_MODES = ("auto", "none")


def keypoints_video_path(output: Union[str, os.PathLike]) -> Path:
    """Where the keypoints video of ``output`` goes: OUTPUT_keypoints.EXT beside it."""
    output = Path(output)
    return output.with_name(f"{output.stem}_keypoints{output.suffix}")


@dataclass(frozen=True)
class VideoJob:
    """The arguments of :meth:`FOMMPipeline.animate_video` (see there)."""

    source_image: object
    driving_video: Union[str, os.PathLike]
    output_path: Union[str, os.PathLike]
    motion: MotionOptions = MotionOptions()
    find_best_frame: bool = False
    fit: str = "crop"
    fast: bool = False
    backend: str = "pytorch"
    int8: bool = False
    graphs: Optional[Union[str, os.PathLike]] = None
    batch_size: int = 4
    keypoints_path: Optional[Union[str, os.PathLike]] = None
    max_frames: Optional[int] = None
    framing: str = "auto"
    paste_back: bool = True
    progress: bool = True


@dataclass
class DrivingBatch:
    frames: torch.Tensor  # (B, 3, S, S) float in [0, 1]: driving frames as the models see them
    keypoints: KeypointOutput  # (B, K, ...)


def check_job(job: VideoJob) -> VideoJob:
    """The job with its output paths made absolute, or InvalidInputError for an argument that cannot be used:
    nothing is decoded, computed or written before."""
    check_whole_number("batch_size", job.batch_size, 1)
    check_fit(job.fit)
    check_backend(job.backend, job.int8)
    if job.framing not in FRAMING_MODES:
        raise InvalidInputError(f"framing must be one of {', '.join(FRAMING_MODES)}; got {job.framing!r}.")
    if job.max_frames is not None:
        check_whole_number("max_frames", job.max_frames, 1)
    inputs = {"the driving video": job.driving_video}
    if isinstance(job.source_image, (str, os.PathLike)):
        inputs["the source image"] = job.source_image
    output_path = check_output_path(job.output_path, keep=inputs)
    keypoints_path = job.keypoints_path
    if keypoints_path is not None:
        keypoints_path = check_output_path(keypoints_path, keep={**inputs, "the output video": output_path})
    return replace(job, output_path=output_path, keypoints_path=keypoints_path)


def follow_driving_subject(framer: Optional[SubjectFramer], video: DrivingVideo, job: VideoJob,
                           bar) -> Tuple[Optional[SubjectTrack], List[str]]:
    """The subject's square in every driving frame (None: each frame is made square by ``job.fit``), and what
    was found."""
    if framer is None:
        return None, []
    followed = framer.follow(counted(itertools.islice(video.frames(), job.max_frames), bar), video.fps, job.fit)
    return followed.track, [followed.note]


def driving_batches(video: DrivingVideo, track: Optional[SubjectTrack], job: VideoJob, image_size: int,
                    engine: StreamingEngine, keypoints: Optional[KeypointOutput] = None) -> Iterator[DrivingBatch]:
    """The driving video, decoded, cropped to the subject's track, made square and detected, a batch at a time
    (the keypoints are taken from ``keypoints`` where they are known already)."""
    frames = itertools.islice(video.frames(), job.max_frames)
    if track is not None:
        squares = itertools.chain(track.squares, itertools.repeat(track.squares[-1]))
        frames = (square.crop(frame) for frame, square in zip(frames, squares))
    position = 0
    for batch in iter_batches(frames, job.batch_size):
        images = batch if track is not None else np.stack(batch)  # framed crops differ in size
        prepared = prepare_images(images, image_size, job.fit, "the driving video")
        if keypoints is None:
            kp_batch = engine.detect(prepared)
        else:
            kp_batch = keypoints.select(slice(position, position + len(prepared)))
        position += len(prepared)
        yield DrivingBatch(prepared, kp_batch)


def reference_pose(batches: Iterator[DrivingBatch], source: EncodedSource, framed: PreparedSource, category,
                   bar) -> Tuple[KeypointOutput, KeypointOutput, BestFrame]:
    """(every driving frame's keypoints, the reference pose, the frame chosen): the driving frame whose pose is
    closest to the source's (:mod:`.best_frame`)."""
    def counted_batches():
        for batch in batches:
            yield batch.frames, batch.keypoints
            bar.update(len(batch.frames))

    chosen, keypoints = best_frame(source.keypoints, framed.image, counted_batches(), category)
    return keypoints, keypoints.select(chosen.index), chosen


def write_animation(batches: Iterator[DrivingBatch], engine: StreamingEngine, source: EncodedSource,
                    framed: PreparedSource, job: VideoJob, video: DrivingVideo,
                    kp_initial: Optional[KeypointOutput], bar, start: float) -> Tuple[int, Optional[float]]:
    """Animates and writes each batch (the keypoints video too, if asked for); returns the frames written and the
    seconds from ``start`` to the first of them."""
    audio_from = video.path if video.has_audio else None
    written, first_frame_seconds = 0, None
    with contextlib.ExitStack() as outputs:  # on an error, the writers remove what they wrote
        writer = outputs.enter_context(VideoWriter(job.output_path, video.fps, audio_from))
        keypoints_writer = None
        if job.keypoints_path is not None:
            keypoints_writer = outputs.enter_context(VideoWriter(job.keypoints_path, video.fps, audio_from))
        for batch in batches:
            kp_initial = batch.keypoints.select(0) if kp_initial is None else kp_initial
            results = engine.move(source, batch.keypoints, kp_initial, job.motion)
            writer.write(results if framed.paste_back is None else framed.paste_back(results))
            if keypoints_writer is not None:
                keypoints = side_by_side_batch(framed.image[0], batch.frames, batch.keypoints.value, results)
                keypoints_writer.write(keypoints)
            first_frame_seconds = first_frame_seconds or time.perf_counter() - start
            written += len(results)
            bar.update(len(results))
        if written == 0:
            raise InvalidInputError(f"The driving video {job.driving_video} has no frames that can be decoded.")
    return written, first_frame_seconds


def animate_video_file(pipe, job: VideoJob) -> AnimationResult:
    """Runs ``job`` with the pipeline ``pipe`` (the steps of the module)."""
    start = time.perf_counter()
    # 1. Check the arguments.
    job = check_job(job)
    # 2. Frame the source.
    framer = SubjectFramer(pipe.category) if job.framing == "auto" else None
    framed = prepare_framed_source(job.source_image, framer, pipe.image_size, job.fit, job.paste_back)
    engine = pipe_engine(pipe, job, framed.image)
    source = engine.encode_source(framed.image)
    with open_video(job.driving_video) as video:
        total = video.num_frames if job.max_frames is None else min(video.num_frames, job.max_frames)
        # 3. Follow the subject through the driving video.
        with pipe.frame_progress(total, "Following the subject", job.progress and framer is not None) as bar:
            track, driving_notes = follow_driving_subject(framer, video, job, bar)
        # 4. The reference pose: the first frame's, or the one closest to the source's.
        keypoints, kp_initial, chosen = None, None, None
        if job.find_best_frame:
            with pipe.frame_progress(total, "Finding the best frame", job.progress) as bar:
                batches = driving_batches(video, track, job, pipe.image_size, engine)
                keypoints, kp_initial, chosen = reference_pose(batches, source, framed, pipe.category, bar)
        # 5. Stream: decode, crop, detect, animate and write, a batch at a time.
        with pipe.frame_progress(total, "Animating", job.progress) as bar:
            batches = driving_batches(video, track, job, pipe.image_size, engine, keypoints)
            written, first_frame_seconds = write_animation(batches, engine, source, framed, job, video, kp_initial,
                                                           bar, start)
    return AnimationResult(
        output=job.output_path,
        keypoints_output=job.keypoints_path,
        num_frames=written,
        fps=video.fps,
        seconds=time.perf_counter() - start,
        seconds_to_first_frame=first_frame_seconds,
        initial_frame=chosen.index if chosen is not None else 0,
        device=str(engine.device),
        dtype=engine.precision,
        truncated=job.max_frames is not None and video.num_frames > job.max_frames,
        framing_notes=framed.notes + driving_notes,
        model=pipe.name,
        category=pipe.category,
        max_frames=job.max_frames,
        driving_seconds=video.duration,
        best_frame=chosen if job.motion.relative else None,
        sound_left_out=video.has_audio and Path(job.output_path).suffix.lower() == ".gif",
    )


def pipe_engine(pipe, job: VideoJob, source: torch.Tensor) -> StreamingEngine:
    """The engine the job asks for; int8 graphs that it needs and the model has none of yet are made first,
    calibrated on the source and the first driving frames (:meth:`~.engine_cache.EngineCache.prepare_fast`)."""
    if job.graphs is None and pipe.engines.needs_int8_graphs(job.fast, job.backend, job.int8):
        with open_video(job.driving_video) as video:
            frames = np.stack(list(itertools.islice(video.frames(), CALIBRATION_FRAMES)))
        driving = prepare_images(frames, pipe.image_size, job.fit, "the driving video")
        pipe.engines.prepare_fast(source, driving, job.motion, job.batch_size, job.fast, job.backend, job.int8)
    return pipe.engine(job.fast, job.backend, job.int8, job.graphs)


def counted(frames, bar):
    """``frames``, counting each on the progress ``bar``."""
    for frame in frames:
        yield frame
        bar.update(1)

