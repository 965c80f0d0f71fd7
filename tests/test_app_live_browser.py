"""The Live tab in a real browser: Debian's Chromium, driven by Playwright, its camera a fake one that plays
carphone.mp4 (Chromium's --use-file-for-fake-video-capture), the app served in this process.

The page's output frames are read in the page itself: each new picture the output shows is drawn to a canvas,
64x64 in grey levels, with the time it came (COLLECT_FRAMES). The screenshot of the Live tab is docs/live.png.
"""

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest

from .helpers import CHROMIUM, CHROMIUM_ARGS, EXAMPLES, MEDIA, REPO_ROOT, ffmpeg, needs, running_app

# A camera that plays a file, in a loop. Permission to use it is granted per page (GRANTED), so that a page
# without it is refused as a person who says no.
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-file-for-fake-video-capture={}"]
GRANTED = dict(permissions=["camera"], viewport={"width": 1400, "height": 1000})
SCREENSHOT = REPO_ROOT / "artifacts" / "live_screenshot.png"  # docs/live.png is a copy of it, in 256 colours
# The distinct frames a second the page must show. The bundled model on the project's 2-core machine shows more
# (docs/app.md#live gives the figure); the test's floor leaves room for a machine shared with other work.
MIN_FRAMES_PER_SECOND = 5
ASTRONAUT = EXAMPLES / "face" / "astronaut.png"  # 512x512; the face's square: (130, 18)-(318, 206), framed
CARTOON = EXAMPLES / "cartoon-face" / "face.png"  # 128x128
SIDE = 64  # frames are compared at 64x64: the astronaut's face square is then columns 16-40 and rows 2-26
FACE = (slice(4, 24), slice(18, 38))  # rows, columns inside the face square (64x64)
AWAY = (slice(36, 64), slice(0, 64))  # the picture's lower part, far from the face: pasted back unchanged

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing"),
              needs(CHROMIUM, MEDIA / "carphone.mp4")]

COLLECT_FRAMES = """
(side) => {
  // Each new picture of the live output, drawn at side x side in grey levels, with the time it came.
  window.liveFrames = [];
  const seen = new Set();
  const canvas = Object.assign(document.createElement("canvas"), {width: side, height: side});
  const context = canvas.getContext("2d", {willReadFrequently: true});
  const take = (src, time) => {
    const copy = new Image();
    copy.onload = () => {
      context.drawImage(copy, 0, 0, side, side);
      const rgba = context.getImageData(0, 0, side, side).data;
      const grey = new Uint8Array(side * side);
      for (let i = 0; i < grey.length; i++) grey[i] = (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3;
      window.liveFrames.push({time, src, width: copy.naturalWidth, height: copy.naturalHeight, grey});
    };
    copy.src = src;
  };
  window.liveGrey = (selector) => new Promise((resolve) => {
    const copy = new Image();
    copy.onload = () => {
      context.drawImage(copy, 0, 0, side, side);
      const rgba = context.getImageData(0, 0, side, side).data;
      resolve(Array.from({length: side * side}, (_, i) => (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3));
    };
    copy.src = document.querySelector(selector).src;
  });
  // The camera frames the page posts, counted here (a Playwright request listener would cost the test's own
  // process CPU at each request, on the 2 cores the server and the browser share).
  window.framesSent = 0;
  new PerformanceObserver((entries) => {
    window.framesSent += entries.getEntries().filter((entry) => entry.name.includes("/stream/")).length;
  }).observe({type: "resource"});
  new MutationObserver(() => {
    const image = document.querySelector("#live-output img");
    if (image && image.src && !seen.has(image.src)) {
      seen.add(image.src);
      take(image.src, performance.now());
    }
  }).observe(document.querySelector("#live-output"), {subtree: true, childList: true, attributes: true});
}
"""
FRAMES_SINCE = """
([start, withPixels]) => window.liveFrames.slice(start).map(
  (frame) => ({time: frame.time, src: frame.src, width: frame.width, height: frame.height,
               grey: withPixels ? Array.from(frame.grey) : null}))
"""


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory) -> Path:
    """carphone.mp4 (176x144, 25 fps, 4.8 s) as the raw video file Chromium's fake camera plays."""
    path = tmp_path_factory.mktemp("camera") / "carphone.y4m"
    ffmpeg("-i", MEDIA / "carphone.mp4", "-pix_fmt", "yuv420p", path)
    return path


@pytest.fixture(scope="module")
def playwright():
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright, fake_camera):
    camera = [arg.format(fake_camera) for arg in FAKE_CAMERA_ARGS]
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS + camera)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, converted_cache):
    """(the app's URL, its LiveTab): the app as a newcomer starts it (the bundled model by default), two live
    viewers at once."""
    import app
    from fomm_hf.app import AppSettings, LiveTab

    settings = AppSettings(max_seconds=0, max_frames=30, max_file_size="5mb", live_viewers=2, live_seconds=600)
    built = []
    with pytest.MonkeyPatch.context() as patch:
        build_demo = app.build_demo
        patch.setattr(app, "build_demo", lambda *args: built.append(build_demo(*args)) or built[-1])
        with running_app(tmp_path_factory.mktemp("live-browser"), settings, cache=converted_cache) as url:
            live = next(block.fn.__self__ for block in built[0].fns.values()
                        if isinstance(getattr(block.fn, "__self__", None), LiveTab))
            live.idle_seconds = 1.0  # a stopped viewer's animator is freed after 1 s without a frame
            yield url, live


