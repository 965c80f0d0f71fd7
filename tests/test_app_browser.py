"""The app in a real browser: Debian's Chromium, driven by Playwright, uploads, toggles and animates.

The screenshot it takes is saved to artifacts/app_screenshot.png.
"""

import pytest

from .helpers import CHROMIUM, CHROMIUM_ARGS, EXAMPLES, REPO_ROOT, needs, running_app

# Gradio's queue calls pandas APIs that pandas 3 deprecates: not this project's concern.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing"), needs(CHROMIUM)]
SCREENSHOT = REPO_ROOT / "artifacts" / "app_screenshot.png"
RESULT_PLAYABLE = "() => document.querySelector('#result-video video')?.readyState >= 2"


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def bundled_server(tmp_path_factory, converted_cache):
    """The app as a newcomer starts it: no model configured, so the bundled demo model (the registry's face models
    are offered: converted already, a local fake)."""
    from fomm_hf.app import AppSettings

    settings = AppSettings(max_seconds=0, max_frames=30, max_file_size="5mb", concurrency_limit=2)
    with running_app(tmp_path_factory.mktemp("browser"), settings, cache=converted_cache) as url:
        yield url


def test_a_person_animates_the_example_in_the_browser(browser, bundled_server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(bundled_server)
    page.locator("#source-image input[type=file]").set_input_files(str(EXAMPLES / "cartoon-face" / "face.png"))
    page.locator("#driving-video input[type=file]").set_input_files(str(EXAMPLES / "cartoon-face" / "driving.mp4"))
    page.locator("#crop-preview img").wait_for(timeout=30_000)  # the source is uploaded and cropped
    page.locator("#driving-video video").wait_for(timeout=30_000)
    page.get_by_label("absolute").check()
    page.get_by_role("button", name="Animate").click()

    page.wait_for_function(RESULT_PLAYABLE, timeout=60_000)
    page.wait_for_timeout(500)  # the outputs fade in: screenshot them once they have
    status = page.locator("#status textarea").input_value()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert "30 frames at 25 fps" in status and "procedural-faces-64" in status, status  # cut to the test limit
    assert str(REPO_ROOT) not in status, status  # the model's name, never a server path

    # The examples follow the model chosen: real faces for the face models (choosing one loads nothing).
    cartoon, real = page.get_by_text("Examples: the procedural cartoon faces"), page.get_by_text("Examples: real human")
    assert cartoon.is_visible() and not real.is_visible()
    page.locator("#model input").click()
    page.get_by_role("option", name="vox-adv-256").click()
    real.wait_for(timeout=10_000)
    assert not cartoon.is_visible()
