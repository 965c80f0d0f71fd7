"""Tests of fomm_hf.video: streaming driving videos in, writing results with audio.

The clips are made on the fly with the ffmpeg binary of imageio-ffmpeg (testsrc pattern, 440 Hz sine track).
"""

import inspect
import subprocess
import tracemalloc
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import PIL.Image
import pytest
import torch

from fomm_hf.errors import InvalidInputError
from fomm_hf.images import prepare_images
from fomm_hf.video import VideoWriter, check_output_path, iter_batches, open_video
from fomm_hf.video.ffmpeg import StatedInfo, parse_header

from .helpers import H264, MEDIA, audio_seconds, ffmpeg, make_clip, needs, random_frames, read_all

CARPHONE = MEDIA / "carphone.mp4"

@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip_with_audio(media) -> Path:
    """2 s of 96x64 video at 25 fps with 2 s of sine; index first, so that a truncated copy still opens."""
    return make_clip(media / "with_audio.mp4", audio_seconds=2, output_args=H264 + ("-movflags", "+faststart"))


@pytest.fixture(scope="session")
def silent_clip(media) -> Path:
    return make_clip(media / "silent.mp4")


# Reading


def test_video_file_is_streamed_with_its_metadata(clip_with_audio):
    with open_video(clip_with_audio) as video:
        assert (video.fps, video.size, video.num_frames, video.has_audio) == (25.0, (96, 64), 50, True)
        assert video.duration == pytest.approx(2.0, abs=0.05)
        frames = video.frames()
        assert inspect.isgenerator(frames)
        first = next(frames)
        assert first.dtype == np.uint8 and first.shape == (64, 96, 3)
        assert 1 + sum(1 for _ in frames) == 50


def test_fps_argument_resamples_video_files(clip_with_audio):
    with open_video(clip_with_audio, fps=10) as video:
        assert (video.fps, video.num_frames) == (10, 20)
        assert len(list(video.frames())) == 20


def test_closing_the_video_stops_unfinished_iterators(silent_clip):
    with open_video(silent_clip) as video:
        frames = video.frames()
        next(frames)
    assert inspect.getgeneratorstate(frames) == inspect.GEN_CLOSED


def test_frames_are_decoded_one_at_a_time(media):
    clip = make_clip(media / "long.mp4", size="320x240", seconds=8)  # 200 frames, 46 MB decoded
    tracemalloc.start()
    try:
        with open_video(clip) as video:
            num_frames = sum(1 for _ in video.frames())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert num_frames == 200
    assert peak < 5 * 320 * 240 * 3


@pytest.mark.parametrize(
    "name, output_args",
    [
        ("clip.mov", H264),
        ("clip.mkv", H264),
        ("clip.avi", ("-c:v", "mpeg4")),
        ("clip.webm", ("-c:v", "libvpx", "-b:v", "500k")),
        ("clip.gif", ()),
    ],
)
def test_reads_video_formats(media, name, output_args):
    clip = make_clip(media / name, seconds=1, output_args=output_args)
    with open_video(clip) as video:
        assert (video.fps, video.size, video.has_audio) == (25.0, (96, 64), False)
        frames = list(video.frames())
    assert len(frames) == 25
    assert all(frame.shape == (64, 96, 3) and frame.dtype == np.uint8 for frame in frames)


def test_webm_without_a_stated_duration_is_measured(media):
    """Browsers' MediaRecorder (webcam recordings) writes webm as a stream: its header states no duration."""
    recording = media / "recording.webm"
    recording.write_bytes(
        ffmpeg(
            "-f", "lavfi", "-i", "testsrc=size=96x64:rate=25:duration=2",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
            "-c:v", "libvpx", "-c:a", "libopus", "-f", "webm", "pipe:",
        )
    )  # fmt: skip
    header = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", recording], capture_output=True, text=True, check=False
    ).stderr
    assert "Duration: N/A" in header
    with open_video(recording) as video:
        assert (video.fps, video.size, video.num_frames, video.has_audio) == (25.0, (96, 64), 50, True)
        assert video.duration == pytest.approx(2.0, abs=0.05)
        frames = list(video.frames())
    assert len(frames) == 50
    assert all(frame.shape == (64, 96, 3) and frame.dtype == np.uint8 for frame in frames)
    with open_video(recording, fps=10) as video:
        assert (video.fps, video.num_frames) == (10, 20)
        assert len(list(video.frames())) == 20


