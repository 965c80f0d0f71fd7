"""The Gradio app (app.py, fomm_hf.app): served on a local port with a tiny model, driven through gradio_client.

The driving clips are made with ffmpeg (see test_video.py); the server runs in this process.
"""

import socket
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
import torch

gr = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

from fomm_hf import FOMMPipeline, KeypointDetector, OcclusionAwareGenerator  # noqa: E402
from fomm_hf.app import Animator, AppSettings, crop_source, find_examples  # noqa: E402
from fomm_hf.app.cropping import FACE_MARGIN, face_detector, largest_face  # noqa: E402
from fomm_hf.app.model_cache import ModelCache  # noqa: E402
from fomm_hf.errors import InvalidInputError  # noqa: E402
from fomm_hf.video import open_video  # noqa: E402

from .conftest import MEDIA, TINY_GENERATOR, TINY_KP, needs  # noqa: E402
from .test_video import audio_seconds, ffmpeg, make_clip, read_all  # noqa: E402

# Gradio's queue calls pandas APIs that pandas 3 deprecates: not this project's concern.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing")

API_PARAMETERS = [
    "source_image",
    "driving_video",
    "motion",
    "adapt_scale",
    "find_best_frame",
    "fast",
    "show_keypoints",
    "model",
]
MAX_FRAMES = 30  # the test server's limit: a 2 s clip at 25 fps is cut to it
SETTINGS = AppSettings(max_seconds=0, max_frames=MAX_FRAMES, max_file_size="5mb", concurrency_limit=2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app")


@pytest.fixture(scope="module")
def tiny_model(files) -> Path:
    torch.manual_seed(0)
    pipe = FOMMPipeline(KeypointDetector(**TINY_KP).eval(), OcclusionAwareGenerator(**TINY_GENERATOR).eval(), 32)
    pipe.save_pretrained(files / "tiny-model")
    return files / "tiny-model"


@contextmanager
def running_app(files: Path, model=None):
    """Serves app.py on a free local port; ``model`` is its default model (None: the bundled one)."""
    with pytest.MonkeyPatch.context() as env:
        if model is None:
            env.delenv("FOMM_MODEL", raising=False)
        else:
            env.setenv("FOMM_MODEL", str(model))
        env.setenv("GRADIO_TEMP_DIR", str(files / "gradio"))
        env.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        import app

        demo = app.build_demo(SETTINGS)
        port = free_port()
        demo.launch(prevent_thread_lock=True, server_port=port, quiet=True, max_file_size=SETTINGS.max_file_size)
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            demo.close()


@pytest.fixture(scope="module")
def server(files, tiny_model):
    """The URL of the app, serving the tiny model as its default model."""
    with running_app(files, tiny_model) as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    return gradio_client.Client(server, verbose=False)


@pytest.fixture(scope="module")
def source_image(files) -> Path:
    gradient = np.linspace(0, 255, 48 * 64 * 3).reshape(48, 64, 3).astype(np.uint8)
    PIL.Image.fromarray(gradient).save(files / "source.png")
    return files / "source.png"


@pytest.fixture(scope="module")
def clip_with_audio(files) -> Path:
    """1 s at 25 fps, with sound."""
    return make_clip(files / "with_audio.mp4", size="48x40", seconds=1, audio_seconds=1)


@pytest.fixture(scope="module")
def long_silent_clip(files) -> Path:
    """2 s at 25 fps: longer than the server's limit."""
    return make_clip(files / "long.mp4", size="48x40", seconds=2)


def animate(client, source, driving, **options):
    """Calls /animate; returns the result video, the keypoints video (or None) and the status."""
    return client.predict(
        source_image=gradio_client.handle_file(str(source)) if source else None,
        driving_video=gradio_client.handle_file(str(driving)),
        api_name="/animate",
        **options,
    )


def test_api_exposes_the_stable_parameter_names(client):
    endpoint = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/animate"]
    assert [parameter["parameter_name"] for parameter in endpoint["parameters"]] == API_PARAMETERS
    assert len(endpoint["returns"]) == 3
    assert all(parameter["parameter_has_default"] for parameter in endpoint["parameters"][2:])


@pytest.mark.parametrize("motion", ["relative", "absolute"])
@pytest.mark.parametrize("show_keypoints", [False, True])
def test_animation_keeps_length_size_and_sound(client, source_image, clip_with_audio, motion, show_keypoints):
    result, keypoints, status = animate(
        client, source_image, clip_with_audio, motion=motion, show_keypoints=show_keypoints
    )
    assert read_all(result).shape == (25, 32, 32, 3)
    assert audio_seconds(result) == pytest.approx(1, abs=0.1)
    assert "25 frames at 25 fps" in status and "tiny-model" in status and "Cut" not in status
    if show_keypoints:
        assert read_all(keypoints).shape == (25, 32, 96, 3)  # source | driving with keypoints | result
        assert audio_seconds(keypoints) == pytest.approx(1, abs=0.1)
    else:
        assert keypoints is None


def test_long_driving_video_is_cut_and_the_status_says_so(client, source_image, long_silent_clip):
    result, _, status = animate(client, source_image, long_silent_clip, find_best_frame=True, adapt_scale=True)
    assert read_all(result).shape == (MAX_FRAMES, 32, 32, 3)
    assert f"Cut: the driving video is 2.0 s long; only its first {MAX_FRAMES} frames" in status
    assert "Relative motion from driving frame" in status
    with open_video(result) as video:
        assert not video.has_audio


def test_a_webcam_recording_without_a_stated_duration_is_animated(client, files, source_image):
    recording = files / "webcam.webm"
    recording.write_bytes(  # written to a pipe, as MediaRecorder does: no duration in the header
        ffmpeg("-f", "lavfi", "-i", "testsrc=size=48x40:rate=25:duration=2", "-c:v", "libvpx", "-f", "webm", "pipe:")
    )
    result, _, status = animate(client, source_image, recording)
    assert read_all(result).shape == (MAX_FRAMES, 32, 32, 3)
    assert "Cut" in status or "Limit reached" in status


def test_a_huge_source_image_is_animated(client, files, clip_with_audio):
    huge = files / "huge.png"
    ramp = np.broadcast_to(np.linspace(0, 255, 6000).astype(np.uint8)[:, None, None], (6000, 6000, 3))
    PIL.Image.fromarray(np.ascontiguousarray(ramp)).save(huge, compress_level=1)
    result, _, _ = animate(client, huge, clip_with_audio)
    assert read_all(result).shape == (25, 32, 32, 3)


@pytest.fixture(scope="module")
def bad_inputs(files, source_image, clip_with_audio) -> dict:
    """name -> (source, driving, options, what the error message says)."""
    clip = clip_with_audio
    (files / "notes.mp4").write_text("not a video")
    (files / "notes.txt").write_text("not a video")
    truncated = files / "truncated.mp4"
    whole = make_clip(files / "whole.mp4", size="48x40", seconds=1)  # index at the end: a truncated copy has none
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    no_frames = files / "no_frames.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=48x40:duration=1", "-frames:v", "0", "-c:v", "libx264", no_frames)
    tiny_image = files / "tiny.png"
    PIL.Image.new("RGB", (20, 20)).save(tiny_image)
    return {
        "not a video": (source_image, files / "notes.mp4", {}, "not a video"),
        "text file": (source_image, files / "notes.txt", {}, "not a video"),
        "no frames": (source_image, no_frames, {}, "The driving video cannot be used"),
        "truncated upload": (source_image, truncated, {}, "damaged or incomplete"),
        "image too small": (tiny_image, clip, {}, "at least 32 pixels on each side"),
        "no source image": (None, clip, {}, "No source image"),
        "unknown model": (source_image, clip, {"model": "nobody/no-such-model"}, "Cannot find the model"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not a video",
        "text file",
        "no frames",
        "truncated upload",
        "image too small",
        "no source image",
        "unknown model",
    ],
)
def test_bad_inputs_give_their_message_and_the_app_stays_up(client, bad_inputs, source_image, clip_with_audio, case):
    source, driving, options, message = bad_inputs[case]
    with pytest.raises(gradio_client.exceptions.AppError, match=message):
        animate(client, source, driving, **options)
    result, _, _ = animate(client, source_image, clip_with_audio)
    assert read_all(result).shape == (25, 32, 32, 3)


