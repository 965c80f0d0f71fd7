"""Writing videos frame by frame through an ffmpeg pipe: atomically, and with the audio of the driving video."""

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple

import numpy as np
import torch

from ..errors import InvalidInputError
from ..images import to_uint8
from ..permissions import give_ordinary_permissions
from .ffmpeg import ffmpeg_command, fps_as_fraction, probe_media, run_ffmpeg


@dataclass(frozen=True)
class OutputFormat:
    """How ffmpeg writes one kind of video file."""

    video_args: Tuple[str, ...]  # encoder options
    audio_codec: Optional[str]  # None: the container holds no audio
    container_args: Tuple[str, ...] = ()  # muxer options


EVEN_SIZE = "crop=trunc(iw/2)*2:trunc(ih/2)*2"  # yuv420p needs an even width and height: drop an odd last row/column
H264 = ("-vf", EVEN_SIZE, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18")
VP9 = ("-vf", EVEN_SIZE, "-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-crf", "32", "-b:v", "0")
# libvpx's faster settings, for a file of about the same size (docs/performance.md gives the figures)
VP9_SPEED = ("-deadline", "good", "-cpu-used", "4", "-row-mt", "1")
GIF_PALETTE = ("-vf", "split[a][b];[a]palettegen[p];[b][p]paletteuse")  # one palette fitted to all the frames
FASTSTART = ("-movflags", "+faststart")  # index first, so that players can start before the download ends

OUTPUT_FORMATS = {
    ".mp4": OutputFormat(H264, "aac", FASTSTART),
    ".mov": OutputFormat(H264, "aac", FASTSTART),
    ".mkv": OutputFormat(H264, "aac"),
    ".webm": OutputFormat(VP9 + VP9_SPEED, "libopus"),
    ".gif": OutputFormat(GIF_PALETTE, None),
}


class VideoWriter:
    """Writes a video frame by frame; the file appears at ``path`` only once it is complete.

    Frames go to ffmpeg as they come, which encodes them into a hidden temporary file next to ``path``. On
    ``close()`` (the end of the ``with`` block) the audio track of ``audio_from`` is added, trimmed to the
    video's duration, and the file is renamed to ``path``. If the block raises, or no frame was written, the
    temporary files are deleted and nothing is written at ``path``.

    Formats: .mp4, .mov, .mkv (H.264, AAC audio), .webm (VP9, Opus audio) and .gif (no audio). H.264 and VP9
    need even sizes: a last odd row or column is dropped.

    Args:
        path: the video file to write.
        fps: frames per second, kept exactly (29.97002997... is written as 30000/1001).
        audio_from: a video (or audio) file whose audio track to add; files without audio and folders of frames
            add none.

    Example::

        with VideoWriter("result.mp4", fps=video.fps, audio_from=video.path) as writer:
            for batch in batches:
                writer.write(batch)
    """

    def __init__(self, path, fps: float, audio_from=None):
        self.path = check_output_path(path)
        self.format = OUTPUT_FORMATS[self.path.suffix.lower()]
        if not fps > 0:
            raise InvalidInputError(f"fps must be positive; got {fps}.")
        self.fps = fps
        self.audio_source = None  # the file whose audio track is added; folders of frames have none
        if audio_from is not None and self.format.audio_codec and not Path(audio_from).is_dir():
            self.audio_source = Path(audio_from) if probe_media(audio_from).has_audio else None
        self.num_frames = 0
        self.frame_size = None  # (width, height), set by the first write
        self.closed = False
        self._encoder = None  # the ffmpeg process, started by the first write
        self._encoder_output = None  # the temporary file it writes
        self._encoder_log = None  # a file that receives its error messages
        self._temporary_files = []

    def write(self, frames) -> None:
        """Appends frames: a uint8 array (H, W, 3) or (N, H, W, 3); a tensor (3, H, W) or (N, 3, H, W), float in
        [0, 1] or uint8; or a list of arrays or PIL images."""
        if self.closed:
            raise InvalidInputError(f"Cannot write to {self.path}: the writer is closed.")
        batch = to_uint8_frames(frames)  # (N, H, W, 3)
        frame_size = (batch.shape[2], batch.shape[1])
        if self._encoder is None:
            self.frame_size = frame_size
            self._start_encoder()
        elif frame_size != self.frame_size:
            raise InvalidInputError(
                f"All frames must have the same size (width, height): got {frame_size} after {self.frame_size}."
            )
        try:
            self._encoder.stdin.write(np.ascontiguousarray(batch))
        except BrokenPipeError:  # ffmpeg has quit
            self._encoder.wait()
            raise RuntimeError(f"ffmpeg stopped while writing {self.path}: {self._encoder_errors()}") from None
        self.num_frames += len(batch)

    def close(self) -> None:
        """Finishes the video: ends the encoding, adds the audio and moves the file to ``path``."""
        if self.closed:
            return
        try:
            if self.num_frames == 0:
                raise InvalidInputError(f"No frames were written, so {self.path} was not created.")
            self._encoder.communicate()  # closes its input and waits for the encoding to end
            if self._encoder.returncode != 0:
                raise RuntimeError(f"ffmpeg failed to encode {self.path}: {self._encoder_errors()}")
            video = self._encoder_output if self.audio_source is None else self._add_audio(self._encoder_output)
            give_ordinary_permissions(video)  # mkstemp makes private files
            os.replace(video, self.path)
        finally:
            self.discard()

    def discard(self) -> None:
        """Stops writing and deletes the temporary files; what was at ``path`` stays as it was."""
        if self._encoder is not None:
            if self._encoder.poll() is None:
                self._encoder.kill()
            self._encoder.communicate()  # closes its input, ignoring a broken pipe, and waits
            self._encoder_log.close()
        for file in self._temporary_files:
            file.unlink(missing_ok=True)
        self.closed = True

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()

    def _start_encoder(self) -> None:
        width, height = self.frame_size
        self._encoder_output = self._temporary_file()
        command = ffmpeg_command(
            *("-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", f"{width}x{height}"),
            *("-framerate", fps_as_fraction(self.fps), "-i", "pipe:"),
            *self.format.video_args,
            *self.format.container_args,
            *("-y", self._encoder_output),
        )
        # Error messages go to a file: a pipe nobody reads would stall ffmpeg once full.
        self._encoder_log = tempfile.TemporaryFile()
        self._encoder = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._encoder_log
        )

    def _encoder_errors(self) -> str:
        self._encoder_log.seek(0)
        return self._encoder_log.read().decode(errors="replace").strip()

    def _add_audio(self, video_file: Path) -> Path:
        """A copy of ``video_file`` with the audio track of ``audio_source``, trimmed to the video's duration."""
        output = self._temporary_file()
        duration = float(self.num_frames / fps_as_fraction(self.fps))
        run_ffmpeg(
            *("-i", video_file, "-i", self.audio_source, "-map", "0:v:0", "-map", "1:a:0"),
            *("-c:v", "copy", "-c:a", self.format.audio_codec, "-t", f"{duration:.6f}"),
            *self.format.container_args,
            *("-y", output),
        )
        return output

    def _temporary_file(self) -> Path:
        """A new hidden file next to ``path``, with the same extension (from which ffmpeg picks the format)."""
        try:
            handle, name = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix, dir=self.path.parent)
        except OSError as error:
            raise InvalidInputError(f"Cannot write in {self.path.parent} ({error}).") from None
        os.close(handle)
        self._temporary_files.append(Path(name))
        return Path(name)


