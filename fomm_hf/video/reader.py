"""Reading driving videos one frame at a time: video files through an ffmpeg pipe, or folders of images."""

import itertools
import re
import subprocess
import tempfile
import warnings
import weakref
from io import BytesIO
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Tuple

import numpy as np
import PIL.Image

from ..errors import InvalidInputError
from ..images import IMAGE_EXTENSIONS, read_image
from .ffmpeg import ffmpeg_command, fps_as_fraction, probe_media, run_ffmpeg

DEFAULT_FPS = 25.0  # for folders of frames, and video files that state no frame rate


class DrivingVideo:
    """A driving video opened for streaming: its metadata, and ``frames()``, which decodes one frame at a time.

    Attributes:
        path: the video file or folder of frames.
        fps: frames per second of the frames that ``frames()`` yields.
        size: (width, height) of the frames.
        num_frames: number of frames; exact for folders, estimated from the header (or from the packets, if the
            header states no length) for video files.
        duration: length in seconds.
        has_audio: whether the file has an audio track.

    Use it as a context manager, or call ``close()``, to stop the decoders of unfinished ``frames()`` iterators.
    """

    def __init__(
        self, path: Path, fps: float, size: Tuple[int, int], num_frames: int, duration: float, has_audio: bool
    ):
        self.path = path
        self.fps = fps
        self.size = size
        self.num_frames = num_frames
        self.duration = duration
        self.has_audio = has_audio
        self._iterators = weakref.WeakSet()  # frames() iterators, which may hold a running decoder

    def frames(self) -> Iterator[np.ndarray]:
        """The frames in order, as uint8 RGB arrays (H, W, 3), decoded one at a time."""
        iterator = self._decode()
        self._iterators.add(iterator)
        return iterator

    def _decode(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        """Stops the decoding of every unfinished ``frames()`` iterator."""
        for iterator in list(self._iterators):
            iterator.close()

    def __enter__(self) -> "DrivingVideo":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        width, height = self.size
        return (
            f"{type(self).__name__}('{self.path}', {width}x{height}, {self.fps:.5g} fps, "
            f"{self.num_frames} frames, audio={self.has_audio})"
        )


class VideoFile(DrivingVideo):
    """A video file (mp4, mov, webm, avi, mkv, gif, ...) decoded by an ffmpeg pipe.

    Frames are sampled at the constant rate ``fps`` (ffmpeg repeats or drops frames of variable-frame-rate
    files), so frame i shows time i / fps and stays in sync with the audio. Unlike moviepy's reader, the stream
    ends where decoding ends: a truncated file yields the frames that decode, then a warning, instead of copies
    of its last frame. The frame rate and length are read from the header (``probe_media``), or measured when
    the header states no length (browsers' webcam recordings); the frame size is read from the first decoded
    frame, because it includes ffmpeg's automatic rotation of phone videos. Cover art is not a video stream.
    """

    def __init__(self, path: Path, fps: Optional[float] = None):
        info = probe_media(path)
        if not info.has_video:
            raise InvalidInputError(f"{path} has no video stream.")
        fps = fps or info.fps or DEFAULT_FPS
        # Decoding options, shared by the first-frame probe and the frame stream.
        self._decoding = ("-i", path, "-map", "0:V:0", "-vf", f"fps={fps_as_fraction(fps)}")
        super().__init__(
            path,
            fps,
            size=first_frame_size(self._decoding, path),
            num_frames=max(1, round(info.duration * fps)),
            duration=info.duration,
            has_audio=info.has_audio,
        )

    def _decode(self) -> Iterator[np.ndarray]:
        width, height = self.size
        command = ffmpeg_command(*self._decoding, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:")
        decoded = 0
        # ffmpeg's messages go to a file: a pipe nobody reads would stall ffmpeg once full.
        with tempfile.TemporaryFile() as log:
            # Leaving this block closes ffmpeg's output, which stops it if it has not finished.
            with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log) as decoder:
                while True:
                    frame = np.empty((height, width, 3), dtype=np.uint8)
                    if decoder.stdout.readinto(frame) < frame.nbytes:
                        break
                    decoded += 1
                    yield frame
            log.seek(0)
            errors = log.read().decode(errors="replace").strip()
        if errors:
            warnings.warn(
                f"{self.path} is damaged or truncated: ffmpeg decoded {decoded} of about {self.num_frames} frames "
                f"and reported: {errors.splitlines()[0]}",
                stacklevel=2,
            )


class FrameFolder(DrivingVideo):
    """A folder of image files, played in natural name order (frame2.png before frame10.png).

    Frames are read by :func:`fomm_hf.images.read_image`, as source images are.
    """

    def __init__(self, path: Path, fps: Optional[float] = None):
        self.files = sorted(filter(is_frame_file, path.iterdir()), key=lambda file: natural_sort_key(file.name))
        if not self.files:
            raise InvalidInputError(f"The folder {path} contains no frames ({', '.join(IMAGE_EXTENSIONS)} files).")
        size = image_size(self.files[0])
        for file in self.files[1:]:
            if (file_size := image_size(file)) != size:
                raise InvalidInputError(
                    f"All frames must have the same size: {file} is {file_size}, {self.files[0].name} is {size}."
                )
        fps = fps or DEFAULT_FPS
        super().__init__(path, fps, size, num_frames=len(self.files), duration=len(self.files) / fps, has_audio=False)

    def _decode(self) -> Iterator[np.ndarray]:
        for file in self.files:
            yield read_image(file)


def first_frame_size(decoding: tuple, path: Path) -> Tuple[int, int]:
    """Decodes the first frame as a PNG image: proves that the file decodes, and gives the size frames come out at."""
    try:
        png = run_ffmpeg(*decoding, "-frames:v", "1", "-c:v", "png", "-f", "image2pipe", "pipe:")
    except RuntimeError:
        png = b""
    if not png:
        raise InvalidInputError(f"No frame of {path} can be decoded: the file is damaged or incomplete.")
    with PIL.Image.open(BytesIO(png)) as first_frame:
        return first_frame.size


def is_frame_file(file: Path) -> bool:
    """An image file that is not hidden (macOS leaves "._frame1.png" files, which are not images)."""
    return file.suffix.lower() in IMAGE_EXTENSIONS and not file.name.startswith(".")


def natural_sort_key(name: str) -> list:
    """Sort key that orders the numbers in names by value: "frame2" < "frame10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name.lower())]


def image_size(file: Path) -> Tuple[int, int]:
    """(width, height) of an image file, read from its header."""
    try:
        with PIL.Image.open(file) as image:
            return image.size
    except OSError as error:
        raise InvalidInputError(f"Cannot read {file} as an image ({error}).") from None


def open_video(path, fps: Optional[float] = None) -> DrivingVideo:
    """Opens a driving video: a video file (mp4, mov, webm, avi, mkv, gif, ...) or a folder of image frames.

    Args:
        path: the video file, or a folder of png/jpg/jpeg/bmp/webp frames.
        fps: the rate to sample a video file at (default: its own), or to play a folder of frames at (default 25).

    Raises InvalidInputError if the file is missing, is a still image, or no frame of it can be decoded.
    """
    path = Path(path)
    if fps is not None and not fps > 0:
        raise InvalidInputError(f"fps must be positive; got {fps}.")
    if path.is_dir():
        return FrameFolder(path, fps)
    if is_still_image(path):
        raise InvalidInputError(
            f"{path} is a still image; the driving input must be a video (mp4, mov, webm, gif, ...) or a folder of "
            "frames."
        )
    return VideoFile(path, fps)


def is_still_image(path: Path) -> bool:
    """An image file (png, jpg, ...) with a single frame: ffmpeg would read it as a one-frame video."""
    if path.suffix.lower() not in IMAGE_EXTENSIONS or not path.is_file():
        return False
    try:
        with PIL.Image.open(path) as image:
            return not getattr(image, "is_animated", False)
    except (OSError, ValueError):
        return False


def iter_batches(frames: Iterable, batch_size: int) -> Iterator[List]:
    """Groups an iterable of frames into lists of ``batch_size`` frames (the last one may be shorter)."""
    if batch_size < 1:
        raise InvalidInputError(f"batch_size must be at least 1; got {batch_size}.")
    frames = iter(frames)
    while batch := list(itertools.islice(frames, batch_size)):
        yield batch