def test_uploads_over_the_size_limit_are_refused(client, files, source_image):
    oversized = files / "oversized.mp4"
    oversized.write_bytes(np.random.default_rng(0).bytes(6 * 1024 * 1024))  # the test server takes 5 MB
    with pytest.raises(ValueError, match="exceeds the maximum file size"):
        animate(client, source_image, oversized)


# The app's logic, without a server


def test_face_crop_without_a_face_is_an_error_the_person_sees(files, clip_with_audio):
    PIL.Image.new("RGB", (64, 64), (128, 128, 128)).save(files / "blank.png")
    with pytest.raises(gr.Error, match="No face was found"):
        Animator(SETTINGS).animate(str(files / "blank.png"), str(clip_with_audio), crop="face")


def test_crop_preview_shows_the_square_or_warns(files):
    PIL.Image.new("RGB", (100, 40)).save(files / "wide.png")
    assert Animator(SETTINGS).preview_crop(str(files / "wide.png"), "pad").shape == (100, 100, 3)
    assert Animator(SETTINGS).preview_crop(str(files / "wide.png"), "centre").shape == (40, 40, 3)
    with pytest.warns(UserWarning, match="No face was found"):
        assert Animator(SETTINGS).preview_crop(str(files / "wide.png"), "face") is None
    PIL.Image.new("RGB", (2000, 1000)).save(files / "large.png")
    assert Animator(SETTINGS).preview_crop(str(files / "large.png"), "centre").shape == (512, 512, 3)


