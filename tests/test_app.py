"""The Gradio app (app.py, fomm_hf.app): served on a local port with a tiny model, driven through gradio_client.

The driving clips are made with ffmpeg (see test_video.py); the server runs in this process.
"""

import re
import subprocess
import sys
from pathlib import Path

import gradio as gr
import gradio_client
import numpy as np
import PIL.Image
import pytest
import torch

from fomm_hf import FOMMPipeline, KeypointDetector, OcclusionAwareGenerator
from fomm_hf.app import Animator, AppSettings, ModelMenu, find_examples, source_crop
from fomm_hf.app.cropping import square_preview
from fomm_hf.app.model_cache import ModelCache
from fomm_hf.app.model_menu import menu_entry
from fomm_hf.categories import CATEGORIES
from fomm_hf.errors import InvalidInputError
from fomm_hf.framing import face_detector
from fomm_hf.video import open_video

from .helpers import (
    MEDIA,
    REPO_ROOT,
    TINY_GENERATOR,
    TINY_KP,
    assert_frames_match,
    audio_seconds,
    ffmpeg,
    fill_converted_cache,
    make_clip,
    needs,
    read_all,
    running_app,
)

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


@pytest.fixture(scope="module", autouse=True)
def original_models_converted(converted_cache):
    """The registry's face models are offered: converted here already (a local fake), so loadable offline."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FOMM_CACHE", str(converted_cache))
        yield


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app")


@pytest.fixture(scope="module")
def tiny_model(files) -> Path:
    torch.manual_seed(0)
    pipe = FOMMPipeline(KeypointDetector(**TINY_KP).eval(), OcclusionAwareGenerator(**TINY_GENERATOR).eval(), 32)
    pipe.save_pretrained(files / "tiny-model")
    return files / "tiny-model"


@pytest.fixture(scope="module")
def server(files, tiny_model):
    """The URL of the app, serving the tiny model as its default model."""
    with running_app(files, SETTINGS, tiny_model) as url:
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
    assert [output["label"] for output in endpoint["returns"]] == ["Result", "Keypoints", "Status"]  # short names
    assert all(parameter["parameter_has_default"] for parameter in endpoint["parameters"][2:])


@pytest.mark.parametrize("motion", ["relative", "absolute"])
@pytest.mark.parametrize("show_keypoints", [False, True])
def test_animation_keeps_length_size_and_sound(client, source_image, clip_with_audio, motion, show_keypoints):
    result, keypoints, status = animate(
        client, source_image, clip_with_audio, motion=motion, show_keypoints=show_keypoints
    )
    assert read_all(result).shape == (25, 32, 32, 3)
    assert audio_seconds(result) == pytest.approx(1, abs=0.1)
    assert "25 frames at 25 fps" in status and "with the model tiny-model." in status and "Cut" not in status
    assert "/" not in status.splitlines()[0], "the status line shows the model's name, never a server path"
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
    result, _, status = animate(client, huge, clip_with_audio)
    assert read_all(result).shape == (25, 32, 32, 3)
    assert "The source picture (6000x6000) was scaled down to 4096x4096, this app's limit." in status


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
    (files / "text.png").write_text("not an image")
    return {
        "not an image": (files / "text.png", clip, {}, "text.png is not an image this app can read"),
        "not a video": (source_image, files / "notes.mp4", {}, "not a video"),
        "text file": (source_image, files / "notes.txt", {}, "not a video"),
        "no frames": (source_image, no_frames, {}, "The driving video cannot be used"),
        "truncated upload": (source_image, truncated, {}, "damaged or incomplete"),
        "image too small": (tiny_image, clip, {}, "at least 32 pixels on each side"),
        "no source image": (None, clip, {}, "No source image"),
        "model not offered": (source_image, clip, {"model": "nobody/no-such-model"}, "not in the list of choices"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not an image",
        "not a video",
        "text file",
        "no frames",
        "truncated upload",
        "image too small",
        "no source image",
        "model not offered",
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


def test_the_app_animates_the_example_frame_by_frame_as_the_models_do(bundled_example, monkeypatch):
    """The app's animate action with the bundled model and the centre square: every frame of the result video is
    the frame the modules compute for it."""
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    result, _, status = Animator(AppSettings(max_seconds=0)).animate(
        str(bundled_example.source_path), str(bundled_example.driving_path), model="procedural-faces-64", crop="crop")
    assert_frames_match(read_all(result), bundled_example.expected)
    assert "64 frames at 25 fps" in status and "with the model procedural-faces-64." in status


def test_a_source_without_a_face_is_animated_centred_and_the_status_says_so(files, clip_with_audio, monkeypatch):
    PIL.Image.new("RGB", (64, 48), (128, 128, 128)).save(files / "blank.png")
    monkeypatch.delenv("FOMM_MODEL", raising=False)  # the bundled model: cartoon faces, framed around the face
    result, _, status = Animator(SETTINGS).animate(str(files / "blank.png"), str(clip_with_audio))
    assert "Source: no face found: the centre square is animated." in status
    # The bundled model knows cartoon faces only: the status says so, and names the model for real faces.
    assert "This model knows cartoon faces only; for real faces, use vox-adv-256 in the Model menu." in status
    assert read_all(result).shape == (25, 64, 64, 3)  # nothing framed: nothing pasted back


@needs(MEDIA / "astronaut.png", MEDIA / "carphone.mp4")
def test_the_status_scores_identity_and_motion_where_the_faces_extra_is_installed(monkeypatch, tmp_path):
    pytest.importorskip("dlib")
    monkeypatch.delenv("FOMM_MODEL", raising=False)  # the bundled model: a face model
    animator = Animator(AppSettings(max_seconds=0, max_frames=20))
    _, _, status = animator.animate(str(MEDIA / "astronaut.png"), str(MEDIA / "carphone.mp4"))
    identity = re.search(r"Identity \(aed, .*\): ([0-9.]+) over the (\d+) frames with a face", status)
    assert identity and float(identity[1]) < 0.36 and int(identity[2]) > 10, status
    assert "Motion (akd, " in status and "Faces lost (mkr): " in status
    _, _, status = animator.animate(str(MEDIA / "astronaut.png"), str(MEDIA / "carphone.mp4"), scores=False)
    assert "Identity" not in status
    PIL.Image.new("RGB", (128, 128), (128, 128, 128)).save(tmp_path / "blank.png")
    _, _, status = animator.animate(str(tmp_path / "blank.png"), str(MEDIA / "carphone.mp4"))
    assert "Scores: none: dlib finds no face in the source picture." in status


def test_the_operator_chooses_the_backend(files, clip_with_audio, monkeypatch, tmp_path):
    """FOMM_APP_BACKEND=openvino: the animation runs the exported graphs, and the status says so."""
    monkeypatch.setenv("FOMM_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    monkeypatch.setenv("FOMM_APP_BACKEND", "openvino")
    settings = AppSettings.from_env(max_seconds=0, max_frames=MAX_FRAMES)
    result, _, status = Animator(settings).animate(str(MEDIA / "astronaut.png"), str(clip_with_audio))
    assert "openvino float32" in status and read_all(result).shape[0] == 25
    monkeypatch.setenv("FOMM_APP_BACKEND", "tensorflow")
    with pytest.raises(ValueError, match="FOMM_APP_BACKEND must be one of pytorch, onnxruntime, openvino"):
        AppSettings.from_env()
    with pytest.raises(ValueError, match=r"FOMM_APP_INT8 needs \$FOMM_APP_BACKEND=openvino"):
        AppSettings(int8=True)


def test_crop_preview_shows_the_square_or_the_face_found(files):
    PIL.Image.new("RGB", (100, 40)).save(files / "wide.png")
    animator = Animator(SETTINGS)
    assert animator.preview_crop(str(files / "wide.png"), "pad").shape == (100, 100, 3)
    assert animator.preview_crop(str(files / "wide.png"), "crop").shape == (40, 40, 3)
    # No face: the centre square, which is what is animated then (gr.Info says so in the page).
    assert animator.preview_crop(str(files / "wide.png"), "subject", "vox-256").shape == (40, 40, 3)
    PIL.Image.new("RGB", (2000, 1000)).save(files / "large.png")
    assert animator.preview_crop(str(files / "large.png"), "crop").shape == (512, 512, 3)
    PIL.Image.new("RGB", (20, 20)).save(files / "tiny.png")
    with pytest.warns(UserWarning, match="at least 32 pixels"):
        assert animator.preview_crop(str(files / "tiny.png"), "crop") is None


@needs(MEDIA / "astronaut.png")
def test_crop_preview_draws_the_square_around_the_face():
    picture = Animator(SETTINGS).preview_crop(str(MEDIA / "astronaut.png"), "subject", "vox-256")
    assert picture.shape == (512, 512, 3)  # the whole picture, with the square drawn in orange
    orange = np.all(picture == (255, 64, 0), axis=-1)
    rows, columns = np.nonzero(orange)
    assert 80 < columns.min() < 180 < 270 < columns.max() < 360 and rows.min() < 67 < 173 < rows.max()


def test_centre_and_padded_crops_are_the_image_loaders_fits():
    image = np.zeros((40, 100, 3), np.uint8)
    assert source_crop(image, "crop").fit == "crop" and square_preview(image, "crop").shape == (40, 40, 3)
    assert source_crop(image, "pad").fit == "pad" and square_preview(image, "pad").shape == (100, 100, 3)
    assert (source_crop(image, "subject").framing, source_crop(image, "crop").framing) == ("auto", "none")
    with pytest.raises(InvalidInputError, match="at least 64 pixels"):
        source_crop(image, "crop", min_side=64)


def test_pipelines_are_cached_per_model(tiny_model, files):
    models = ModelCache(capacity=1)
    loaded = models.get(menu_entry(str(tiny_model)))
    assert models.get(menu_entry(str(tiny_model))) is loaded
    assert loaded.pipe.image_size == 32 and loaded.name == "tiny-model"
    models.get(menu_entry(None))  # the bundled model evicts it: the cache holds one
    assert models.get(menu_entry(str(tiny_model))) is not loaded


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


def test_examples_pair_each_source_image_with_each_driving_video_of_its_category(tmp_path):
    assert find_examples(tmp_path / "missing") == {}
    (tmp_path / "face").mkdir()
    (tmp_path / "unknown-kind").mkdir()
    for name in ("face/b.png", "face/a.jpg", "face/drive.mp4", "face/notes.txt", "face/.hidden.png",
                 "unknown-kind/x.png", "unknown-kind/y.mp4"):
        (tmp_path / name).touch()
    assert find_examples(tmp_path) == {
        "face": [[str(tmp_path / "face/a.jpg"), str(tmp_path / "face/drive.mp4")],
                 [str(tmp_path / "face/b.png"), str(tmp_path / "face/drive.mp4")]]
    }


@needs(MEDIA)
def test_each_example_pairs_a_source_and_a_driving_video_of_one_category():
    examples = find_examples(REPO_ROOT / "examples")
    assert set(examples) == {"face", "cartoon-face"}
    assert len(examples["cartoon-face"]) == 2  # two cartoon faces, one cartoon driving clip: no cross-category pair
    for source, driving in examples["face"]:  # real faces, in the source and in the driving video
        assert face_detector()(np.asarray(PIL.Image.open(source).convert("RGB")))
        with open_video(driving) as video:
            found = [bool(face_detector()(frame)) for frame in video.frames()]
        assert sum(found) > len(found) / 2  # the frontal-face detector misses the head when it turns
    for source, driving in examples["cartoon-face"]:  # cartoon faces: the procedural ones of the bundled model
        assert Path(source).parent == Path(driving).parent == REPO_ROOT / "examples" / "cartoon-face"


def test_the_examples_shown_fit_the_chosen_model(tiny_model, monkeypatch):
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    animator = Animator(AppSettings(models=f"vox-adv-256,{tiny_model}"))
    assert animator.menu.labels == ["procedural-faces-64", "vox-adv-256", "tiny-model"]
    shown = {label: [c for c in CATEGORIES if animator.shows_examples(label, c)] for label in animator.menu.labels}
    assert shown == {"procedural-faces-64": ["cartoon-face"], "vox-adv-256": ["face"], "tiny-model": list(CATEGORIES)}


# Which models the app offers


def test_the_menu_offers_the_default_model_then_what_the_operator_allows(tiny_model, monkeypatch, caplog):
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    assert ModelMenu().labels == ["procedural-faces-64", "vox-256", "vox-adv-256", "nemo-256"]
    menu = ModelMenu(f" vox-adv-256 , {tiny_model},someone/fomm-model,procedural-faces-64")
    # A Hub repository not in the Hub cache, while the Hub is offline, could only fail: left out, and logged.
    assert menu.labels == ["procedural-faces-64", "vox-adv-256", "tiny-model"]
    assert "leaves out someone/fomm-model: it is not in the Hub cache, and the Hub is offline" in caplog.text
    assert menu.choose("tiny-model").model == str(tiny_model) and menu.choose("").model is None
    monkeypatch.setenv("FOMM_MODEL", str(tiny_model))
    monkeypatch.setenv("FOMM_APP_MODELS", "vox-256")
    settings = AppSettings.from_env()
    assert ModelMenu(settings.models, settings.allow_any_model).labels == ["tiny-model", "vox-256"]


def test_models_that_cannot_load_here_are_left_out_of_the_menu(tmp_path, monkeypatch, caplog):
    """Offline, the original models that are not converted here (nor their checkpoints in the Hub cache) could
    only fail: the menu leaves them out and says why in the operator's log; converted, they are offered."""
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    monkeypatch.setenv("FOMM_CACHE", str(tmp_path / "empty-cache"))
    assert ModelMenu().labels == ["procedural-faces-64"]
    assert "leaves out vox-adv-256: it is not converted here and its checkpoint is not in the Hub cache, and the " \
           "Hub is offline (HF_HUB_OFFLINE=1)" in caplog.text
    monkeypatch.setenv("FOMM_CACHE", str(fill_converted_cache(tmp_path / "cache", ["vox-adv-256"])))
    assert ModelMenu().labels == ["procedural-faces-64", "vox-adv-256"]


