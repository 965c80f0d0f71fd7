"""The First Order Motion Model as a Gradio app, ready for Hugging Face Spaces: ``python app.py``.

The default model is $FOMM_MODEL's (a registered name, pipeline folder or Hub repo id), else vox-adv-256 on a
Space, else the bundled demo model; the models offered, the limits and the device are set by the $FOMM_APP_*
variables (see :class:`fomm_hf.app.AppSettings`), and the address by $GRADIO_SERVER_NAME and $GRADIO_SERVER_PORT.
The animate button is also the API endpoint ``/animate``. On a ZeroGPU Space, each animation runs on its GPU. The
Live tab animates the picture with the webcam's frames as they come ($FOMM_APP_LIVE*; not on ZeroGPU).
"""

import sys
from pathlib import Path

from fomm_hf.app.model_menu import ModelMenu
from fomm_hf.app.settings import AppSettings
from fomm_hf.errors import FOMMError

try:  # the operator's settings and menu, in one line, before gradio and torch load (seconds)
    SETTINGS = AppSettings.from_env()
    MENU = ModelMenu(SETTINGS.models, SETTINGS.allow_any_model)
except (ValueError, FOMMError) as error:
    sys.exit(f"app.py: error: {' '.join(str(error).split())}")

import gradio as gr  # noqa: E402

from fomm_hf.app import (  # noqa: E402
    CROP_MODES,
    MOTION_MODES,
    Animator,
    LiveTab,
    find_examples,
    on_zero_gpu,
    refusing_unreadable_images,
)
from fomm_hf.app.live import CAMERA_CONSTRAINTS, CAMERA_SCRIPT, example_sources  # noqa: E402
from fomm_hf.categories import CATEGORIES  # noqa: E402
from fomm_hf.faces import faces_available  # noqa: E402

EXAMPLES = Path(__file__).with_name("examples")

DESCRIPTION = """\
# First Order Motion Model for image animation
Animate a picture with the motion of a video ([Siarohin et al., NeurIPS 2019](https://arxiv.org/abs/2003.00196)).
Choose a model, give a source image and a driving video of the kind of object it animates (faces for the face
models), then press **Animate**. The result keeps the driving video's frame rate and sound.
"""
LIVE_DESCRIPTION = """\
Animate a picture with your webcam, live: choose a source picture (a face for the face models), start the
camera and move. The camera's first frame is the reference pose: **Reset pose** makes the next one the reference.
When the server is slower than the camera, frames are dropped, never queued: the picture keeps up with you.
"""


def source_column() -> dict:
    # The uploaded file itself (type="filepath", image_mode=None), read by the package as fomm animate does.
    source_image = gr.Image(label="Source image", sources=["upload", "webcam", "clipboard"], type="filepath",
                            image_mode=None, height=280, elem_id="source-image")
    source_image.preprocess = refusing_unreadable_images(source_image.preprocess)
    crop = gr.Radio([(label, mode) for mode, label in CROP_MODES.items()], value="subject", label="Animate")
    paste_back = gr.Checkbox(value=True, label="Paste back into the whole picture",
                             info="with the face detected: the result is your picture at its own size")
    crop_preview = gr.Image(label="What is animated", interactive=False, height=160, elem_id="crop-preview")
    return dict(source_image=source_image, crop=crop, paste_back=paste_back, crop_preview=crop_preview)


def scores_box() -> gr.Checkbox:
    """Whether the status scores the result (face models; shown where the extra fomm_hf[faces] is installed)."""
    return gr.Checkbox(value=True, label="Score identity and motion", visible=faces_available(),
                       info="face models: how well the result keeps the face and follows the driving face (about as "
                       "long again as the animation)", elem_id="scores")


def driving_column(animator: Animator) -> dict:
    driving_video = gr.Video(label="Driving video", sources=["upload", "webcam"], include_audio=True,
                             elem_id="driving-video")
    motion = gr.Radio(list(MOTION_MODES), value="relative", label="Motion",
                      info="relative: the source moves as the driving video moves from its first frame (best for "
                      "faces); absolute: the source takes the driving video's poses")
    with gr.Row():
        adapt_scale, find_best_frame = gr.Checkbox(label="Adapt scale"), gr.Checkbox(label="Find best frame")
    with gr.Row():
        fast = gr.Checkbox(label="Fast (reduced precision)")
        show_keypoints = gr.Checkbox(label="Show keypoints", info="also a video: source | driving | result")
    scores = scores_box()
    menu = animator.menu
    model = gr.Dropdown(menu.labels, value=menu.default.label, allow_custom_value=menu.allow_any, label="Model",
                        info="the original models are downloaded and converted the first time they are used",
                        elem_id="model")
    animate_button = gr.Button("Animate", variant="primary")
    return dict(driving_video=driving_video, motion=motion, adapt_scale=adapt_scale, find_best_frame=find_best_frame,
                fast=fast, show_keypoints=show_keypoints, scores=scores, model=model, animate_button=animate_button)


def result_column() -> dict:
    result_video = gr.Video(label="Result", interactive=False, buttons=["download"], height=280,
                            elem_id="result-video")
    # A short label (the API names this output after it); the Show keypoints box says what it shows.
    keypoints_video = gr.Video(label="Keypoints", interactive=False, buttons=["download"], visible=False,
                               elem_id="keypoints-video")
    status = gr.Textbox(label="Status", interactive=False, lines=3, elem_id="status")
    return dict(result_video=result_video, keypoints_video=keypoints_video, status=status)