def test_header_parsing():
    header = """Input #0, matroska,webm, from 'recording.webm':
  Metadata:
    encoder         : Chrome
  Duration: N/A, start: 0.000000, bitrate: N/A
  Stream #0:0(eng): Audio: opus, 48000 Hz, mono, fltp (default)
  Stream #0:1(eng): Video: vp8, yuv420p(progressive), 640x480, SAR 1:1 DAR 4:3, 29.97 fps, 1k tbr, 1k tbn (default)
At least one output file must be specified
"""
    assert parse_header(header) == StatedInfo(has_video=True, has_audio=True, fps=30000 / 1001, duration=None)
    timebase_only = header.replace("Duration: N/A", "Duration: 01:02:03.50").replace("29.97 fps, ", "")
    assert parse_header(timebase_only) == StatedInfo(has_video=True, has_audio=True, fps=1000.0, duration=3723.5)
    cover_art = "  Stream #0:1: Video: mjpeg (Baseline), yuvj420p, 600x600, 90k tbr, 90k tbn (attached pic)"
    assert parse_header(header.replace(header.splitlines()[5], cover_art)).has_video is False


def test_rotated_phone_video_comes_out_upright(media, silent_clip):
    rotated = media / "rotated.mp4"
    ffmpeg("-display_rotation", 90, "-i", silent_clip, "-c", "copy", rotated)
    with open_video(rotated) as video:
        assert video.size == (64, 96)
        assert next(video.frames()).shape == (96, 64, 3)


def test_one_frame_video(media):
    clip = make_clip(media / "one_frame.mp4", output_args=H264 + ("-frames:v", 1))
    with open_video(clip) as video:
        assert video.num_frames == 1
        assert len(list(video.frames())) == 1


