"""The app's Live tab (fomm_hf.app.live, app.py) on the server: its handlers called as Gradio calls them, one
camera frame at a time, with the bundled model and carphone's frames; its settings; its wiring in the page.

What needs a browser (the camera, the page's pictures, leaving the page) is in test_app_live_browser.py.
"""

import dataclasses
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
import pytest

from fomm_hf.app import Animator, AppSettings, LiveTab
from fomm_hf.app import live as live_module
from fomm_hf.video import open_video

from .helpers import EXAMPLES, REPO_ROOT

ASTRONAUT = EXAMPLES / "face" / "astronaut.png"  # 512x512; its face's square: (130, 18)-(318, 206)
CARTOON = EXAMPLES / "cartoon-face" / "face.png"  # 128x128
FACE = (slice(40, 190), slice(150, 300))  # rows, columns inside the astronaut's face square
AWAY = (slice(300, 512), slice(0, 512))  # the picture's lower part: pasted back unchanged
SETTINGS = AppSettings(models="procedural-faces-64")  # the bundled model, the default of a local app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing")


@pytest.fixture(scope="module")
def frames() -> list:
    """carphone's frames (176x144 RGB): a man talking in a car, his head moving."""
    with open_video(EXAMPLES / "face" / "carphone.mp4") as video:
        return list(video.frames())


@pytest.fixture(scope="module")
def animator() -> Animator:
    """The file animation's Animator, whose loaded models the Live tab shares: the bundled model."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("FOMM_MODEL", raising=False)
        return Animator(SETTINGS)


@pytest.fixture
def live(animator, tmp_path, monkeypatch) -> LiveTab:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))  # where the frames are written
    monkeypatch.delenv("FOMM_MODEL", raising=False)  # the default model: the bundled one
    return LiveTab(animator, idle_seconds=3.0)


def viewer(name: str) -> gr.Request:
    """A page's request, as Gradio gives the handlers: one viewer per session."""
    return gr.Request(session_hash=name)


def picture(path) -> np.ndarray:
    return np.asarray(PIL.Image.open(path).convert("RGB"), np.float64)


def difference(a: np.ndarray, b: np.ndarray, region=(slice(None), slice(None))) -> float:
    return float(np.abs(a[region] - b[region]).mean())


def test_each_frame_animates_the_picture_and_the_status_gives_frames_per_second_and_latency(live, frames):
    source = picture(ASTRONAUT)
    outputs = [live.stream(frame, str(ASTRONAUT), request=viewer("a")) for frame in frames[:60:6]]
    shown = [picture(path) for path, _, _ in outputs]
    assert {frame.shape for frame in shown} == {(512, 512, 3)}  # pasted back into the whole picture
    assert max(difference(frame, shown[0], FACE) for frame in shown) > 3  # the face moves with the camera's
    assert max(difference(frame, source, AWAY) for frame in shown) < 4  # the rest is the picture's own (JPEG)
    assert all(camera == gr.skip() for _, _, camera in outputs)  # the camera goes on
    status = outputs[-1][1]
    assert status.splitlines()[0].startswith("Live: ") and " frames/s, latency " in status
    assert "10 of " in status  # frames animated, of those the camera sent
    assert "a 187 px square around it is animated. Camera: the face is followed." in status
    assert "This model knows cartoon faces only; for real faces, use vox-adv-256" in status
    assert "of your 120 s of live animation used." in status


def test_reset_pose_makes_the_next_frame_the_reference(live, frames):
    request = viewer("a")
    first = picture(live.stream(frames[0], str(ASTRONAUT), request=request)[0])  # the reference: no motion
    moved = picture(live.stream(frames[70], str(ASTRONAUT), request=request)[0])
    live.reset(request)
    again = picture(live.stream(frames[70], str(ASTRONAUT), request=request)[0])
    assert difference(moved, first, FACE) > 3
    assert difference(again, first, FACE) < 0.5  # the source in its own pose again
    live.reset(viewer("nobody"))  # a page with no stream: nothing to reset