def test_on_a_space_the_default_model_is_the_one_for_real_faces_loaded_at_start(tmp_path, monkeypatch):
    """Visitors of a Hugging Face Space ($SPACE_ID set) bring selfies: without $FOMM_MODEL the default model is
    vox-adv-256, loaded before the first request; locally the bundled model stays the default."""
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    monkeypatch.setenv("FOMM_CACHE", str(fill_converted_cache(tmp_path / "cache", ["vox-adv-256"])))
    monkeypatch.delenv("SPACE_ID", raising=False)
    local = Animator(AppSettings())
    assert local.menu.default.label == "procedural-faces-64" and not local.models._models
    monkeypatch.setenv("SPACE_ID", "someone/fomm-demo")
    space = Animator(AppSettings())
    assert space.menu.default.label == "vox-adv-256" and space.menu.default.category == "face"
    assert [entry.label for entry in space.models._models] == ["vox-adv-256"]  # loaded at start
    monkeypatch.setenv("FOMM_MODEL", "procedural-faces-64")  # the operator's choice wins
    assert Animator(AppSettings()).menu.default.label == "procedural-faces-64"


@pytest.mark.parametrize("refused", ["nobody/no-such-model", "taichi-256", "{models}/other-model",
                                     "../../{models_name}", "/etc", "tiny-model/../tiny-model"])