def test_truncated_tail_yields_the_frames_that_decode(tmp_path, clip_with_audio):
    truncated = tmp_path / "truncated.mp4"
    data = clip_with_audio.read_bytes()
    truncated.write_bytes(data[: len(data) * 7 // 10])
    with open_video(truncated) as video:
        assert video.num_frames == 50  # what the header announces
        with pytest.warns(UserWarning, match="truncated"):
            frames = list(video.frames())
    assert 0 < len(frames) < 50
    np.testing.assert_array_equal(frames[0], read_all(clip_with_audio)[0])


def make_unreadable(directory: Path, kind: str) -> Path:
    path = directory / f"{kind}.mp4"
    if kind == "text":
        path.write_text("This is not a video.\n" * 20)
    elif kind == "empty":
        path.touch()
    elif kind == "header_only":  # the moov index of this clip comes first: keep it, and no frame data
        source = make_clip(directory / "source.mp4", output_args=H264 + ("-movflags", "+faststart"))
        path.write_bytes(source.read_bytes()[:3000])
    elif kind == "index_lost":  # ffmpeg writes the moov index last: cutting the file loses it
        data = make_clip(directory / "source.mp4").read_bytes()
        path.write_bytes(data[: len(data) * 7 // 10])
    return path


@pytest.mark.parametrize("kind", ["text", "empty", "missing", "header_only", "index_lost"])
def test_unreadable_file_raises_invalid_input(tmp_path, kind):
    path = make_unreadable(tmp_path, kind)
    with pytest.raises(InvalidInputError, match=path.name):
        open_video(path)


def test_unreadable_file_gives_the_reason_ffmpeg_gives(tmp_path):
    with pytest.raises(InvalidInputError, match="Invalid data found when processing input") as error:
        open_video(make_unreadable(tmp_path, "text"))
    assert "output file" not in str(error.value)


def test_file_without_streams_is_not_a_video(tmp_path):
    no_frames = tmp_path / "no_frames.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=48x40:duration=1", "-frames:v", 0, *H264, no_frames)
    with pytest.raises(InvalidInputError, match="no video stream"):
        open_video(no_frames)


def test_audio_only_file_is_not_a_video(tmp_path):
    audio = tmp_path / "sine.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", audio)
    with pytest.raises(InvalidInputError, match="no video stream"):
        open_video(audio)


# Folders of frames


def save_frame(path: Path, colour, mode="RGB", size=(32, 24)):
    PIL.Image.new(mode, size, colour).save(path)


def test_folder_of_frames_plays_in_natural_order(tmp_path):
    save_frame(tmp_path / "frame10.png", (0, 0, 255))
    save_frame(tmp_path / "frame2.jpg", (0, 255, 0))
    save_frame(tmp_path / "frame1.png", (255, 0, 0))
    (tmp_path / "notes.txt").write_text("not a frame")
    (tmp_path / "._frame1.png").write_bytes(b"macOS metadata, not an image")
    with open_video(tmp_path) as video:
        assert (video.fps, video.size, video.num_frames, video.has_audio) == (25.0, (32, 24), 3, False)
        assert video.duration == pytest.approx(3 / 25)
        frames = list(video.frames())
    dominant_channels = [int(frame.reshape(-1, 3).mean(0).argmax()) for frame in frames]
    assert dominant_channels == [0, 1, 2]
    assert open_video(tmp_path, fps=10).fps == 10


def test_grey_and_transparent_frames_come_out_rgb(tmp_path):
    save_frame(tmp_path / "0.png", 128, mode="L")
    save_frame(tmp_path / "1.png", (128, 0), mode="LA")  # fully transparent grey
    save_frame(tmp_path / "2.png", (255, 0, 0, 128), mode="RGBA")  # half transparent red
    with open_video(tmp_path) as video:
        grey, transparent, half_red = video.frames()
    assert all(frame.shape == (24, 32, 3) and frame.dtype == np.uint8 for frame in (grey, transparent, half_red))
    assert (grey == 128).all()
    assert (transparent == 255).all()  # composited onto white, like source images
    np.testing.assert_allclose(half_red[0, 0], [255, 127, 127], atol=1)


def test_grey_and_alpha_video_files_come_out_rgb(media):
    alpha = read_all(make_clip(media / "alpha.mov", seconds=1, output_args=("-pix_fmt", "rgba", "-c:v", "png")))
    grey = read_all(make_clip(media / "grey.mkv", seconds=1, output_args=("-pix_fmt", "gray", "-c:v", "ffv1")))
    assert alpha.shape == grey.shape == (25, 64, 96, 3)
    assert (grey == grey[..., :1]).all()


def test_folder_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="no frames"):
        open_video(tmp_path)
    save_frame(tmp_path / "a.png", (0, 0, 0))
    save_frame(tmp_path / "b.png", (0, 0, 0), size=(16, 16))
    with pytest.raises(InvalidInputError, match="same size"):
        open_video(tmp_path)


def test_a_still_image_is_not_a_driving_video(tmp_path):
    PIL.Image.new("RGB", (32, 32)).save(tmp_path / "photo.png")
    with pytest.raises(InvalidInputError, match="photo.png is a still image"):
        open_video(tmp_path / "photo.png")


def test_iter_batches():
    assert [len(batch) for batch in iter_batches(range(10), 4)] == [4, 4, 2]
    with pytest.raises(InvalidInputError):
        next(iter_batches(range(10), 0))


# Writing


def test_writes_frames_as_they_come(tmp_path):
    frames = random_frames(12)
    path = tmp_path / "result.mp4"
    with VideoWriter(path, fps=25) as writer:
        writer.write(frames[0])  # one uint8 (H, W, 3) frame
        writer.write(frames[1:4])  # a uint8 batch (N, H, W, 3)
        writer.write(torch.from_numpy(frames[4:8]).permute(0, 3, 1, 2).float() / 255)  # a float tensor (N, 3, H, W)
        writer.write([PIL.Image.fromarray(frame) for frame in frames[8:]])  # PIL images
        assert not path.exists()
    written = read_all(path)
    assert written.shape == frames.shape
    # H.264 changes values a little: each written frame must be close to its original, and closer than to others.
    errors = np.abs(written[:, None].astype(float) - frames[None]).mean(axis=(2, 3, 4))  # (written, original)
    assert (errors.argmin(axis=1) == np.arange(len(frames))).all()
    assert errors.diagonal().max() < 10
    assert sorted(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("extension", ["mp4", "webm", "gif"])
def test_output_formats(tmp_path, extension):
    path = tmp_path / f"result.{extension}"
    with VideoWriter(path, fps=25) as writer:
        writer.write(random_frames(10))
    with open_video(path) as video:
        assert (video.fps, video.size) == (25.0, (96, 64))
        assert len(list(video.frames())) == 10


def test_odd_sizes_lose_a_row_and_a_column_in_mp4_only(tmp_path):
    frames = random_frames(3, height=65, width=97)
    for extension, size in (("mp4", (96, 64)), ("gif", (97, 65))):
        with VideoWriter(tmp_path / f"odd.{extension}", fps=25) as writer:
            writer.write(frames)
        assert open_video(tmp_path / f"odd.{extension}").size == size


@pytest.mark.parametrize("extension", ["mp4", "webm"])
def test_audio_is_carried_over_and_trimmed(tmp_path, clip_with_audio, extension):
    path = tmp_path / f"result.{extension}"
    with open_video(clip_with_audio) as video, VideoWriter(path, video.fps, audio_from=video.path) as writer:
        for batch in iter_batches(video.frames(), 5):
            writer.write(prepare_images(np.stack(batch), 64))
            if writer.num_frames >= 25:  # stop after 1 s of the 2 s clip
                break
    with open_video(path) as result:
        assert result.has_audio
        assert result.size == (64, 64)
        video_seconds = len(list(result.frames())) / result.fps
    assert video_seconds == pytest.approx(1.0, abs=0.01)
    assert audio_seconds(path) == pytest.approx(video_seconds, abs=0.1)


def test_silent_driving_video_gives_silent_result(tmp_path, silent_clip, clip_with_audio):
    for name, audio_from in (("silent.mp4", silent_clip), ("none.mp4", None), ("clip.gif", clip_with_audio)):
        with VideoWriter(tmp_path / name, fps=25, audio_from=audio_from) as writer:
            writer.write(random_frames(5))
        assert not open_video(tmp_path / name).has_audio


def test_one_frame_result(tmp_path):
    path = tmp_path / "one.mp4"
    with VideoWriter(path, fps=25) as writer:
        writer.write(random_frames(1))
    assert read_all(path).shape == (1, 64, 96, 3)


@pytest.mark.parametrize("fps", [30000 / 1001, 29.97, 12.5])
def test_frame_rate_is_kept(tmp_path, fps):
    path = tmp_path / "result.mp4"
    with VideoWriter(path, fps=fps) as writer:
        writer.write(random_frames(30))
    with open_video(path) as video:
        assert video.fps == pytest.approx(fps, abs=0.01)
        assert len(list(video.frames())) == 30


def test_exception_inside_the_writer_leaves_no_file(tmp_path, clip_with_audio):
    path = tmp_path / "result.mp4"
    with pytest.raises(KeyboardInterrupt):
        with VideoWriter(path, fps=25, audio_from=clip_with_audio) as writer:
            writer.write(random_frames(5))
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "result.mp4"
    path.write_bytes(b"previous result")
    with pytest.raises(ValueError, match="model failed"):
        with VideoWriter(path, fps=25) as writer:
            writer.write(random_frames(5))
            raise ValueError("model failed")
    assert path.read_bytes() == b"previous result"
    assert list(tmp_path.iterdir()) == [path]


def test_zero_frames_written_creates_nothing(tmp_path):
    with pytest.raises(InvalidInputError, match="No frames"):
        with VideoWriter(tmp_path / "empty.mp4", fps=25):
            pass
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_bad_arguments(tmp_path):
    with pytest.raises(InvalidInputError, match="must be one of .mp4"):
        VideoWriter(tmp_path / "result.xyz", fps=25)
    with pytest.raises(InvalidInputError, match="is a folder"):
        check_output_path(tmp_path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        VideoWriter(tmp_path / "missing" / "result.mp4", fps=25)
    with pytest.raises(InvalidInputError, match="fps"):
        VideoWriter(tmp_path / "result.mp4", fps=0)
    with pytest.raises(InvalidInputError, match="Cannot read"):
        VideoWriter(tmp_path / "result.mp4", fps=25, audio_from=make_unreadable(tmp_path, "text"))
    with VideoWriter(tmp_path / "result.mp4", fps=25) as writer:
        writer.write(random_frames(2))
        with pytest.raises(InvalidInputError, match="same size"):
            writer.write(random_frames(1, height=32, width=32))
        with pytest.raises(InvalidInputError, match="uint8"):
            writer.write(random_frames(1).astype(np.float32))


# Real content


@needs(CARPHONE)
def test_carphone_round_trip(tmp_path):
    path = tmp_path / "carphone_64.mp4"
    with open_video(CARPHONE) as video:
        assert video.size == (176, 144) and not video.has_audio
        assert video.fps == pytest.approx(29.97, abs=0.01)
        with VideoWriter(path, video.fps, audio_from=video.path) as writer:
            for batch in iter_batches(video.frames(), 32):
                writer.write(prepare_images(np.stack(batch), 64))
    assert writer.num_frames == 120
    with open_video(path) as result:
        assert (result.size, result.has_audio) == ((64, 64), False)
        assert result.fps == pytest.approx(video.fps, abs=1e-6)
        assert len(list(result.frames())) == 120
