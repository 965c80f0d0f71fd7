"""The First Order Motion Model as a Gradio app, ready for Hugging Face Spaces: ``python app.py``.

The default model is $FOMM_MODEL's (a registered name, pipeline folder or Hub repo id), else the bundled demo
model; the models offered, the limits and the device are set by the $FOMM_APP_* variables (see
:class:`fomm_hf.app.AppSettings`), and the address by $GRADIO_SERVER_NAME and $GRADIO_SERVER_PORT.
The animate button is also the API endpoint ``/animate``. On a ZeroGPU Space, each animation runs on its GPU.
"""

import sys
from pathlib import Path

import gradio as gr

from fomm_hf.app import (
    CROP_MODES,
    MOTION_MODES,
    Animator,
    AppSettings,
    find_examples,
    on_zero_gpu,
    refusing_unreadable_images,
)
from fomm_hf.errors import FOMMError
from fomm_hf.pipelines.registry import CATEGORIES

EXAMPLES = Path(__file__).with_name("examples")

DESCRIPTION = """\
# First Order Motion Model for image animation
Animate a picture with the motion of a video ([Siarohin et al., NeurIPS 2019](https://arxiv.org/abs/2003.00196)).
Choose a model, give a source image and a driving video of the kind of object it animates (faces for the face
models), then press **Animate**. The result keeps the driving video's frame rate and sound.
"""
KEYPOINTS_LABEL = "Keypoints: source | driving | result (made when Animate runs with Show keypoints ticked)"


def build_demo(settings: AppSettings) -> gr.Blocks:
    animator = Animator(settings)
    menu = animator.menu
    results_lifetime = (settings.results_lifetime, settings.results_lifetime)
    with gr.Blocks(title="First Order Motion Model", delete_cache=results_lifetime) as demo:
        gr.Markdown(DESCRIPTION)
        with gr.Row():
            with gr.Column():
                # The uploaded file itself (type="filepath", image_mode=None), read by the package as fomm animate does.
                source_image = gr.Image(
                    label="Source image",
                    sources=["upload", "webcam", "clipboard"],
                    type="filepath",
                    image_mode=None,
                    height=280,
                    elem_id="source-image",
                )
                source_image.preprocess = refusing_unreadable_images(source_image.preprocess)
                crop = gr.Radio(
                    [(label, mode) for mode, label in CROP_MODES.items()], value="subject", label="Animate"
                )
                paste_back = gr.Checkbox(
                    value=True,
                    label="Paste back into the whole picture",
                    info="with the face detected: the result is your picture at its own size",
                )
                crop_preview = gr.Image(label="What is animated", interactive=False, height=160, elem_id="crop-preview")
            with gr.Column():
                driving_video = gr.Video(
                    label="Driving video", sources=["upload", "webcam"], include_audio=True, elem_id="driving-video"
                )
                motion = gr.Radio(
                    list(MOTION_MODES),
                    value="relative",
                    label="Motion",
                    info="relative: the source moves as the driving video moves from its first frame (best for "
                    "faces); absolute: the source takes the driving video's poses",
                )
                with gr.Row():
                    adapt_scale = gr.Checkbox(label="Adapt scale")
                    find_best_frame = gr.Checkbox(label="Find best frame")
                with gr.Row():
                    fast = gr.Checkbox(label="Fast (reduced precision)")
                    show_keypoints = gr.Checkbox(label="Show keypoints")
                model = gr.Dropdown(
                    menu.labels,
                    value=menu.default.label,
                    allow_custom_value=menu.allow_any,
                    label="Model",
                    info="the original models are downloaded and converted the first time they are used",
                    elem_id="model",
                )
                animate_button = gr.Button("Animate", variant="primary")
            with gr.Column():
                result_video = gr.Video(
                    label="Result", interactive=False, buttons=["download"], height=280, elem_id="result-video"
                )
                keypoints_video = gr.Video(
                    label=KEYPOINTS_LABEL, interactive=False, buttons=["download"], visible=False
                )
                status = gr.Textbox(label="Status", interactive=False, lines=3, elem_id="status")
        example_groups = []  # (category, column): the examples of a category show with the models of it
        for category, pairs in find_examples(EXAMPLES).items():
            with gr.Column(visible=animator.shows_examples(menu.default.label, category)) as group:
                gr.Examples(pairs, inputs=[source_image, driving_video], label=f"Examples: {CATEGORIES[category]}")
            example_groups.append((category, group))

        # The crop and paste-back reach `animate` through States, which keep them out of the API's stable
        # parameters (API calls get the defaults: around the face, pasted back).
        crop_mode, paste_back_state = gr.State("subject"), gr.State(True)
        crop.change(lambda mode: mode, crop, crop_mode, queue=False, api_visibility="private")
        crop.change(lambda mode: gr.Checkbox(interactive=mode == "subject"), crop, paste_back, queue=False,
                    api_visibility="private")  # only a square found around the subject is pasted back
        paste_back.change(lambda paste: paste, paste_back, paste_back_state, queue=False, api_visibility="private")
        gr.on(
            [source_image.change, crop.change, model.change],
            animator.preview_crop,
            [source_image, crop, model],
            crop_preview,
            concurrency_limit=None,
            api_visibility="private",
        )
        show_keypoints.change(
            lambda show: gr.Video(visible=show), show_keypoints, keypoints_video, queue=False, api_visibility="private"
        )
        model.change(
            lambda label: [gr.Column(visible=animator.shows_examples(label, kind)) for kind, _ in example_groups],
            model,
            [group for _, group in example_groups],
            queue=False,
            api_visibility="private",
        )
        animate_button.click(
            on_zero_gpu(animator.animate, animator.gpu_duration),
            [source_image, driving_video, motion, adapt_scale, find_best_frame, fast, show_keypoints, model, crop_mode,
             paste_back_state],
            [result_video, keypoints_video, status],
            api_name="animate",
        )
    return demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue_size)


try:
    SETTINGS = AppSettings.from_env()
    demo = build_demo(SETTINGS)
except (ValueError, FOMMError) as error:  # the operator's settings: one line, before the server starts
    sys.exit(f"app.py: error: {' '.join(str(error).split())}")

if __name__ == "__main__":
    demo.launch(max_file_size=SETTINGS.max_file_size)
