"""FOMMPipeline: animate a source image with the motion of driving frames, loadable from the Hub."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Union

import numpy as np
import PIL.Image
import torch
from diffusers import DiffusionPipeline
from diffusers.utils import BaseOutput

from ..animation import AnimationEngine, MotionOptions, best_matching_frame
from ..errors import InvalidInputError
from ..models import KeypointDetector, OcclusionAwareGenerator
from .image_inputs import prepare_frames, prepare_image

OUTPUT_TYPES = ("pt", "np", "pil")
# The demo model shipped inside the package (trained on procedural cartoon faces, see README.md).
BUNDLED_MODEL = Path(__file__).resolve().parent.parent / "bundled" / "procedural-faces-64"


@dataclass
class FOMMPipelineOutput(BaseOutput):
    """frames: float tensor (N, 3, H, W) in [0, 1] ("pt"), uint8 array (N, H, W, 3) ("np") or PIL images ("pil")."""

    frames: Union[torch.Tensor, np.ndarray, List[PIL.Image.Image]]


def to_output_type(frames: torch.Tensor, output_type: str):
    """Float frames (N, 3, H, W) in [0, 1] -> the requested output type."""
    if output_type == "pt":
        return frames
    array = (frames.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).cpu().numpy()
    if output_type == "np":
        return array
    return [PIL.Image.fromarray(frame) for frame in array]


class FOMMPipeline(DiffusionPipeline):
    """First Order Motion Model animation (Siarohin et al., NeurIPS 2019).

    Components: ``kp_detector`` (:class:`KeypointDetector`) and ``generator``
    (:class:`OcclusionAwareGenerator`). ``image_size`` is the square resolution the models were trained at;
    inputs of another size are resized to it.
    """

    model_cpu_offload_seq = "kp_detector->generator"

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Optional[Union[str, os.PathLike]] = None, **kwargs):
        """Loads a pipeline folder or Hub repository; without one, the bundled demo model (works offline)."""
        return super().from_pretrained(pretrained_model_name_or_path or BUNDLED_MODEL, **kwargs)

    def __init__(self, kp_detector: KeypointDetector, generator: OcclusionAwareGenerator, image_size: int = 256):
        super().__init__()
        self.register_modules(kp_detector=kp_detector, generator=generator)
        self.register_to_config(image_size=image_size)

    @property
    def image_size(self) -> int:
        return self.config.image_size

    def engine(self, fast: bool = False, batch_size: int = 4) -> AnimationEngine:
        """The streaming engine on this pipeline's models and device (see :class:`AnimationEngine`)."""
        return AnimationEngine(self.kp_detector, self.generator, device=self.device, fast=fast, batch_size=batch_size)

    def __call__(
        self,
        source_image,
        driving_frames,
        relative: bool = True,
        adapt_scale: bool = False,
        initial_frame: int = 0,
        find_best_frame: bool = False,
        relative_jacobian: bool = True,
        fast: bool = False,
        batch_size: int = 4,
        output_type: str = "pt",
        return_dict: bool = True,
    ):
        """Animates ``source_image`` with the motion of ``driving_frames``.

        Args:
            source_image: PIL image, numpy array (H, W[, C]), tensor (C, H, W) / (1, C, H, W) or file path.
            driving_frames: tensor (N, C, H, W), numpy array (N, H, W, C), or a list of images as above.
            relative: transfer the driving keypoints' displacements from ``initial_frame`` onto the source
                keypoints (True), or use the driving keypoints as they are (False).
            adapt_scale: in relative mode, scale displacements by the ratio of the objects' sizes.
            initial_frame: index of the driving frame whose pose corresponds to the source's.
            find_best_frame: choose ``initial_frame`` as the driving frame whose keypoints, normalised for
                position and scale, are closest to the source's.
            relative_jacobian: also transfer Jacobians relatively (as the original's demo).
            fast: reduced-precision (bfloat16/float16) convolutions where the hardware supports them.
            batch_size: frames processed together.
            output_type: "pt" (float tensor (N, 3, H, W) in [0, 1]), "np" (uint8 (N, H, W, 3)) or "pil".
        """
        if output_type not in OUTPUT_TYPES:
            raise InvalidInputError(f"output_type must be one of {OUTPUT_TYPES}; got {output_type!r}.")
        engine = self.engine(fast=fast, batch_size=batch_size)
        source = engine.prepare_source(prepare_image(source_image, "source_image", self.image_size))
        driving = prepare_frames(driving_frames, "driving_frames", self.image_size)
        if not -len(driving) <= initial_frame < len(driving):
            raise InvalidInputError(f"initial_frame {initial_frame} is outside the {len(driving)} driving frames.")

        kp_driving = engine.detect(driving)
        if find_best_frame:
            initial_frame = best_matching_frame(source.keypoints, kp_driving)
        kp_batches = (kp_driving.select(slice(i, i + batch_size)) for i in range(0, len(driving), batch_size))
        motion = MotionOptions(relative=relative, adapt_scale=adapt_scale, relative_jacobian=relative_jacobian)

        frames = []
        with self.progress_bar(total=len(driving)) as progress:
            for batch in engine.animate_keypoints(source, kp_batches, motion, kp_driving.select(initial_frame)):
                frames.append(batch)
                progress.update(len(batch))

        result = to_output_type(torch.cat(frames), output_type)
        return FOMMPipelineOutput(frames=result) if return_dict else (result,)
