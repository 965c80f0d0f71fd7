"""Talking to ffmpeg: probing media files with moviepy, and running the ffmpeg binary of imageio-ffmpeg."""

import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional

import imageio_ffmpeg
from moviepy.video.io.ffmpeg_reader import ffmpeg_parse_infos

from ..errors import InvalidInputError


@dataclass(frozen=True)
class MediaInfo:
    """What the header of a media file announces."""

    has_video: bool
    has_audio: bool
    fps: Optional[float]  # None without a video stream
    duration: float  # seconds, of the longest stream


def probe_media(path) -> MediaInfo:
    """Reads the header of a media file; raises InvalidInputError if ffmpeg cannot open it."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path} does not exist or is not a file.")
    if path.stat().st_size == 0:
        raise InvalidInputError(f"{path} is empty (0 bytes): it is not a video.")
    try:
        infos = ffmpeg_parse_infos(str(path))
    except OSError as error:
        # moviepy's message ends with ffmpeg's own output; its last line says what went wrong.
        reason = str(error).strip().splitlines()[-1]
        raise InvalidInputError(
            f"Cannot read {path} as a video ({reason}): it is not a video, or it is damaged or incomplete."
        ) from None
    return MediaInfo(
        has_video=infos["video_found"],
        has_audio=infos["audio_found"],
        fps=infos.get("video_fps"),
        duration=infos.get("duration") or 0.0,
    )


def fps_as_fraction(fps: float) -> Fraction:
    """The rational frame rate ffmpeg should use for ``fps``: 29.97002997... -> 30000/1001, 29.97 -> 2997/100."""
    return Fraction(fps).limit_denominator(1001)


def ffmpeg_argument(value) -> str:
    """Paths become file: URLs, which ffmpeg cannot mistake for options or protocols ("-take2.mp4", "a:b.mp4")."""
    return f"file:{value}" if isinstance(value, Path) else str(value)


def ffmpeg_command(*args) -> list:
    """An ffmpeg command line that reads no keyboard input and only reports errors."""
    quiet = ("-nostdin", "-hide_banner", "-loglevel", "error")
    return [imageio_ffmpeg.get_ffmpeg_exe(), *quiet, *map(ffmpeg_argument, args)]


def run_ffmpeg(*args) -> bytes:
    """Runs ffmpeg to completion and returns its standard output; raises RuntimeError if it fails."""
    process = subprocess.run(ffmpeg_command(*args), stdin=subprocess.DEVNULL, capture_output=True)
    if process.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {process.stderr.decode(errors='replace').strip()}")
    return process.stdout
