"""Talking to ffmpeg: probing media files and running the ffmpeg binary of imageio-ffmpeg."""

import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional, Tuple

import imageio_ffmpeg

from ..errors import InvalidInputError

MAX_STATED_FPS = 240.0  # a higher "frame rate" in a header is a time base (webm's "1k"), not how often frames come


@dataclass(frozen=True)
class MediaInfo:
    """What the header of a media file announces, completed by counting the video packets if it states no length.

    Files written as a stream, like the webm recordings of browsers' MediaRecorder (webcam recordings), state no
    duration: then ``duration`` is measured by reading the video packets without decoding them, which is fast.
    ``duration`` is 0.0 if even that fails.
    """

    has_video: bool
    has_audio: bool
    fps: Optional[float]  # None without a video stream
    duration: float  # seconds, of the longest stream; measured on the video stream if the header states none


def probe_media(path) -> MediaInfo:
    """Reads the header of a media file (and counts its video packets if the header states no duration); raises
    InvalidInputError if ffmpeg cannot open it."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path} does not exist or is not a file.")
    if path.stat().st_size == 0:
        raise InvalidInputError(f"{path} is empty (0 bytes): it is not a video.")
    # Without an output file, ffmpeg prints the header of its input and exits with an error: the status says nothing.
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", ffmpeg_argument(path)]
    process = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    header = process.stderr.decode(errors="replace")
    if not re.search(r"^Input #0\b", header, flags=re.MULTILINE):
        raise InvalidInputError(
            f"Cannot read {path} as a video ({ffmpeg_error_reason(header)}): it is not a video, or it is damaged "
            "or incomplete."
        )
    info = parse_header(header)
    if info.has_video and info.duration is None:
        frames, seconds = count_video_packets(path)
        fps = info.fps
        if frames and seconds and (fps is None or fps > MAX_STATED_FPS):
            fps = frames / seconds  # the header states no real frame rate: the average of the recording
        if not seconds and frames and fps:
            seconds = frames / fps
        return MediaInfo(has_video=True, has_audio=info.has_audio, fps=fps, duration=seconds or 0.0)
    return MediaInfo(has_video=info.has_video, has_audio=info.has_audio, fps=info.fps, duration=info.duration or 0.0)


@dataclass(frozen=True)
class StatedInfo:
    """What the ``ffmpeg -i`` header states: ``duration`` and ``fps`` are None where it states none."""

    has_video: bool
    has_audio: bool
    fps: Optional[float]
    duration: Optional[float]


def parse_header(header: str) -> StatedInfo:
    """Parses what ``ffmpeg -i`` prints about its input (its standard error)."""
    duration = None
    stated = re.search(r"^\s*Duration: (\d+):(\d+):(\d+(?:\.\d*)?)", header, flags=re.MULTILINE)
    if stated:
        hours, minutes, seconds = stated.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    has_video = has_audio = False
    fps = None
    # "  Stream #0:1[0x2](eng): Video: h264 (High), yuv420p, 1280x720, 2500 kb/s, 29.97 fps, 29.97 tbr, ..."
    for kind, description in re.findall(r"^\s+Stream #0:\d+\S*: (Video|Audio): (.*)$", header, flags=re.MULTILINE):
        if kind == "Audio":
            has_audio = True
        elif "(attached pic)" not in description and not has_video:  # cover art is no video (ffmpeg's 0:V)
            has_video = True
            fps = stated_fps(description)
    return StatedInfo(has_video, has_audio, fps, duration)


def stated_fps(stream_description: str) -> Optional[float]:
    """The frame rate of a video stream line of ``ffmpeg -i``: its "fps" (average), else its "tbr" (guessed)."""
    for unit in ("fps", "tbr"):
        match = re.search(rf"(?:^|[ ,])(\d+(?:\.\d+)?)(k?) {unit}\b", stream_description)
        if match:
            fps = float(match.group(1)) * (1000 if match.group(2) else 1)
            if fps > 0:
                # ffmpeg prints 30000/1001 as 29.97, which is another rate: 2997/100.
                ntsc = round(fps * 1.001) * 1000 / 1001
                return ntsc if fps != round(fps) and abs(fps - ntsc) < 0.01 else fps
    return None


def count_video_packets(path: Path) -> Tuple[int, float]:
    """(packets, seconds) of the first video stream, read without decoding it; (0, 0.0) if ffmpeg fails."""
    command = ffmpeg_command(
        "-i", path, "-map", "0:V:0", "-c", "copy", "-f", "null", "-progress", "pipe:1", "-nostats", "-"
    )
    process = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    progress = process.stdout.decode(errors="replace")
    frames = re.findall(r"^frame=(\d+)", progress, flags=re.MULTILINE)
    microseconds = re.findall(r"^out_time_us=(\d+)", progress, flags=re.MULTILINE)
    return (int(frames[-1]) if frames else 0), (int(microseconds[-1]) / 1e6 if microseconds else 0.0)


def ffmpeg_error_reason(messages: str) -> str:
    """What ffmpeg says went wrong with its input: "Invalid data found when processing input", ..."""
    lines = [line.strip() for line in messages.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("Error opening input files:"):
            return line.split(":", 1)[1].strip()
    useful = [line for line in lines if line != "At least one output file must be specified"]
    if not useful:
        return "ffmpeg found no media in it"
    return re.sub(r"^\[[^\]]*\]\s*", "", useful[-1])  # without the "[in#0 @ 0x5563...]" prefix


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
