"""FOMMPipeline: animate a source image with the motion of driving frames, loadable from the Hub."""

from dataclasses import dataclass
from typing import List, Union

import numpy as np
import PIL.Image
import torch
from diffusers import DiffusionPipeline
from diffusers.utils import BaseOutput

from ..errors import InvalidInputError
from ..models import KeypointDetector, KeypointOutput, OcclusionAwareGenerator
from ..motion import transfer_motion
from .image_inputs import prepare_frames, prepare_image

OUTPUT_TYPES = ("pt", "np", "pil")


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

    def __init__(self, kp_detector: KeypointDetector, generator: OcclusionAwareGenerator, image_size: int = 256):
        super().__init__()
        self.register_modules(kp_detector=kp_detector, generator=generator)
        self.register_to_config(image_size=image_size)

    @property
    def image_size(self) -> int:
        return self.config.image_size

    def detect_keypoints(self, frames: torch.Tensor, batch_size: int) -> KeypointOutput:
        """Keypoints of (N, 3, H, W) frames, computed ``batch_size`` frames at a time."""
        parts = [self.kp_detector(frames[i : i + batch_size]) for i in range(0, len(frames), batch_size)]
        jacobians = [part.jacobian for part in parts]
        return KeypointOutput(
            value=torch.cat([part.value for part in parts]),
            jacobian=None if jacobians[0] is None else torch.cat(jacobians),
        )

    @torch.inference_mode()
    def __call__(
        self,
        source_image,
        driving_frames,
        relative: bool = True,
        adapt_scale: bool = False,
        initial_frame: int = 0,
        relative_jacobian: bool = True,
        batch_size: int = 8,
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
            relative_jacobian: also transfer Jacobians relatively (as the original's demo).
            batch_size: frames processed together.
            output_type: "pt" (float tensor (N, 3, H, W) in [0, 1]), "np" (uint8 (N, H, W, 3)) or "pil".
        """
        if output_type not in OUTPUT_TYPES:
            raise InvalidInputError(f"output_type must be one of {OUTPUT_TYPES}; got {output_type!r}.")
        if batch_size < 1:
            raise InvalidInputError(f"batch_size must be at least 1; got {batch_size}.")
        source = prepare_image(source_image, "source_image", self.image_size).to(self.device)
        driving = prepare_frames(driving_frames, "driving_frames", self.image_size)
        if not -len(driving) <= initial_frame < len(driving):
            raise InvalidInputError(f"initial_frame {initial_frame} is outside the {len(driving)} driving frames.")

        self.kp_detector.eval()
        self.generator.eval()
        kp_source = self.kp_detector(source)
        source_features = self.generator.encode(source)
        kp_driving = self.detect_keypoints(driving.to(self.device), batch_size)
        kp_initial = kp_driving.select(initial_frame)

        frames = []
        for start in self.progress_bar(range(0, len(driving), batch_size)):
            batch = slice(start, start + batch_size)
            kp_target = transfer_motion(
                kp_source,
                kp_driving.select(batch),
                kp_initial,
                relative=relative,
                relative_jacobian=relative_jacobian,
                adapt_scale=adapt_scale,
            )
            count = kp_target.value.shape[0]
            output = self.generator(
                source.expand(count, -1, -1, -1),
                kp_driving=kp_target,
                kp_source=KeypointOutput(
                    value=kp_source.value.expand(count, -1, -1),
                    jacobian=None if kp_source.jacobian is None else kp_source.jacobian.expand(count, -1, -1, -1),
                ),
                source_features=source_features.expand(count, -1, -1, -1),
            )
            frames.append(output.prediction.float().cpu())

        result = to_output_type(torch.cat(frames), output_type)
        return FOMMPipelineOutput(frames=result) if return_dict else (result,)