def open_live_tab(context, url: str, source: Path):
    """A page of the app on its Live tab, with ``source`` chosen and the frames it shows collected. The cartoon
    face is clicked among the examples shown for the bundled model; the astronaut (an example of the face
    models, a real face that the bundled model's framing finds too) is uploaded."""
    page = context.new_page()
    page.goto(url)
    page.get_by_role("tab", name="Live").click()
    if source == CARTOON:
        page.locator(f"#live-tab .gallery-item img[src$='/{source.name}']").click()
    else:
        page.locator("#live-source input[type=file]").set_input_files(str(source))
    page.locator("#live-source img").wait_for(timeout=15_000)
    page.evaluate(COLLECT_FRAMES, SIDE)
    return page


def start_camera(page) -> None:
    page.locator("#live-camera").get_by_text("Click to Access Webcam").click()
    page.locator("#live-camera button", has_text="Record").click(timeout=10_000)


def frames_since(page, start: int = 0, pixels: bool = True) -> list:
    """The frames the page has shown since the ``start``-th: dicts with time (ms), src, width, height and grey
    (SIDE x SIDE float array, or None without ``pixels``)."""
    frames = page.evaluate(FRAMES_SINCE, [start, pixels])
    for frame in frames:
        if frame["grey"] is not None:
            frame["grey"] = np.asarray(frame["grey"], np.float64).reshape(SIDE, SIDE)
    return frames


def wait_for_frames(page, count: int, timeout: float) -> list:
    """The page's frames once it has shown ``count``; fails after ``timeout`` seconds."""
    page.wait_for_function(f"() => window.liveFrames.length >= {count}", timeout=timeout * 1000)
    return frames_since(page)


def page_grey(page, selector: str) -> np.ndarray:
    """The picture of the <img> at ``selector``, drawn as the frames are (SIDE x SIDE grey levels)."""
    return np.asarray(page.evaluate("(selector) => window.liveGrey(selector)", selector)).reshape(SIDE, SIDE)


def wait_until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def mean_difference(a: np.ndarray, b: np.ndarray, region) -> float:
    return float(np.abs(a[region] - b[region]).mean())


def test_a_viewer_animates_the_picture_with_the_camera_resets_the_pose_and_stops(browser, live_server):
    url, live = live_server
    context = browser.new_context(**GRANTED)
    page = open_live_tab(context, url, ASTRONAUT)
    source = page_grey(page, "#live-source img")
    start_camera(page)

    # Within 15 s the picture moves: frames that change where the face is, and only there.
    frames = wait_for_frames(page, 12, timeout=15)
    assert {(frame["width"], frame["height"]) for frame in frames} == {(512, 512)}  # pasted back into the picture
    first, greys = frames[0]["grey"], [frame["grey"] for frame in frames]
    assert max(mean_difference(grey, first, FACE) for grey in greys[1:]) > 4  # the face moves...
    assert max(mean_difference(grey, source, AWAY) for grey in greys) < 3  # ...the rest is the picture's own
    assert max(mean_difference(grey, source, FACE) for grey in greys) > 4  # and the face is not the source's

    # Throughput: the distinct frames the page shows over 10 s, and the frames its camera sends (printed with
    # pytest -s).
    counted, sent = page.evaluate("() => [window.liveFrames.length, window.framesSent]")
    page.wait_for_timeout(10_000)
    counted_after, sent_after = page.evaluate("() => [window.liveFrames.length, window.framesSent]")
    shown = (counted_after - counted) / 10
    status = page.locator("#live-status textarea").input_value()
    print(f"\nLive tab, bundled model: {shown:.1f} distinct frames/s shown over 10 s, {(sent_after - sent) / 10:.1f} "
          f"frames/s sent by the camera; status: {status}")
    assert shown >= MIN_FRAMES_PER_SECOND, status
    assert "frames/s, latency" in status and "Camera: the face is followed." in status

    # Reset pose: the next frame is the reference pose, so it shows the source in its own pose, as the stream's
    # first frame did (the same picture: the motion is none); the frames before were further from it.
    before = page.evaluate("() => window.liveFrames.length")
    page.locator("#live-reset").click()
    page.wait_for_timeout(1500)
    recent = frames_since(page, before - 15)
    far = np.median([mean_difference(frame["grey"], first, FACE) for frame in recent[:15]])
    near = min(mean_difference(frame["grey"], first, FACE) for frame in recent[15:])
    print(f"Reset pose: {far:.2f} grey levels from the first frame before it, {near:.2f} just after")
    assert near < min(1.0, far / 4)

    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    # Stop: the pictures stop at once (no frames were queued: at most the one being animated and the one
    # waiting come after), no error in the page, and the viewer's animator is freed once idle.
    page.locator("#live-camera button", has_text="Stop").click()
    stopped = page.evaluate("() => window.liveFrames.length")
    page.wait_for_timeout(1000)
    assert page.evaluate("() => window.liveFrames.length") - stopped <= 2
    assert not page.locator(".toast-body").all_inner_texts()
    assert "error" not in page.locator("#live-status textarea").input_value().lower()
    wait_until(lambda: live.viewers == 0, seconds=live.idle_seconds + 3)
    context.close()