def test_the_api_refuses_models_not_offered_without_showing_server_paths(client, source_image, clip_with_audio,
                                                                          tiny_model, refused):
    (tiny_model.parent / "other-model").mkdir(exist_ok=True)
    refused = refused.format(models=tiny_model.parent, models_name=tiny_model.parent.name)
    with pytest.raises(gradio_client.exceptions.AppError) as error:
        animate(client, source_image, clip_with_audio, model=refused)
    # The menu refuses it (Gradio's message), before the app's own check (tested without a server, below).
    assert "is not in the list of choices: ['tiny-model', 'procedural-faces-64', 'vox-256'" in str(error.value)
    told = str(error.value).replace(refused, "<what was sent>")  # the visitor's own text may come back; no more
    assert str(tiny_model.parent) not in told and str(REPO_ROOT) not in told


def test_any_model_only_when_the_operator_allows_it(tiny_model, files, source_image, clip_with_audio, monkeypatch):
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    monkeypatch.setenv("FOMM_APP_ALLOW_ANY_MODEL", "1")
    animator = Animator(AppSettings.from_env(max_frames=3))
    result, _, status = animator.animate(str(source_image), str(clip_with_audio), model=str(tiny_model))
    assert read_all(result).shape == (3, 32, 32, 3) and "with the model tiny-model." in status
    for refused in (str(tiny_model), "../tiny-model", "nobody/model"):
        with pytest.raises(gr.Error, match="does not offer that model. It offers: procedural-faces-64, ") as error:
            Animator(AppSettings(max_frames=3)).animate(str(source_image), str(clip_with_audio), model=refused)
        assert str(files) not in str(error.value)


