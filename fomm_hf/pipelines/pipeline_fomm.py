"""FOMMPipeline: animate a source image with the motion of driving frames or of a driving video file."""

import contextlib
import hashlib
import itertools
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import PIL.Image
import torch
from diffusers import DiffusionPipeline
from diffusers.utils import BaseOutput
from tqdm.auto import tqdm

from ..animation import AnimationEngine, StreamingEngine, inference_dtype
from ..animation.exported import ExportedEngine, GraphRunner, exported_precision, graph_inputs
from ..errors import InvalidInputError
from ..export import export_graphs, exported_folder, quantize_int8
from ..export.backends import check_backend
from ..export.exporting import EXPORT_RECORD
from ..framing import PasteBack, SubjectFramer
from ..images import VIDEO_EXTENSIONS, check_fit, prepare_image, prepare_images, rgb_array, to_uint8
from ..models import KeypointDetector, OcclusionAwareGenerator
from ..motion import KeypointOutput, MotionOptions, best_matching_frame, transfer_motion
from ..permissions import give_ordinary_permissions
from ..pictures import side_by_side_batch
from ..video import VideoWriter, check_output_path, iter_batches, open_video
from .converted_models import cache_dir
from .loading import resolve_model
from .registry import BUNDLED_MODEL

ImageInput = Union[str, os.PathLike, PIL.Image.Image, np.ndarray, torch.Tensor]
FramesInput = Union[torch.Tensor, np.ndarray, Sequence[ImageInput]]
OUTPUT_TYPES = ("pt", "np", "pil")
FRAMINGS = ("auto", "none")
CALIBRATION_FRAMES = 32  # driving frames that calibrate int8 graphs made by animate_video


@dataclass
class FOMMPipelineOutput(BaseOutput):
    """frames: float tensor (N, 3, H, W) in [0, 1] ("pt"), uint8 array (N, H, W, 3) ("np") or PIL images ("pil")."""

    frames: Union[torch.Tensor, np.ndarray, List[PIL.Image.Image]]


@dataclass
class AnimationResult:
    """What :meth:`FOMMPipeline.animate_video` wrote, and how long it took."""

    output: Path
    keypoints_output: Optional[Path]  # the side-by-side video, if one was asked for
    num_frames: int  # frames written
    fps: float  # of the written video (the driving video's)
    seconds: float  # the whole call: source, model inference, decoding and encoding
    seconds_to_first_frame: float  # from the call to the first frames written
    initial_frame: int  # driving frame used as the reference pose of relative motion
    device: str
    dtype: str  # the precision the networks ran in
    truncated: bool  # the driving video was longer than max_frames
    framing_notes: List[str] = field(default_factory=list)  # what framing found in the source and driving video

    @property
    def frames_per_second(self) -> float:
        return self.num_frames / self.seconds if self.seconds else float("inf")


