"""The app's animate action: a source image and a driving video in, the result video and a status line out."""

import uuid
from pathlib import Path
from typing import List, Optional, Tuple

import gradio as gr
import numpy as np
import PIL.Image
from gradio.utils import get_upload_folder

from ..animation import resolve_device
from ..errors import InvalidInputError
from ..faces import face_landmarks, why_no_faces
from ..images import read_image
from ..model_store import REAL_FACE_MODEL
from ..model_store.resolution import runs_on_a_space
from ..pipelines import keypoints_video_path
from ..video import open_video
from .cropping import preview, source_crop
from .messages import shown_to_user, without_server_paths
from .model_cache import ModelCache
from .model_menu import ModelMenu
from .settings import AppSettings
from .zero_gpu import runs_on_zero_gpu

MOTION_MODES = ("relative", "absolute")


class Animator:
    """Runs animations for the app, with the models it keeps loaded and within the limits of its settings.

    Results are written to Gradio's cache folder, where Gradio serves them from without a copy, and deletes
    them ``settings.results_lifetime`` seconds later (the Blocks' ``delete_cache``).
    """

    def __init__(self, settings: AppSettings, menu: Optional[ModelMenu] = None):
        self.settings = settings
        self.menu = menu or ModelMenu(settings.models, settings.allow_any_model)
        preload = settings.preload_models or runs_on_zero_gpu()  # ZeroGPU wants models on "cuda" from the start
        capacity = max(settings.cached_models, len(self.menu.entries) if preload else 0)
        try:
            device = resolve_device(settings.device or None)
        except InvalidInputError as error:
            raise InvalidInputError(f"$FOMM_APP_DEVICE: {error}") from None
        self.models = ModelCache(capacity, device)
        self.results_dir = Path(get_upload_folder()) / "fomm_results"
        # On a Space the default model (vox-adv-256, a download and a conversion) is loaded before the first visitor.
        for entry in self.menu.entries if preload else [self.menu.default] if runs_on_a_space() else []:
            self.models.get(entry)

    def frame_limit(self, driving_video: str) -> Optional[int]:
        """The most frames of the driving video to animate, or None."""
        try:
            with open_video(driving_video) as video:
                return self.settings.frame_limit(video.fps)
        except InvalidInputError as error:
            raise InvalidInputError(f"The driving video cannot be used: {error}") from None

    def shows_examples(self, model: Optional[str], category: str) -> bool:
        """Whether the examples of ``category`` fit the model of that menu label (all fit an unknown model)."""
        try:
            model_category = self.menu.choose(model).category
        except InvalidInputError:
            return True
        return model_category in (None, category)

    def preview_crop(self, source_image: Optional[str], crop: str, model: Optional[str] = None):
        """What will be animated of the uploaded picture (read as ``fomm animate`` reads it): the square, or the
        picture with the detected square drawn on it; nothing, with a warning saying why, if it cannot be used."""
        if source_image is None:
            return None
        try:
            image, _ = scaled_within(read_image(source_image), self.settings.max_image_side)
            crop = source_crop(image, crop, self.settings.min_image_side)
            picture, note = preview(image, crop, self.menu.choose(model).category)
        except InvalidInputError as error:
            gr.Warning(without_server_paths(str(error)))
            return None
        if note:
            gr.Info(note)
        return picture

    def animate(
        self,
        source_image: Optional[str],
        driving_video: Optional[str],
        motion: str = "relative",
        adapt_scale: bool = False,
        find_best_frame: bool = False,
        fast: bool = False,
        show_keypoints: bool = False,
        model: Optional[str] = None,
        crop: str = "subject",
        paste_back: bool = True,
        scores: bool = True,
        progress=gr.Progress(track_tqdm=True),  # shows the progress bars of the animation in the page
    ) -> Tuple[str, Optional[str], str]:
        """Animates the source image with the motion of the driving video.

        Args:
            source_image: the picture to animate (a face for the face models).
            driving_video: the video whose motion is transferred; its audio is kept.
            motion: "relative" moves the source as the driving video moves from its first frame (or from the
                best frame); "absolute" copies the driving keypoints as they are.
            adapt_scale: scale the motion by the relative size of the two objects (relative motion).
            find_best_frame: start the relative motion from the driving frame whose pose is closest to the
                source's.
            fast: the machine's quickest reduced-precision variant (bfloat16, or int8 on CPUs without it).
            show_keypoints: also return source | driving with keypoints | result, side by side.
            model: one of the models the app offers (its model menu); left out (or empty, from Python), the app's
                default model.
            crop: "subject" (around the face, for face models), "crop" (the centre square) or "pad" (all of it).
            paste_back: with "subject", the result is the whole picture with the animated square pasted back.
            scores: for face models, where the extra fomm_hf[faces] is installed, the status also scores how well
                the result keeps the source's identity and follows the driving face's motion (``fomm score``'s).

        Returns:
            The result video, the keypoints video (None unless show_keypoints) and a status line.
        """
        with shown_to_user():
            entry = self.menu.choose(model)
            if source_image is None:
                raise InvalidInputError("No source image: upload one, paste one, or take a webcam snapshot.")
            if not driving_video:
                raise InvalidInputError("No driving video: upload one or record one with the webcam.")
            if motion not in MOTION_MODES:
                raise InvalidInputError(f"The motion must be one of {', '.join(MOTION_MODES)}; got {motion!r}.")
            image, scaled = scaled_within(read_image(source_image), self.settings.max_image_side)
            source = source_crop(image, crop, self.settings.min_image_side)
            frame_limit = self.frame_limit(driving_video)
            loaded = self.models.get(entry)
            self.results_dir.mkdir(parents=True, exist_ok=True)
            output = self.results_dir / f"animation-{uuid.uuid4().hex[:12]}.mp4"
            result = loaded.pipe.animate_video(
                image,
                driving_video,
                output,
                relative=motion == "relative",
                adapt_scale=adapt_scale,
                find_best_frame=find_best_frame,
                fit=source.fit,
                framing=source.framing,
                paste_back=paste_back,
                fast=fast,
                backend=self.settings.backend,
                int8=self.settings.int8,
                batch_size=self.settings.batch_size,
                keypoints_path=keypoints_video_path(output) if show_keypoints else None,
                max_frames=frame_limit,
            )
        lines = result.summary(limit="this app's limit", real_face_model=f"{REAL_FACE_MODEL} in the Model menu")
        if scores and not why_no_faces(loaded.pipe.category):
            with shown_to_user():
                lines += face_scores(image, driving_video, result.output)
        status = "\n".join(lines + ([scaled] if scaled else []))
        keypoints = str(result.keypoints_output) if result.keypoints_output else None
        return str(result.output), keypoints, status

    def gpu_duration(self, source_image, driving_video, *args, **kwargs) -> float:
        """Seconds of GPU time to ask a ZeroGPU Space for this animation (given the same arguments)."""
        try:
            with open_video(driving_video) as video:
                limit, frames = self.settings.frame_limit(video.fps), video.num_frames
        except InvalidInputError:
            return self.settings.gpu_duration(0)  # animate() reports the error at once
        return self.settings.gpu_duration(min(frames, limit or frames))


def face_scores(source: np.ndarray, driving_video, result_video) -> List[str]:
    """``fomm score``'s lines for an animation, or one that says why there are none (no face in the source)."""
    from ..evaluation.face_metrics import score_animation

    if not face_landmarks(source).found[0]:
        return ["Scores: none: dlib finds no face in the source picture."]
    with open_video(driving_video) as driving, open_video(result_video) as result:
        return score_animation(source, driving.frames(), result.frames()).summary()


def scaled_within(image: np.ndarray, max_side: int) -> Tuple[np.ndarray, str]:
    """``image`` (H, W, 3) uint8 scaled down (antialiased) so that its longer side is at most ``max_side``, and a
    note saying so ("" if it was small enough): a huge picture would take minutes and give a video few players
    can play."""
    height, width = image.shape[:2]
    if max(height, width) <= max_side:
        return image, ""
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    scaled = np.asarray(PIL.Image.fromarray(image).resize(size, PIL.Image.LANCZOS))
    return scaled, f"The source picture ({width}x{height}) was scaled down to {size[0]}x{size[1]}, this app's limit."