def test_two_viewers_each_get_their_own_animation_and_leaving_frees_theirs(browser, live_server):
    url, live = live_server
    context = browser.new_context(**GRANTED)
    pages = [open_live_tab(context, url, ASTRONAUT), open_live_tab(context, url, CARTOON)]
    for page in pages:
        start_camera(page)
    astronaut, cartoon = (wait_for_frames(page, 6, timeout=20) for page in pages)
    assert {(frame["width"], frame["height"]) for frame in astronaut} == {(512, 512)}
    assert {(frame["width"], frame["height"]) for frame in cartoon} == {(128, 128)}
    # Each shows its own picture: the astronaut's lower part as it is; the cartoon face's own colours (its lower
    # part holds the moving chin: 12 grey levels from the source at most in the runs so far, 70 from the astronaut).
    sources = [page_grey(page, "#live-source img") for page in pages]
    assert mean_difference(astronaut[-1]["grey"], sources[0], AWAY) < 3
    assert mean_difference(cartoon[-1]["grey"], sources[1], AWAY) < 20
    assert live.viewers == 2

    pages[1].close()  # leaving: the page's heartbeat stops, and its viewer is freed at once
    wait_until(lambda: live.viewers == 1, seconds=5)
    before = pages[0].evaluate("() => window.liveFrames.length")
    pages[0].wait_for_timeout(1000)
    assert pages[0].evaluate("() => window.liveFrames.length") > before  # the other goes on
    context.close()
    wait_until(lambda: live.viewers == 0, seconds=5)


def test_a_camera_refused_or_missing_is_said_in_the_page(browser, playwright, live_server):
    url, _ = live_server
    context = browser.new_context(viewport=GRANTED["viewport"])  # no permission: refused, as a person would
    page = open_live_tab(context, url, ASTRONAUT)
    page.locator("#live-camera").get_by_text("Click to Access Webcam").click()
    note = page.locator("#live-camera-note")
    note.get_by_text("The camera was refused: allow this page to use it").wait_for(timeout=5_000)
    context.close()

    no_camera = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    page = open_live_tab(no_camera.new_context(**GRANTED), url, ASTRONAUT)
    page.locator("#live-camera").get_by_text("Click to Access Webcam").click()
    page.locator("#live-camera-note").get_by_text("No camera was found").wait_for(timeout=5_000)
    no_camera.close()


@pytest.mark.slow
def test_a_minute_live_leaves_memory_flat_and_the_time_limit_stops_one_viewer_only(browser, live_server):
    """60 s of one viewer: the server's memory (this process) grows by at most 5% after its first 10 s. Then
    the time limit is lowered under what that viewer has used: its camera stops, with a message, while a second
    viewer goes on."""
    import psutil

    url, live = live_server
    server = psutil.Process()
    context = browser.new_context(**GRANTED)
    page = open_live_tab(context, url, ASTRONAUT)
    start_camera(page)
    wait_for_frames(page, 1, timeout=15)
    page.wait_for_timeout(10_000)
    settled = server.memory_info().rss
    page.wait_for_timeout(50_000)
    grown = server.memory_info().rss / settled - 1
    shown = page.evaluate("() => window.liveFrames.length")
    print(f"\nA minute live: {shown} frames shown; RSS {settled / 2**20:.0f} MiB after 10 s, {grown:+.1%} after 60 s")
    assert grown <= 0.05

    other = open_live_tab(context, url, CARTOON)
    start_camera(other)
    wait_for_frames(other, 3, timeout=15)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(live, "settings", dataclasses.replace(live.settings, live_seconds=30))
        status = page.locator("#live-status textarea")
        page.wait_for_function("() => document.querySelector('#live-status textarea').value.startsWith('Stopped')",
                               timeout=5_000)
        assert "this server gives each viewer 30 s of live animation" in status.input_value()
        page.wait_for_timeout(500)
        assert page.locator("#live-camera button", has_text="Stop").count() == 0  # the camera is closed
        assert not page.locator(".toast-body").all_inner_texts()
        before = other.evaluate("() => window.liveFrames.length")
        other.wait_for_timeout(1500)
        assert other.evaluate("() => window.liveFrames.length") > before
        assert "Stopped" not in other.locator("#live-status textarea").input_value()
    context.close()