def test_frames_that_come_while_one_is_animated_are_dropped_and_counted(live, frames):
    request = viewer("a")
    live.stream(frames[0], str(ASTRONAUT), request=request)
    busy = live._viewers["a"].busy  # as while another stream of the page's animates a frame
    with busy:
        assert live.stream(frames[1], str(ASTRONAUT), request=request) == (gr.skip(),) * 3
    # The frames the camera sent while one was animated (Gradio keeps the newest only): counted from the time
    # between frames, at the camera's rate (12 frames/s): 0.5 s, about 5 frames left out.
    time.sleep(0.5)
    status = live.stream(frames[2], str(ASTRONAUT), request=request)[1]
    animated, sent = map(int, status.split(" frames animated")[0].split(", ")[-1].split(" of "))
    assert live.settings.live_fps == 12 and animated == 2 and sent >= animated + 1 + 5


def test_a_camera_without_a_face_animates_the_whole_frame_and_the_status_says_so(live, frames):
    empty = np.full((144, 176, 3), 96, np.uint8)
    path, status, _ = live.stream(empty, str(ASTRONAUT), request=viewer("a"))
    assert "Camera: no face found: the centre square of each frame is animated." in status
    assert picture(path).shape == (512, 512, 3)
    for frame in frames[:40]:  # a face again: found at the next search of the whole frame (twice a second)
        status = live.stream(frame, str(ASTRONAUT), request=viewer("a"))[1]
        if "Camera: the face is followed." in status:
            break
        time.sleep(0.05)
    assert "Camera: the face is followed." in status


def test_a_source_without_a_face_is_animated_centred_and_the_status_says_so(live, frames, tmp_path):
    PIL.Image.new("RGB", (200, 150), (128, 128, 128)).save(tmp_path / "wall.png")
    path, status, _ = live.stream(frames[0], str(tmp_path / "wall.png"), request=viewer("a"))
    assert "Source: no face found: the centre square is animated." in status
    assert picture(path).shape == (64, 64, 3)  # the model's square: nothing to paste it back into


def test_the_camera_resolution_may_change_mid_stream(live, frames):
    sizes = [(176, 144), (640, 480), (320, 240), (144, 176), (176, 144)]
    for index, size in enumerate(sizes):
        frame = np.asarray(PIL.Image.fromarray(frames[10 * index]).resize(size))
        path, status, _ = live.stream(frame, str(ASTRONAUT), request=viewer("a"))
        assert picture(path).shape == (512, 512, 3) and "Camera: " in status
    assert f"{len(sizes)} of " in status  # one animator went on through every size


def test_changing_the_source_or_the_motion_options_makes_a_new_animator(live, frames):
    request = viewer("a")
    for frame in frames[:3]:
        live.stream(frame, str(ASTRONAUT), request=request)
    path, status, _ = live.stream(frames[3], str(CARTOON), request=request)
    assert picture(path).shape == (128, 128, 3) and "1 of 1 frames animated" in status
    status = live.stream(frames[4], str(CARTOON), motion="absolute", adapt_scale=True, request=request)[1]
    assert "1 of 1 frames animated" in status
    assert "2 of " in live.stream(frames[5], str(CARTOON), motion="absolute", adapt_scale=True, request=request)[1]


@pytest.mark.parametrize("choice, message", [
    (dict(model="nobody/no-such-model"), "This app does not offer that model. It offers: procedural-faces-64."),
    (dict(model="vox-adv-256"), "This app does not offer that model."),  # not in this app's menu
    (dict(source_image=None), "Choose a source picture to animate: upload one or pick an example."),
    (dict(source_image="{tmp}/tiny.png"), "must be at least 32 pixels on each side"),
    (dict(source_image="{tmp}/notes.png"), "Cannot read notes.png as an image"),
    (dict(motion="sideways"), "The motion must be one of relative, absolute; got 'sideways'."),
])
def test_models_not_offered_and_bad_choices_are_refused_in_the_status(live, frames, tmp_path, choice, message):
    PIL.Image.new("RGB", (20, 20)).save(tmp_path / "tiny.png")
    (tmp_path / "notes.png").write_text("not an image")
    choice = {"source_image": str(ASTRONAUT), **choice}
    if choice["source_image"]:
        choice["source_image"] = choice["source_image"].format(tmp=tmp_path)
    picture_shown, status, camera = live.stream(frames[0], request=viewer("a"), **choice)
    assert picture_shown is None and camera == gr.skip() and live.viewers == 0  # no animator made
    assert message in status and str(tmp_path) not in status  # no server path
    path, status, _ = live.stream(frames[1], str(ASTRONAUT), request=viewer("a"))  # a good choice then works
    assert picture(path).shape == (512, 512, 3)