def test_a_model_that_cannot_load_is_reported_without_server_paths(files, source_image, clip_with_audio,
                                                                   monkeypatch, caplog):
    broken = files / "broken-model"
    broken.mkdir(exist_ok=True)
    (broken / "model_index.json").write_text("{}")
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    with pytest.raises(gr.Error) as error:
        Animator(AppSettings(models=str(broken))).animate(str(source_image), str(clip_with_audio), model="broken-model")
    assert "broken-model is not available on this server now" in str(error.value)
    assert str(files) not in str(error.value) and error.value.duration is None  # shown until it is closed
    assert "Cannot load a FOMM pipeline" in caplog.text  # why, for the operator


@pytest.mark.parametrize("variable, value, message", [
    ("FOMM_APP_CONCURRENCY_LIMIT", "0", "FOMM_APP_CONCURRENCY_LIMIT must be at least 1"),
    ("FOMM_APP_MAX_SECONDS", "-5", "FOMM_APP_MAX_SECONDS must be at least 0"),
    ("FOMM_APP_MAX_FILE_SIZE", "lots", "FOMM_APP_MAX_FILE_SIZE must be a size such as 50mb"),
    ("FOMM_APP_MODELS", "vox-256,nosuch-model", "FOMM_APP_MODELS: 'nosuch-model' is not a folder here"),
    ("FOMM_APP_MODELS", "{files}", "is not a pipeline folder"),
    ("FOMM_MODEL", "nosuch", "FOMM_MODEL: 'nosuch' is not a folder here"),
    ("FOMM_APP_DEVICE", "cuda", "FOMM_APP_DEVICE: The device 'cuda' is not available"),
])
def test_the_operators_settings_are_checked_at_start(variable, value, message, files, monkeypatch):
    if variable == "FOMM_APP_DEVICE" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    monkeypatch.setenv(variable, value.format(files=files))
    with pytest.raises((ValueError, InvalidInputError), match=re.escape(message)):
        Animator(AppSettings.from_env())  # what app.py builds at start