def example_groups(animator: Animator, model: gr.Dropdown, examples: dict, inputs: list) -> None:
    """A column of examples per category (``examples``: {category: rows of values for ``inputs``}), shown while
    ``model`` is set to a model of that category."""
    groups = []
    for category, rows in examples.items():
        with gr.Column(visible=animator.shows_examples(animator.menu.default.label, category)) as group:
            gr.Examples(rows, inputs=inputs, label=f"Examples: {CATEGORIES[category]}")
        groups.append((category, group))
    model.change(lambda label: [gr.Column(visible=animator.shows_examples(label, category)) for category, _ in groups],
                 model, [group for _, group in groups], queue=False, api_visibility="private")


def wire_events(animator: Animator, page: dict) -> None:
    private = dict(queue=False, api_visibility="private")
    # The crop, paste-back and scores reach `animate` through States, which keep them out of the API's stable
    # parameters (API calls get the defaults: around the face, pasted back, scored).
    crop_mode, paste_back_state, scores_state = gr.State("subject"), gr.State(True), gr.State(True)
    page["scores"].change(lambda score: score, page["scores"], scores_state, **private)
    page["crop"].change(lambda mode: mode, page["crop"], crop_mode, **private)
    page["crop"].change(lambda mode: gr.Checkbox(interactive=mode == "subject"), page["crop"], page["paste_back"],
                        **private)  # only a square found around the subject is pasted back
    page["paste_back"].change(lambda paste: paste, page["paste_back"], paste_back_state, **private)
    gr.on([page["source_image"].change, page["crop"].change, page["model"].change], animator.preview_crop,
          [page["source_image"], page["crop"], page["model"]], page["crop_preview"], concurrency_limit=None,
          api_visibility="private")
    page["show_keypoints"].change(lambda show: gr.Video(visible=show), page["show_keypoints"],
                                  page["keypoints_video"], **private)
    inputs = [page[name] for name in ("source_image", "driving_video", "motion", "adapt_scale", "find_best_frame",
                                      "fast", "show_keypoints", "model")]
    page["animate_button"].click(on_zero_gpu(animator.animate, animator.gpu_duration),
                                 [*inputs, crop_mode, paste_back_state, scores_state],
                                 [page["result_video"], page["keypoints_video"], page["status"]], api_name="animate")


def live_columns(animator: Animator) -> dict:
    gr.Markdown(LIVE_DESCRIPTION)
    menu = animator.menu
    with gr.Row():
        with gr.Column():
            source_image = gr.Image(label="Source picture", sources=["upload", "clipboard"], type="filepath",
                                    image_mode=None, height=280, elem_id="live-source")
            source_image.preprocess = refusing_unreadable_images(source_image.preprocess)
            model = gr.Dropdown(menu.labels, value=menu.default.label, allow_custom_value=menu.allow_any,
                                label="Model", elem_id="live-model")
            motion = gr.Radio(list(MOTION_MODES), value="relative", label="Motion", elem_id="live-motion")
            with gr.Row():
                adapt_scale, fast = gr.Checkbox(label="Adapt scale"), gr.Checkbox(label="Fast (reduced precision)")
        with gr.Column():
            camera = gr.Image(label="Camera (mirrored)", sources=["webcam"], streaming=True, type="numpy",
                              webcam_options=gr.WebcamOptions(mirror=True, constraints=CAMERA_CONSTRAINTS),
                              height=280, elem_id="live-camera")
            gr.HTML("", elem_id="live-camera-note")  # why the camera cannot be opened (CAMERA_SCRIPT)
        with gr.Column():
            output = gr.Image(label="Live", streaming=True, height=280, elem_id="live-output")
            reset = gr.Button("Reset pose", elem_id="live-reset")
            status = gr.Textbox(label="Status", interactive=False, lines=4, elem_id="live-status")
    return dict(source_image=source_image, model=model, motion=motion, adapt_scale=adapt_scale, fast=fast,
                camera=camera, output=output, reset=reset, status=status)


def wire_live(live: LiveTab, tab: dict) -> None:
    inputs = [tab[name] for name in ("camera", "source_image", "model", "motion", "adapt_scale", "fast")]
    tab["camera"].stream(live.stream, inputs, [tab["output"], tab["status"], tab["camera"]], show_progress="minimal",
                         show_progress_on=[tab["status"]], api_visibility="private", **live.stream_options)
    live.show_frames_in(tab["output"])
    tab["reset"].click(live.reset, None, None, queue=False, api_visibility="private")


def build_demo(settings: AppSettings, menu: ModelMenu = None) -> gr.Blocks:
    animator = Animator(settings, menu)
    live = LiveTab(animator)
    results_lifetime = (settings.results_lifetime, settings.results_lifetime)
    with gr.Blocks(title="First Order Motion Model", delete_cache=results_lifetime) as demo:
        gr.Markdown(DESCRIPTION + (f"\n{live.hidden_because}" if live.hidden_because else ""))
        with gr.Tabs():
            with gr.Tab("Animate a video", id="animate"):
                with gr.Row():
                    with gr.Column():
                        page = source_column()
                    with gr.Column():
                        page.update(driving_column(animator))
                    with gr.Column():
                        page.update(result_column())
                wire_events(animator, page)
                example_groups(animator, page["model"], find_examples(EXAMPLES),
                               [page["source_image"], page["driving_video"]])
            if live.shown:
                with gr.Tab("Live", id="live", elem_id="live-tab"):
                    tab = live_columns(animator)
                    wire_live(live, tab)
                    example_groups(animator, tab["model"], example_sources(EXAMPLES), [tab["source_image"]])
        if live.shown:
            demo.load(None, js=CAMERA_SCRIPT)
            demo.unload(live.leave)
    return demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue_size)


try:
    demo = build_demo(SETTINGS, MENU)
except (ValueError, FOMMError) as error:  # the device, a model to load at start: one line, before serving
    sys.exit(f"app.py: error: {' '.join(str(error).split())}")

if __name__ == "__main__":
    demo.launch(max_file_size=SETTINGS.max_file_size)