def test_a_viewer_over_the_time_limit_is_stopped_with_a_message_and_the_others_go_on(live, frames):
    live.settings = dataclasses.replace(live.settings, live_seconds=0.4)
    live.stream(frames[0], str(ASTRONAUT), request=viewer("late"))  # another viewer, who started earlier
    for frame in frames[1:60]:
        path, status, camera = live.stream(frame, str(ASTRONAUT), request=viewer("early"))
        if status.startswith("Stopped"):
            break
        time.sleep(0.05)
    assert status == ("Stopped: this server gives each viewer 0.4 s of live animation, and yours are used. Reload "
                      "the page for another turn.")
    assert path == gr.skip()  # the last picture stays
    assert isinstance(camera, gr.Image) and camera.interactive is False  # turned off: the page closes the camera
    assert live.stream(frames[5], str(ASTRONAUT), request=viewer("early"))[1].startswith("Stopped")
    path, status, _ = live.stream(frames[5], str(ASTRONAUT), request=viewer("other"))  # the others go on
    assert picture(path).shape == (512, 512, 3) and status.startswith("Live: ")


def test_a_viewer_who_stops_or_leaves_is_freed(live, frames, monkeypatch):
    monkeypatch.setattr(live_module, "FRAMES_KEPT", 2)
    live.idle_seconds = 0.3
    request = viewer("a")
    paths = []
    for frame in frames[:4]:
        paths.append(live.stream(frame, str(ASTRONAUT), request=request)[0])
        live.served.add(paths[-1])  # as Gradio records each file it serves
    assert [Path(path).exists() for path in paths] == [False, False, True, True]  # the last few are kept
    assert live.served == set(paths[-2:])  # and only those are still in Gradio's record
    assert live.viewers == 1

    deadline = time.monotonic() + 5
    while live.viewers and time.monotonic() < deadline:  # stopped: no frame for idle_seconds
        time.sleep(0.05)
    assert live.viewers == 0  # its animator is freed...
    assert [Path(path).exists() for path in paths] == [False, False, False, True]  # ...the picture shown stays
    path = live.stream(frames[5], str(ASTRONAUT), request=request)[0]  # started again
    assert Path(path).exists() and live.viewers == 1

    live.leave(request)  # the page is closed: all of it goes
    assert live.viewers == 0 and not Path(path).parent.exists() and not live._viewers
    live.leave(viewer("never-seen"))


def test_a_viewer_leaving_while_a_frame_is_animated_is_freed_after_it(live, frames):
    request = viewer("a")
    live.stream(frames[0], str(ASTRONAUT), request=request)
    busy = live._viewers["a"].busy
    busy.acquire()  # a frame being animated
    leaving = threading.Thread(target=live.leave, args=(request,))
    leaving.start()
    leaving.join(0.3)
    assert leaving.is_alive()  # waits for the frame
    busy.release()
    leaving.join(5)
    assert not leaving.is_alive() and live.viewers == 0


# Settings and wiring


def test_the_live_settings_come_from_the_environment(monkeypatch):
    for variable, value in [("LIVE", "off"), ("LIVE_VIEWERS", "3"), ("LIVE_SECONDS", "45.5"), ("LIVE_FPS", "12.5"),
                            ("LIVE_THREADS", "0")]:
        monkeypatch.setenv(f"FOMM_APP_{variable}", value)

    def live_settings(settings):
        return settings.live, settings.live_viewers, settings.live_seconds, settings.live_fps, settings.live_threads

    assert live_settings(AppSettings.from_env()) == (False, 3, 45.5, 12.5, 0)
    assert live_settings(AppSettings()) == (True, 2, 120, 12, 1)