class FOMMPipeline(DiffusionPipeline):
    r"""
    First Order Motion Model animation (Siarohin et al., NeurIPS 2019): a source image moved by the motion of
    driving frames.

    Components:
        kp_detector ([`KeypointDetector`]): keypoints and local affine motions of the source and driving frames.
        generator ([`OcclusionAwareGenerator`]): the source warped to the driving keypoints, occlusions inpainted.

    Parameters:
        image_size (`int`, defaults to 256): the square resolution the models were trained at; inputs are made
            square and resized to it.
        category (`str`, *optional*): what the models animate (a category of ``fomm_hf.pipelines.registry``,
            e.g. "face"); :meth:`animate_video` frames inputs around the subject of a category it can detect.

    The pipeline runs its components through an :class:`~fomm_hf.animation.AnimationEngine` (inference copies
    with BatchNorm folded, on the components' device and dtype), or through their exported graphs
    (``backend="onnxruntime"`` or ``"openvino"``), built on first use and rebuilt when the components move
    (``pipe.to(...)``) or their weights change.
    """

    model_cpu_offload_seq = "kp_detector->generator"

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Optional[Union[str, os.PathLike]] = None, **kwargs):
        """Loads a pipeline folder, a registered model by name (``fomm models`` lists them; the original models are
        downloaded and converted on first use) or a Hub repository (``revision`` and ``cache_dir`` apply to it; its
        pipeline files are downloaded, and its exported graphs when a backend needs them), in this order; without
        one, the bundled demo model (works offline)."""
        revision, hub_cache = kwargs.pop("revision", None), kwargs.pop("cache_dir", None)
        resolved = resolve_model(pretrained_model_name_or_path or BUNDLED_MODEL, revision, hub_cache)
        pipe = super().from_pretrained(resolved.folder, **kwargs)
        registered = resolved.registered
        if registered is not None and pipe.category is None:  # converted before categories were recorded
            pipe.register_to_config(category=registered.category)
        pipe.folder, pipe.hub_origin = resolved.folder, resolved.hub_origin
        return pipe

    def save_pretrained(self, save_directory: Union[str, os.PathLike], **kwargs) -> None:
        """diffusers' ``save_pretrained``, with the user's ordinary permissions for what it writes (safetensors
        writes its files readable by their owner only)."""
        super().save_pretrained(save_directory, **kwargs)
        give_ordinary_permissions(save_directory)

    def __init__(
        self,
        kp_detector: KeypointDetector,
        generator: OcclusionAwareGenerator,
        image_size: int = 256,
        category: Optional[str] = None,
    ):
        super().__init__()
        self.register_modules(kp_detector=kp_detector, generator=generator)
        self.register_to_config(image_size=image_size, category=category)
        self._engines = {}  # dtype or (backend, precision) -> engine, for the weights of _engines_fingerprint
        self._engines_fingerprint = None
        self.folder = None  # the pipeline folder it was loaded from, where exported graphs may be saved too
        self.hub_origin = None  # the Hub repository it was loaded from, which may hold exported graphs too
        self._digest = None  # (weights_fingerprint, weights_digest) of the weights last exported or looked up
        self._engines_lock = threading.Lock()  # concurrent callers (the app) build an engine once

    @property
    def image_size(self) -> int:
        return self.config.image_size

    @property
    def category(self) -> Optional[str]:
        return self.config.category

    def engine(self, fast: bool = False, backend: str = "pytorch", int8: bool = False) -> StreamingEngine:
        """The inference engine for the components as they are now (device, dtype, weights).

        ``fast`` runs the networks in bfloat16/float16 where the hardware computes it faster (keypoints,
        Jacobians and sampling grids stay float32). Components cast to a reduced precision with
        ``pipe.to(torch.float16)`` run in it, fast or not.

        ``backend`` "onnxruntime" or "openvino" runs the components' exported graphs on the CPU instead
        (:meth:`exported_graphs`): float32, or with ``fast`` bfloat16 where OpenVINO has it on this CPU, or
        with ``int8`` (OpenVINO) the graphs that :meth:`quantize` made.
        """
        check_backend(backend, int8)
        fingerprint = weights_fingerprint(self.kp_detector, self.generator)
        if backend == "pytorch":
            key = inference_dtype(self.device, self.dtype, fast)
        else:
            key = (backend, "int8" if int8 else exported_precision(backend, fast))
        with self._engines_lock:
            if fingerprint != self._engines_fingerprint:
                self._engines.clear()
                self._engines_fingerprint = fingerprint
            if key not in self._engines:
                if backend == "pytorch":
                    self._engines[key] = AnimationEngine(self.kp_detector, self.generator, self.device, key)
                else:
                    graphs = self.exported_graphs("onnx" if backend == "onnxruntime" else "openvino", int8)
                    self._engines[key] = ExportedEngine(GraphRunner(graphs, backend, key[1]))
            return self._engines[key]

    def exported_graphs(self, export_format: str, int8: bool = False) -> Path:
        """The folder of the components' graphs in ``export_format`` ("onnx", "openvino"; ``int8``: quantized):
        the ``onnx/``, ``openvino/`` or ``openvino-int8/`` subfolder of the pipeline's folder (or of the Hub
        repository it was loaded from, downloaded) if it has one, else a copy exported here on first use and kept
        in the cache (``$FOMM_CACHE/exported``, by the weights' digest). int8 graphs are made by :meth:`quantize`."""
        found = self.find_exported_graphs(export_format, int8)
        if found is not None:
            return found
        if int8:
            raise InvalidInputError("No int8 graphs of this model yet: pipe.quantize(source_image, driving_frames) "
                                    "makes them, or animate_video(..., int8=True) with a driving video.")
        cached = self._exported_cache(export_format)
        return export_graphs(self.kp_detector, self.generator, self.image_size, cached, export_format)

    def find_exported_graphs(self, export_format: str, int8: bool = False) -> Optional[Path]:
        """The folder :meth:`exported_graphs` gives if it exists already (nothing is exported), else None."""
        name = f"{export_format}-int8" if int8 else export_format
        saved = exported_folder(self.folder, name)
        if saved is None and self.hub_origin is not None:
            saved = self.hub_origin.exported_graphs(name)
        if saved is not None:
            return saved
        cached = self._exported_cache(name)
        return cached if (cached / EXPORT_RECORD).is_file() else None

    def _exported_cache(self, name: str) -> Path:
        """Where exported graphs of the current weights are cached. Their digest reads every weight (a second for
        vox-256), so it is computed once per set of weights."""
        fingerprint = weights_fingerprint(self.kp_detector, self.generator)
        if self._digest is None or self._digest[0] != fingerprint:
            self._digest = (fingerprint, weights_digest(self))
        return cache_dir() / "exported" / self._digest[1] / name

    def quantize(self, source_image: ImageInput, driving_frames: FramesInput, relative: bool = True,
                 batch_size: int = 4, fit: str = "crop", output: Optional[Union[str, os.PathLike]] = None) -> Path:
        """Quantizes the OpenVINO graphs to int8 (post-training, with NNCF), calibrated on what each graph receives
        while ``source_image`` is animated by ``driving_frames`` (a few dozen frames of real content); returns
        the folder, kept in the cache and used by ``engine(backend="openvino", int8=True)`` from then on (or
        written to ``output``, e.g. the ``openvino-int8`` subfolder of a pipeline folder)."""
        float_graphs = self.exported_graphs("openvino")
        engine = self.engine(backend="openvino")
        source = engine.encode_source(self.prepare_source(source_image, fit))
        driving = prepare_images(driving_frames, self.image_size, fit, "driving_frames")
        kp_initial = engine.detect(driving[:1])
        calibration = []
        for frames in driving.split(batch_size):
            kp_target = transfer_motion(source.keypoints, engine.detect(frames), kp_initial, relative=relative)
            calibration.append(graph_inputs(source, frames, kp_target))
        output = self._exported_cache("openvino-int8") if output is None else Path(output)
        with self._engines_lock:
            self._engines.pop(("openvino", "int8"), None)
        return quantize_int8(float_graphs, output, calibration)

    def prepare_source(self, source_image: ImageInput, fit: str = "crop") -> torch.Tensor:
        """The source image as the models see it: float (1, 3, S, S) in [0, 1] (see :mod:`fomm_hf.images`)."""
        return prepare_image(source_image, self.image_size, fit, "source_image")

    def detect_keypoints(self, images: FramesInput, batch_size: int = 4, fit: str = "crop") -> KeypointOutput:
        """Keypoints of images (any input :meth:`__call__` takes as driving frames), ``batch_size`` at a time."""
        check_batch_size(batch_size)
        engine = self.engine()
        frames = prepare_images(images, self.image_size, fit, "images")
        return KeypointOutput.concat(engine.detect(batch) for batch in frames.split(batch_size))

    def __call__(
        self,
        source_image: ImageInput,
        driving_frames: FramesInput,
        relative: bool = True,
        adapt_scale: bool = False,
        initial_frame: int = 0,
        find_best_frame: bool = False,
        relative_jacobian: bool = True,
        fit: str = "crop",
        fast: bool = False,
        backend: str = "pytorch",
        int8: bool = False,
        batch_size: int = 4,
        output_type: str = "pt",
        return_dict: bool = True,
        progress: bool = True,
    ) -> Union[FOMMPipelineOutput, tuple]:
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
            find_best_frame: choose ``initial_frame`` as the driving frame whose keypoints, normalised for
                position and scale, are closest to the source's.
            relative_jacobian: in relative mode, also transfer Jacobians relatively (as the original's demo).
            fit: how non-square images are made square: "crop" (the centred square), "pad" (black borders) or
                "stretch" (as the original demo).
            fast: reduced-precision (bfloat16/float16) networks where the hardware runs them faster.
            backend: "pytorch" (the default), or "onnxruntime" / "openvino": the networks' exported graphs, on
                the CPU (see :meth:`engine`).
            int8: with backend "openvino", the int8 graphs that :meth:`quantize` made.
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
        >>> pipe = FOMMPipeline.from_pretrained()  # the bundled demo model; or a folder or Hub repo id
        >>> with open_video("examples/cartoon-face/driving.mp4") as video:
        ...     driving = list(video.frames())
        >>> frames = pipe("examples/cartoon-face/face.png", driving, output_type="pil").frames
        >>> frames[0].save("first_frame.png")
        ```
        """
        if output_type not in OUTPUT_TYPES:
            raise InvalidInputError(f"output_type must be one of {OUTPUT_TYPES}; got {output_type!r}.")
        check_batch_size(batch_size)
        if isinstance(driving_frames, (str, os.PathLike)) and Path(driving_frames).suffix.lower() in VIDEO_EXTENSIONS:
            raise InvalidInputError(f"driving_frames is the video file {driving_frames}: pipe(...) takes frames (a "
                                    "tensor, an array, a list of images); pipe.animate_video(source_image, "
                                    "driving_video, output_path) animates a video file.")
        engine = self.engine(fast, backend, int8)
        source = engine.encode_source(self.prepare_source(source_image, fit))
        driving = prepare_images(driving_frames, self.image_size, fit, "driving_frames")
        if not -len(driving) <= initial_frame < len(driving):
            raise InvalidInputError(f"initial_frame {initial_frame} is outside the {len(driving)} driving frames.")

        kp_driving = KeypointOutput.concat(engine.detect(batch) for batch in driving.split(batch_size))
        if find_best_frame:
            initial_frame = best_matching_frame(source.keypoints, kp_driving)
        kp_batches = (kp_driving.select(slice(i, i + batch_size)) for i in range(0, len(driving), batch_size))
        motion = MotionOptions(relative=relative, adapt_scale=adapt_scale, relative_jacobian=relative_jacobian)

        frames = []
        with self._progress(len(driving), "Animating", progress) as bar:
            for batch in engine.animate(source, kp_batches, motion, kp_driving.select(initial_frame)):
                frames.append(batch)
                bar.update(len(batch))

        result = to_output_type(torch.cat(frames), output_type)
        return FOMMPipelineOutput(frames=result) if return_dict else (result,)

    def animate_video(
        self,
        source_image: ImageInput,
        driving_video: Union[str, os.PathLike],
        output_path: Union[str, os.PathLike],
        relative: bool = True,
        adapt_scale: bool = False,
        find_best_frame: bool = False,
        relative_jacobian: bool = True,
        fit: str = "crop",
        fast: bool = False,
        backend: str = "pytorch",
        int8: bool = False,
        batch_size: int = 4,
        keypoints_path: Optional[Union[str, os.PathLike]] = None,
        max_frames: Optional[int] = None,
        framing: str = "auto",
        paste_back: bool = True,
        progress: bool = True,
    ) -> AnimationResult:
        r"""
        Animates ``source_image`` with a driving video file (or folder of frames) into a video file, streaming.

        The driving video is decoded, animated and encoded a batch at a time, so memory does not depend on its
        length; the result keeps its frame rate and audio track. The output appears only once complete: an
        error leaves nothing behind. Arguments as in :meth:`__call__`, and:

        Args:
            driving_video: mp4, mov, webm, avi, mkv, gif, ... or a folder of frames.
            output_path: the video to write (.mp4, .mov, .mkv, .webm or .gif).
            keypoints_path: also write this side-by-side video: source | driving with keypoints | result.
            max_frames: animate at most this many driving frames (``truncated`` says whether frames were left).
            framing: "auto" frames the source and the driving video around their subject where the model's
                ``category`` has a detector (faces): the source is cropped to a square around its largest face,
                and the driving video to a square that follows its face, steadily (see :mod:`fomm_hf.framing`);
                what is not found is made square by ``fit``. "none": ``fit`` only.
            paste_back: with a framed source, write the animated square pasted back into the whole source, at
                its own size (else the square only, at the model's resolution).
            int8: with backend "openvino", int8 graphs; if this model has none yet, they are made first
                (:meth:`quantize`), calibrated on the source and the first ``CALIBRATION_FRAMES`` driving frames.

        With ``find_best_frame`` a first pass detects the keypoints of every driving frame (a few numbers per
        frame, kept in memory) to choose the reference pose; the frames are decoded again for the second.

        Returns:
            [`AnimationResult`]: the files written, frame count and rate, timings, device and precision, and
            what framing found.
        """
        start = time.perf_counter()
        check_batch_size(batch_size)
        check_fit(fit)
        if framing not in FRAMINGS:
            raise InvalidInputError(f"framing must be one of {', '.join(FRAMINGS)}; got {framing!r}.")
        inputs = {"the driving video": driving_video}
        if isinstance(source_image, (str, os.PathLike)):
            inputs["the source image"] = source_image
        output_path = check_output_path(output_path, keep=inputs)
        if keypoints_path is not None:
            keypoints_path = check_output_path(keypoints_path, keep={**inputs, "the output video": output_path})
        if max_frames is not None and max_frames < 1:
            raise InvalidInputError(f"max_frames must be at least 1; got {max_frames}.")
        framer = SubjectFramer(self.category) if framing == "auto" else None
        notes = []  # what framing found, or did instead
        if framing == "auto" and not framer.available:
            notes.append(f"{framer.note}: the source and the driving video were made square by fit={fit}.")
            framer = None
        pasted = None  # the PasteBack of a framed source, if the result is pasted back
        if framer is not None:
            whole_source = rgb_array(source_image, "source_image")
            framed = framer.frame_source(whole_source)
            notes.append(framed.note if framed.square else f"{framed.note}: it was made square by fit={fit}.")
            if framed.square is not None:
                source_image = framed.square.crop(whole_source)
                if paste_back:
                    pasted = PasteBack(whole_source, framed.square)
        source_image = self.prepare_source(source_image, fit)
        check_backend(backend, int8)
        if int8 and self.find_exported_graphs("openvino", int8=True) is None:
            with open_video(driving_video) as video:
                calibration_frames = list(itertools.islice(video.frames(), CALIBRATION_FRAMES))
            self.quantize(source_image, np.stack(calibration_frames), relative, batch_size, fit)
        engine = self.engine(fast, backend, int8)
        source = engine.encode_source(source_image)
        motion = MotionOptions(relative=relative, adapt_scale=adapt_scale, relative_jacobian=relative_jacobian)

        with open_video(driving_video) as video:
            total = video.num_frames if max_frames is None else min(video.num_frames, max_frames)
            track = None
            if framer is not None:  # a first pass finds the subject's square in every frame
                with self._progress(total, "Following the subject", progress) as bar:
                    track = framer.follow(bar_through(itertools.islice(video.frames(), max_frames), bar), video.fps)
                if track is None:
                    notes.append(f"Driving video: no {framer.subject} found; it was made square by fit={fit}.")
                elif not track.reliable:
                    notes.append(f"{track.summary(framer.subject)}; it was made square by fit={fit}.")
                    track = None
                else:
                    notes.append(track.summary(framer.subject))

            def driving_batches():
                frames = itertools.islice(video.frames(), max_frames)
                if track is not None:
                    squares = itertools.chain(track.squares, itertools.repeat(track.squares[-1]))
                    frames = (square.crop(frame) for frame, square in zip(frames, squares))
                for batch in iter_batches(frames, batch_size):
                    images = batch if track is not None else np.stack(batch)  # framed crops differ in size
                    yield prepare_images(images, self.image_size, fit, "the driving video")

            kp_detected, initial_frame = None, 0
            if find_best_frame:
                with self._progress(total, "Finding the best frame", progress) as bar:
                    parts = []
                    for frames in driving_batches():
                        parts.append(engine.detect(frames))
                        bar.update(len(frames))
                kp_detected = KeypointOutput.concat(parts)
                initial_frame = best_matching_frame(source.keypoints, kp_detected)

            pending = deque()  # (driving frames, their keypoints) of the batches being animated

            def driving_keypoints():
                position = 0
                for frames in driving_batches():
                    if kp_detected is None:
                        kp = engine.detect(frames)
                    else:
                        kp = kp_detected.select(slice(position, position + len(frames)))
                    position += len(frames)
                    pending.append((frames, kp))
                    yield kp

            kp_initial = None if kp_detected is None else kp_detected.select(initial_frame)
            audio_from = video.path if video.has_audio else None
            written, first_frame_seconds = 0, None
            with contextlib.ExitStack() as outputs:
                writer = outputs.enter_context(VideoWriter(output_path, video.fps, audio_from=audio_from))
                keypoints_writer = None
                if keypoints_path is not None:
                    keypoints_writer = outputs.enter_context(VideoWriter(keypoints_path, video.fps, audio_from))
                with self._progress(total, "Animating", progress) as bar:
                    for results in engine.animate(source, driving_keypoints(), motion, kp_initial):
                        frames, kp = pending.popleft()
                        writer.write(results if pasted is None else pasted(results))
                        if keypoints_writer is not None:
                            keypoints_writer.write(side_by_side_batch(source_image[0], frames, kp.value, results))
                        if written == 0:
                            first_frame_seconds = time.perf_counter() - start
                        written += len(results)
                        bar.update(len(results))
                if written == 0:
                    raise InvalidInputError(f"The driving video {driving_video} has no frames that can be decoded.")

        return AnimationResult(
            output=output_path,
            keypoints_output=keypoints_path,
            num_frames=written,
            fps=video.fps,
            seconds=time.perf_counter() - start,
            seconds_to_first_frame=first_frame_seconds,
            initial_frame=initial_frame,
            device=str(engine.device),
            dtype=engine.precision,
            truncated=max_frames is not None and video.num_frames > max_frames,
            framing_notes=notes,
        )

    def _progress(self, total: int, description: str, enabled: bool):
        """A tqdm bar over frames, which ``set_progress_bar_config`` configures as diffusers' own bars."""
        options = {"total": total, "desc": description, "unit": "frame", **getattr(self, "_progress_bar_config", {})}
        options["disable"] = not enabled or options.get("disable", False)
        return tqdm(**options)


def bar_through(frames, bar):
    """``frames``, counting each on the progress ``bar``."""
    for frame in frames:
        yield frame
        bar.update(1)


def weights_fingerprint(*models: torch.nn.Module) -> tuple:
    """Changes when a model's tensors are replaced, moved, cast or modified in place (new weights)."""
    fingerprint = []
    for model in models:
        for tensor in itertools.chain(model.parameters(), model.buffers()):
            try:
                version = tensor._version  # bumped by every in-place change (load_state_dict, optimizer steps)
            except RuntimeError:  # an inference tensor: it cannot change in place
                version = None
            fingerprint.append((id(tensor), tensor.data_ptr(), tensor.device, tensor.dtype, version))
    return tuple(fingerprint)


def check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidInputError(f"batch_size must be an integer of at least 1; got {batch_size!r}.")


def to_output_type(frames: torch.Tensor, output_type: str):
    """Float frames (N, 3, H, W) in [0, 1] -> the requested output type."""
    if output_type == "pt":
        return frames
    array = to_uint8(frames)
    if output_type == "np":
        return array
    return [PIL.Image.fromarray(frame) for frame in array]


def weights_digest(pipe: "FOMMPipeline") -> str:
    """A short SHA-256 of the components' configs and weights, and the image size: what exported graphs depend
    on."""
    digest = hashlib.sha256(str(pipe.image_size).encode())
    for model in (pipe.kp_detector, pipe.generator):
        digest.update(json.dumps(dict(model.config), sort_keys=True, default=str).encode())
        for name, tensor in model.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]