def test_a_wrong_setting_stops_the_app_in_one_line(monkeypatch):
    monkeypatch.setenv("FOMM_APP_CONCURRENCY_LIMIT", "0")  # which used to leave every request waiting
    result = subprocess.run([sys.executable, str(REPO_ROOT / "app.py")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    message = "app.py: error: $FOMM_APP_CONCURRENCY_LIMIT must be at least 1; got 0."
    assert result.stderr.strip().splitlines() == [message]


# ZeroGPU Spaces


def fake_spaces_package(monkeypatch, zero_gpu: bool) -> list:
    """Installs a stand-in for the ``spaces`` package as a Space of that kind has it; returns the GPU calls."""
    import functools
    import types

    wrapped = []

    def GPU(duration=None):
        def decorate(function):
            @functools.wraps(function)
            def on_gpu(*args, **kwargs):
                return function(*args, **kwargs)

            on_gpu.duration = duration
            wrapped.append(on_gpu)
            return on_gpu

        return decorate

    spaces = types.ModuleType("spaces")
    spaces.GPU = GPU
    spaces.config = types.ModuleType("spaces.config")
    spaces.config.Config = type("Config", (), {"zero_gpu": zero_gpu})
    monkeypatch.setitem(sys.modules, "spaces", spaces)
    monkeypatch.setitem(sys.modules, "spaces.config", spaces.config)
    return wrapped


def animate_handler(demo):
    return next(block.fn for block in demo.fns.values() if block.api_name == "animate")


@pytest.mark.parametrize("zero_gpu", [True, False, None])
def test_the_animation_runs_on_a_zero_gpu_where_the_space_has_one(monkeypatch, tiny_model, clip_with_audio, zero_gpu):
    import app

    monkeypatch.setenv("FOMM_MODEL", str(tiny_model))
    if zero_gpu is None:  # no spaces package: not on Spaces
        monkeypatch.setitem(sys.modules, "spaces", None)
        wrapped = []
    else:
        wrapped = fake_spaces_package(monkeypatch, zero_gpu)
    settings = AppSettings(models="procedural-faces-64", max_seconds=0, max_frames=MAX_FRAMES, gpu_seconds=20,
                           gpu_seconds_per_frame=0.5)
    handler = animate_handler(app.build_demo(settings))
    if zero_gpu:
        assert wrapped == [handler] and handler.__wrapped__.__func__ is Animator.animate
        assert handler.duration(None, str(clip_with_audio)) == 20 + 0.5 * 25  # 25 frames, within the limit
        long_clip = make_clip(tiny_model.parent / "long-gpu.mp4", size="48x40", seconds=2)
        assert handler.duration(None, str(long_clip)) == 20 + 0.5 * MAX_FRAMES
    else:
        assert not wrapped and handler.__func__ is Animator.animate