@needs(MEDIA / "astronaut.png")
def test_face_crop_is_a_square_around_the_face():
    if face_detector() is None:
        pytest.skip("no OpenCV face detector installed")
    astronaut = np.asarray(PIL.Image.open(MEDIA / "astronaut.png").convert("RGB"))  # her face is about (225, 115)
    centre_x, centre_y, side = largest_face(astronaut)
    assert abs(centre_x - 225) < 20 and abs(centre_y - 115) < 20 and 70 < side < 120
    crop = crop_source(astronaut, "face")
    assert crop.image.shape == (round(side * FACE_MARGIN),) * 2 + (3,) and crop.fit == "crop"


def test_centre_and_padded_crops_are_the_image_loaders_fits():
    image = np.zeros((40, 100, 3), np.uint8)
    assert crop_source(image, "centre").fit == "crop" and crop_source(image, "centre").preview().shape == (40, 40, 3)
    assert crop_source(image, "pad").fit == "pad" and crop_source(image, "pad").preview().shape == (100, 100, 3)
    with pytest.raises(InvalidInputError, match="at least 64 pixels"):
        crop_source(image, "centre", min_side=64)


def test_pipelines_are_cached_per_model(tiny_model, files):
    models = ModelCache(capacity=1)
    loaded = models.get(str(tiny_model))
    assert models.get(str(tiny_model)) is loaded and loaded.pipe.image_size == 32 and loaded.name == "tiny-model"
    models.get(None)  # the bundled model evicts it: the cache holds one
    assert models.get(str(tiny_model)) is not loaded


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("FOMM_APP_MAX_SECONDS", "12.5")
    monkeypatch.setenv("FOMM_APP_CONCURRENCY_LIMIT", "3")
    settings = AppSettings.from_env(max_frames=100)
    assert (settings.max_seconds, settings.concurrency_limit, settings.max_frames) == (12.5, 3, 100)
    assert settings.frame_limit(fps=25) == 100 and settings.frame_limit(fps=4) == 50
    assert AppSettings(max_seconds=0, max_frames=0).frame_limit(fps=25) is None
    monkeypatch.setenv("FOMM_APP_MAX_FRAMES", "many")
    with pytest.raises(ValueError, match="FOMM_APP_MAX_FRAMES must be of type int"):
        AppSettings.from_env()


def test_examples_pair_each_source_image_with_each_driving_video(tmp_path):
    assert find_examples(tmp_path / "missing") == []
    for name in ("b.png", "a.jpg", "drive.mp4", "notes.txt", ".hidden.png"):
        (tmp_path / name).touch()
    assert find_examples(tmp_path) == [
        [str(tmp_path / "a.jpg"), str(tmp_path / "drive.mp4")],
        [str(tmp_path / "b.png"), str(tmp_path / "drive.mp4")],
    ]