def to_uint8_frames(frames) -> np.ndarray:
    """Frames in any form that :meth:`VideoWriter.write` takes -> uint8 array (N, H, W, 3)."""
    if isinstance(frames, (list, tuple)):
        frames = np.stack([np.asarray(frame) for frame in frames])
    if isinstance(frames, torch.Tensor):
        if frames.ndim not in (3, 4) or frames.shape[-3] != 3:
            raise InvalidInputError(f"Tensor frames must be (3, H, W) or (N, 3, H, W); got {tuple(frames.shape)}.")
        frames = frames.detach().cpu()
        if frames.ndim == 3:
            frames = frames[None]
        if frames.is_floating_point():
            frames = to_uint8(frames)
        else:
            frames = frames.permute(0, 2, 3, 1).numpy()  # (N, 3, H, W) -> (N, H, W, 3)
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim not in (3, 4):
        raise InvalidInputError(
            "Frames must be uint8 arrays (H, W, 3) or (N, H, W, 3), tensors (3, H, W) or (N, 3, H, W), or a list of "
            f"arrays or PIL images; got {type(frames).__name__} {getattr(frames, 'dtype', '')}."
        )
    if frames.ndim == 3:
        frames = frames[None]
    if frames.shape[-1] != 3:
        raise InvalidInputError(f"Frames must have 3 (RGB) channels last; got shape {frames.shape}.")
    return frames


def check_output_path(path, keep: Optional[Mapping[str, object]] = None) -> Path:
    """``path`` as a Path if a video can be written there (a known format, in an existing, writable folder, and
    none of the files of ``keep``: {what it is: path}, e.g. the inputs); raises InvalidInputError saying what is
    wrong otherwise. Nothing is written."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInputError(f"Cannot write {path}: it is a folder.")
    for what, other in (keep or {}).items():
        if other is not None and is_same_file(path, Path(other)):
            raise InvalidInputError(f"Cannot write {path}: it is {what}, which would be lost; give another path.")
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise InvalidInputError(
            f"Cannot write {path}: the output must be one of {', '.join(OUTPUT_FORMATS)} (from its extension)."
        )
    folder = path.parent
    if not folder.is_dir():
        raise InvalidInputError(f"Cannot write {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInputError(f"Cannot write {path}: the folder {folder} is not writable.")
    return path


def is_same_file(path: Path, other: Path) -> bool:
    """Whether two paths name the same file (existing or not: then by their absolute, normalised paths)."""
    if path.exists() and other.exists():
        return os.path.samefile(path, other)
    return os.path.abspath(path) == os.path.abspath(other)
