"""FOMMPipeline: animate a source image with the motion of driving frames, or of a driving video file."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import PIL.Image
import torch
from diffusers import DiffusionPipeline
from diffusers.utils import BaseOutput
from tqdm.auto import tqdm

from ..animation import StreamingEngine
from ..categories import current_name
from ..errors import CheckpointError, InvalidInputError
from ..images import VIDEO_EXTENSIONS, frames_as, prepare_image, prepare_images
from ..model_store import BUNDLED_MODEL, ResolvedModel, resolve_model
from ..models import KeypointDetector, OcclusionAwareGenerator
from ..motion import KeypointOutput, MotionOptions
from ..option_values import check_whole_number
from ..permissions import give_ordinary_permissions
from . import engine_cache
from .animation_result import AnimationResult
from .best_frame import best_frame
from .live_animator import LiveAnimator
from .video_job import VideoJob, animate_video_file

PathLike = Union[str, os.PathLike]
ImageInput = Union[str, os.PathLike, PIL.Image.Image, np.ndarray, torch.Tensor]
FramesInput = Union[torch.Tensor, np.ndarray, Sequence[ImageInput]]
OUTPUT_TYPES = ("pt", "np", "pil")


@dataclass
class FOMMPipelineOutput(BaseOutput):
    """frames: float tensor (N, 3, H, W) in [0, 1] ("pt"), uint8 array (N, H, W, 3) ("np") or PIL images ("pil")."""

    frames: Union[torch.Tensor, np.ndarray, List[PIL.Image.Image]]


class FOMMPipeline(DiffusionPipeline):
    r"""
    First Order Motion Model animation (Siarohin et al., NeurIPS 2019): a source image moved by driving frames.

    Components:
        kp_detector ([`KeypointDetector`]): keypoints and local affine motions of the source and driving frames.
        generator ([`OcclusionAwareGenerator`]): the source warped to the driving keypoints, occlusions inpainted.

    Parameters:
        image_size (`int`, defaults to 256): the square resolution the models were trained at; inputs are made
            square and resized to it.
        category (`str`, *optional*): what the models animate (``fomm_hf.categories``, e.g. "face");
            :meth:`animate_video` frames inputs around the subject of a category it can detect.
    """

    model_cpu_offload_seq = "kp_detector->generator"

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Union[None, str, os.PathLike, ResolvedModel] = None,
                        **kwargs):
        """Loads a pipeline folder, a registered model by name (``fomm models`` lists them; the original models are
        downloaded and converted on first use) or a Hub repository (``revision`` and ``cache_dir`` apply to it; its
        pipeline files are downloaded, and its exported graphs when a backend needs them), in this order
        (:mod:`fomm_hf.model_store.resolution`); without one, the bundled demo model (works offline). A
        :class:`~fomm_hf.model_store.ResolvedModel` is loaded as it is."""
        revision, hub_cache = kwargs.pop("revision", None), kwargs.pop("cache_dir", None)
        resolved = pretrained_model_name_or_path
        if not isinstance(resolved, ResolvedModel):
            resolved = resolve_model(resolved or BUNDLED_MODEL, revision, hub_cache)
        try:
            pipe = super().from_pretrained(resolved.folder, **kwargs)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CheckpointError(f"Cannot load a FOMM pipeline from {resolved.name}: {error}") from None
        if pipe.config.category is None and resolved.registered is not None:  # converted before categories
            pipe.register_to_config(category=resolved.registered.category)
        pipe.folder, pipe.hub_origin, pipe.name = resolved.folder, resolved.hub_origin, resolved.display_name
        return pipe

    def save_pretrained(self, save_directory: Union[str, os.PathLike], **kwargs) -> None:
        """diffusers' ``save_pretrained``, giving what it writes the user's ordinary permissions."""
        super().save_pretrained(save_directory, **kwargs)
        give_ordinary_permissions(save_directory)

    def __init__(self, kp_detector: KeypointDetector, generator: OcclusionAwareGenerator, image_size: int = 256,
                 category: Optional[str] = None):
        super().__init__()
        self.register_modules(kp_detector=kp_detector, generator=generator)
        self.register_to_config(image_size=image_size, category=category)
        self.engines = engine_cache.EngineCache(self)
        self.folder = None  # the pipeline folder it was loaded from, where exported graphs may be saved too
        self.hub_origin = None  # the Hub repository it was loaded from, which may hold exported graphs too
        self.name = None  # what to call it in messages: its registered name, repo id or folder's own name

    @property
    def image_size(self) -> int:
        return self.config.image_size

    @property
    def category(self) -> Optional[str]:
        return current_name(self.config.category)

    def engine(self, fast: bool = False, backend: str = "pytorch", int8: bool = False,
               graphs: Optional[PathLike] = None) -> StreamingEngine:
        """The inference engine for the components as they are now (:class:`~.engine_cache.EngineCache`): ``fast``
        the machine's quickest reduced-precision variant; ``backend`` "onnxruntime" or "openvino": exported graphs
        on the CPU (those of the folder ``graphs``, else found or exported), ``int8``: :meth:`quantize`'s."""
        return self.engines.engine(fast, backend, int8, graphs)

    def quantize(self, source_image: ImageInput, driving_frames: FramesInput, relative: bool = True,
                 batch_size: int = 4, fit: str = "crop", output: Optional[PathLike] = None) -> Path:
        """Quantizes the OpenVINO graphs to int8 (NNCF), calibrated on ``source_image`` animated by a few dozen
        ``driving_frames`` of real content; returns the folder (cached, or ``output``), which
        ``engine(backend="openvino", int8=True)`` uses from then on."""
        source = self.prepare_source(source_image, fit)
        driving = prepare_images(driving_frames, self.image_size, fit, "driving_frames")
        return engine_cache.quantize(self, source, driving, MotionOptions(relative=relative), batch_size, output)

    def prepare_source(self, source_image: ImageInput, fit: str = "crop") -> torch.Tensor:
        """The source image as the models see it: float (1, 3, S, S) in [0, 1] (see :mod:`fomm_hf.images`)."""
        return prepare_image(source_image, self.image_size, fit, "source_image")

    def detect_keypoints(self, images: FramesInput, batch_size: int = 4, fit: str = "crop") -> KeypointOutput:
        """Keypoints of images (any input :meth:`__call__` takes as driving frames), ``batch_size`` at a time."""
        check_whole_number("batch_size", batch_size, 1)
        frames = prepare_images(images, self.image_size, fit, "images")
        return KeypointOutput.concat(self.engine().detect(batch) for batch in frames.split(batch_size))

    def __call__(self, source_image: ImageInput, driving_frames: FramesInput, relative: bool = True,
                 adapt_scale: bool = False, initial_frame: int = 0, find_best_frame: bool = False,
                 relative_jacobian: bool = True, fit: str = "crop", fast: bool = False, backend: str = "pytorch",
                 int8: bool = False, graphs: Optional[PathLike] = None, batch_size: int = 4, output_type: str = "pt",
                 return_dict: bool = True, progress: bool = True) -> Union[FOMMPipelineOutput, tuple]:
        r"""
        Animates ``source_image`` with the motion of ``driving_frames``, in memory.

        Args:
            source_image: a PIL image, a numpy array (H, W[, C]) (uint8, uint16 or float in [0, 1]), a tensor
                (C, H, W) / (1, C, H, W) (float in [0, 1] or uint8), or an image file path.
            driving_frames: a tensor (N, C, H, W), a numpy array (N, H, W, C), or a list of images as above.
            relative: transfer the driving keypoints' displacements from ``initial_frame`` onto the source's
                keypoints (True), or use the driving keypoints as they are (False).
            adapt_scale: in relative mode, scale the displacements by the ratio of the objects' sizes.
            initial_frame: index of the driving frame whose pose corresponds to the source's.
            find_best_frame: choose ``initial_frame`` as the driving frame whose pose, normalised for position
                and scale, is closest to the source's: by face landmarks where the ``faces`` extra finds them
                (the original demo's method), else by the model's keypoints (:mod:`.best_frame`).
            relative_jacobian: in relative mode, also transfer Jacobians relatively (as the original's demo).
            fit: how non-square images are made square: "crop" (the centred square), "pad" (black borders) or
                "stretch" (as the original demo).
            fast: the machine's quickest reduced-precision variant (:meth:`~.engine_cache.EngineCache.fast_variant`).
            backend, int8, graphs: "pytorch" (the default), or "onnxruntime" / "openvino": the networks' exported
                graphs, on the CPU (see :meth:`engine`).
            batch_size: driving frames processed together.
            output_type: "pt", "np" or "pil".
            return_dict: return a :class:`FOMMPipelineOutput` (True) or a tuple.
            progress: show a progress bar (also subject to ``set_progress_bar_config``).

        Returns:
            [`FOMMPipelineOutput`] (or a tuple whose first element is the frames): one frame per driving frame,
            at the model's resolution: a float tensor (N, 3, S, S) in [0, 1] ("pt"), a uint8 array
            (N, S, S, 3) ("np") or a list of PIL images ("pil").

        Examples:

        ```py
        >>> from fomm_hf import FOMMPipeline
        >>> from fomm_hf.video import open_video
        >>> pipe = FOMMPipeline.from_pretrained()  # the bundled demo model; or a folder, name or Hub repo id
        >>> with open_video("examples/cartoon-face/driving.mp4") as video:
        ...     frames = pipe("examples/cartoon-face/face.png", list(video.frames()), output_type="pil").frames
        ```
        """
        # 1. Check the arguments.
        if output_type not in OUTPUT_TYPES:
            raise InvalidInputError(f"output_type must be one of {OUTPUT_TYPES}; got {output_type!r}.")
        check_whole_number("batch_size", batch_size, 1)
        if isinstance(driving_frames, (str, os.PathLike)) and Path(driving_frames).suffix.lower() in VIDEO_EXTENSIONS:
            raise InvalidInputError(f"driving_frames is the video file {driving_frames}: pipe(...) takes frames; "
                                    "pipe.animate_video(source_image, driving_video, output_path) takes a video file.")
        source_square = self.prepare_source(source_image, fit)  # (1, 3, S, S)
        driving = prepare_images(driving_frames, self.image_size, fit, "driving_frames")
        if not -len(driving) <= initial_frame < len(driving):
            raise InvalidInputError(f"initial_frame {initial_frame} is outside the {len(driving)} driving frames.")
        motion = MotionOptions(relative=relative, adapt_scale=adapt_scale, relative_jacobian=relative_jacobian)
        # 2. Encode the source and detect the driving keypoints (int8 graphs made first where they are needed).
        self.engines.prepare_fast(source_square, driving, motion, batch_size, fast, backend, int8)
        engine = self.engine(fast, backend, int8, graphs)
        source = engine.encode_source(source_square)
        kp_driving = KeypointOutput.concat(engine.detect(batch) for batch in driving.split(batch_size))
        # 3. The reference pose of relative motion.
        if find_best_frame:
            initial_frame = best_frame(source.keypoints, source_square, [(driving, kp_driving)], self.category)[0].index
        # 4. Animate, a batch at a time.
        kp_batches = (kp_driving.select(slice(i, i + batch_size)) for i in range(0, len(driving), batch_size))
        frames = []
        with self.frame_progress(len(driving), "Animating", progress) as bar:
            for batch in engine.animate(source, kp_batches, motion, kp_driving.select(initial_frame)):
                frames.append(batch)
                bar.update(len(batch))
        result = frames_as(torch.cat(frames), output_type)
        return FOMMPipelineOutput(frames=result) if return_dict else (result,)

    def animate_video(self, source_image: ImageInput, driving_video: PathLike, output_path: PathLike,
                      relative: bool = True, adapt_scale: bool = False, find_best_frame: bool = False,
                      relative_jacobian: bool = True, fit: str = "crop", fast: bool = False, backend: str = "pytorch",
                      int8: bool = False, graphs: Optional[PathLike] = None, batch_size: int = 4,
                      keypoints_path: Optional[PathLike] = None, max_frames: Optional[int] = None,
                      framing: str = "auto", paste_back: bool = True, progress: bool = True) -> AnimationResult:
        r"""
        Animates ``source_image`` with a driving video file (or folder of frames) into a video file, streaming
        (:mod:`.video_job`): memory does not depend on the video's length, the result keeps its frame rate and
        sound, and appears only once complete (an error leaves nothing behind). Arguments as in :meth:`__call__`,
        and:

        Args:
            driving_video: mp4, mov, webm, avi, mkv, gif, ... or a folder of frames.
            output_path: the video to write (.mp4, .mov, .mkv, .webm or .gif).
            keypoints_path: also write this side-by-side video: source | driving with keypoints | result.
            max_frames: animate at most this many driving frames (``truncated`` says whether frames were left).
            framing: "auto" crops the source to a square around its subject and the driving video to a square
                that follows it, where the model's ``category`` has a detector (:mod:`fomm_hf.framing`); what is
                not found is made square by ``fit``. "none": ``fit`` only.
            paste_back: with a framed source, write the animated square pasted back into the whole source, at
                its own size (else the square only, at the model's resolution).
            int8: with backend "openvino", int8 graphs, made first (:meth:`quantize`, calibrated on the source
                and the first driving frames) if this model has none yet.

        Returns:
            [`AnimationResult`]: the files written, frame count and rate, timings, device and precision, and
            what framing found; ``summary()`` says it in a few lines.
        """
        motion = MotionOptions(relative=relative, adapt_scale=adapt_scale, relative_jacobian=relative_jacobian)
        job = VideoJob(source_image, driving_video, output_path, motion, find_best_frame, fit, fast, backend, int8,
                       graphs, batch_size, keypoints_path, max_frames, framing, paste_back, progress)
        return animate_video_file(self, job)

    def live(self, source_image: ImageInput, relative: bool = True, adapt_scale: bool = False,
             relative_jacobian: bool = True, fit: str = "crop", fast: bool = False, backend: str = "pytorch",
             int8: bool = False, framing: str = "auto", paste_back: bool = True) -> LiveAnimator:
        """A live animator of ``source_image`` (:mod:`.live_animator`): called with each camera frame, it returns
        the animated frame at once. Arguments as in :meth:`animate_video`."""
        motion = MotionOptions(relative=relative, adapt_scale=adapt_scale, relative_jacobian=relative_jacobian)
        return LiveAnimator(self, source_image, motion, fast, backend, int8, framing, paste_back, fit)

    def frame_progress(self, total: int, description: str, enabled: bool = True):
        """A tqdm bar over frames, which ``set_progress_bar_config`` configures as diffusers' own bars."""
        options = {"total": total, "desc": description, "unit": "frame", **getattr(self, "_progress_bar_config", {})}
        options["disable"] = not enabled or options.get("disable", False)
        return tqdm(**options)