@pytest.mark.parametrize("variable, value, message", [
    ("FOMM_APP_LIVE", "maybe", "FOMM_APP_LIVE must be of type bool; got 'maybe'."),
    ("FOMM_APP_LIVE_VIEWERS", "0", "FOMM_APP_LIVE_VIEWERS must be at least 1; got 0."),
    ("FOMM_APP_LIVE_SECONDS", "-1", "FOMM_APP_LIVE_SECONDS must be at least 0; got -1.0."),
    ("FOMM_APP_LIVE_FPS", "0.5", "FOMM_APP_LIVE_FPS must be at least 1; got 0.5."),
    ("FOMM_APP_LIVE_THREADS", "-1", "FOMM_APP_LIVE_THREADS must be at least 0; got -1."),
])
def test_the_live_settings_are_checked_at_start(variable, value, message, monkeypatch):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=f"^{re.escape('$' + message)}$"):
        AppSettings.from_env()


def test_a_wrong_live_setting_stops_the_app_in_one_line(monkeypatch):
    monkeypatch.setenv("FOMM_APP_LIVE_VIEWERS", "0")
    result = subprocess.run([sys.executable, str(REPO_ROOT / "app.py")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["app.py: error: $FOMM_APP_LIVE_VIEWERS must be at least 1; got 0."]


def stream_events(demo: gr.Blocks) -> list:
    return [block for block in demo.fns.values() if block.connection == "stream"]


def tab_labels(demo: gr.Blocks) -> list:
    return [block.label for block in demo.blocks.values() if isinstance(block, gr.Tab)]


def markdown_of(demo: gr.Blocks) -> str:
    return " ".join(block.value for block in demo.blocks.values() if isinstance(block, gr.Markdown))


def test_the_live_tab_streams_the_camera_as_the_operator_set_it(monkeypatch):
    import app

    monkeypatch.delenv("FOMM_MODEL", raising=False)
    settings = dataclasses.replace(SETTINGS, live_viewers=3, live_seconds=90, live_fps=10)
    demo = app.build_demo(settings)
    assert tab_labels(demo) == ["Animate a video", "Live"]
    [stream] = stream_events(demo)
    assert isinstance(stream.fn.__self__, LiveTab) and stream.fn.__func__ is LiveTab.stream
    assert (stream.concurrency_limit, stream.concurrency_id) == (3, "live")  # viewers at once; the rest wait
    assert stream.stream_every == pytest.approx(0.1) and stream.time_limit == 90 + live_module.GRADIO_TIME_MARGIN
    assert stream.api_visibility == "private"
    camera = stream.inputs[0]
    assert camera.streaming and camera.sources == ["webcam"] and camera.webcam_options.mirror  # a selfie view
    assert [output.elem_id for output in stream.outputs] == ["live-output", "live-status", "live-camera"]
    unload = [block for block in demo.fns.values() if any(target[1] == "unload" for target in block.targets)]
    assert [block.fn.__func__ for block in unload] == [LiveTab.leave]
    assert live_module.ZERO_GPU_NOTE not in markdown_of(demo)

    unlimited = app.build_demo(dataclasses.replace(SETTINGS, live_seconds=0))
    assert stream_events(unlimited)[0].time_limit is None

    off = app.build_demo(dataclasses.replace(SETTINGS, live=False))  # the operator's choice: no tab, no word
    assert tab_labels(off) == ["Animate a video"] and not stream_events(off)


def test_on_zero_gpu_the_live_tab_is_hidden_with_a_line_that_says_why(monkeypatch):
    """ZeroGPU lends a GPU per call, in a process of its own: a stream's calls could not keep the animator's
    state (docs/app.md#live). A stand-in for the ``spaces`` package says the Space is a ZeroGPU one."""
    import types

    import app

    spaces = types.ModuleType("spaces")
    spaces.GPU = lambda duration=None: lambda function: function
    spaces.config = types.ModuleType("spaces.config")
    spaces.config.Config = type("Config", (), {"zero_gpu": True})
    monkeypatch.setitem(sys.modules, "spaces", spaces)
    monkeypatch.setitem(sys.modules, "spaces.config", spaces.config)
    monkeypatch.delenv("FOMM_MODEL", raising=False)
    demo = app.build_demo(SETTINGS)
    assert tab_labels(demo) == ["Animate a video"] and not stream_events(demo)
    assert live_module.ZERO_GPU_NOTE in markdown_of(demo)
