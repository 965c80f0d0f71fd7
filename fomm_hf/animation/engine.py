"""The animation engine: per-source work done once, driving frames streamed through in batches.

Compared with the original demo loop, which runs the keypoint detector and the whole generator on every
frame, the engine
- encodes the source once (its keypoints and encoder features do not depend on the driving frame);
- detects driving keypoints and generates frames in batches, under ``torch.inference_mode``;
- does not compute outputs that only explain a frame (the warped full-resolution source);
- runs inference copies of the models with each BatchNorm that follows a convolution folded into it,
  in-place activations, and channels-last activations on CPU (which oneDNN convolutions run faster);
- optionally (``fast=True``) runs those copies in bfloat16/float16, keeping geometry (keypoints,
  Jacobians, sampling grids) in float32.
It consumes and yields iterators, so memory does not grow with the length of the video.
"""

import copy
import warnings
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

import torch
from torch import nn

from ..errors import InvalidInputError
from ..models import KeypointDetector, KeypointOutput, OcclusionAwareGenerator
from ..models.blocks import fold_batchnorm
from ..motion import transfer_motion
from .device import reduced_precision_dtype, resolve_device


@dataclass
class PreparedSource:
    """Everything about the source image that the engine computes once."""

    image: torch.Tensor  # (1, 3, H, W) on the engine's device
    keypoints: KeypointOutput  # (1, K, ...)
    features: torch.Tensor  # generator.encode(image), (1, C, H / 4, W / 4) for the usual configs


@dataclass
class MotionOptions:
    """How driving motion is transferred to the source (see :func:`fomm_hf.motion.transfer_motion`)."""

    relative: bool = True
    adapt_scale: bool = False
    relative_jacobian: bool = True


def concat_keypoints(parts) -> KeypointOutput:
    parts = list(parts)
    return KeypointOutput(
        value=torch.cat([p.value for p in parts]),
        jacobian=None if parts[0].jacobian is None else torch.cat([p.jacobian for p in parts]),
    )


def expand_keypoints(kp: KeypointOutput, batch: int) -> KeypointOutput:
    jacobian = None if kp.jacobian is None else kp.jacobian.expand(batch, -1, -1, -1)
    return KeypointOutput(value=kp.value.expand(batch, -1, -1), jacobian=jacobian)


class AnimationEngine:
    def __init__(
        self,
        kp_detector: KeypointDetector,
        generator: OcclusionAwareGenerator,
        device: Optional[str] = None,
        fast: bool = False,
        batch_size: int = 4,
    ):
        if batch_size < 1:
            raise InvalidInputError(f"batch_size must be at least 1; got {batch_size}.")
        self.device = resolve_device(device) if device is None or isinstance(device, str) else device
        self.batch_size = batch_size
        self.dtype = torch.float32
        if fast:
            self.dtype = reduced_precision_dtype(self.device) or torch.float32
            if self.dtype == torch.float32:
                warnings.warn(f"This {self.device.type} has no fast reduced-precision arithmetic: fast mode runs in float32.")
        self.memory_format = torch.channels_last if self.device.type == "cpu" else torch.contiguous_format
        self.kp_detector = self._inference_copy(kp_detector)
        self.generator = self._inference_copy(generator)

    def _inference_copy(self, model: nn.Module) -> nn.Module:
        """A copy of ``model`` for inference on this engine's device and dtype; the original is untouched."""
        model = fold_batchnorm(copy.deepcopy(model).eval())
        # nn.Module.to, not ModelMixin.to, which warns about dtype casts meant for loading from the Hub.
        nn.Module.to(model, self.device, dtype=self.dtype, memory_format=self.memory_format)
        return model.requires_grad_(False)

    def _input(self, frames: torch.Tensor) -> torch.Tensor:
        return frames.to(self.device).contiguous(memory_format=self.memory_format)

    @torch.inference_mode()
    def prepare_source(self, source: torch.Tensor) -> PreparedSource:
        """source: (1, 3, H, W) float in [0, 1]."""
        image = self._input(source)
        return PreparedSource(image=image, keypoints=self.kp_detector(image), features=self.generator.encode(image))

    @torch.inference_mode()
    def detect(self, frames: torch.Tensor) -> KeypointOutput:
        """Keypoints of (N, 3, H, W) frames, ``batch_size`` at a time."""
        return concat_keypoints(
            self.kp_detector(self._input(frames[i : i + self.batch_size])) for i in range(0, len(frames), self.batch_size)
        )

    def detect_stream(self, frame_batches: Iterable[torch.Tensor]) -> Iterator[KeypointOutput]:
        for frames in frame_batches:
            yield self.detect(frames)

    @torch.inference_mode()
    def generate(self, source: PreparedSource, kp_target: KeypointOutput) -> torch.Tensor:
        """Frames (B, 3, H, W) float32 on the CPU for a batch of target keypoints."""
        frames = []
        for start in range(0, len(kp_target.value), self.batch_size):
            kp_batch = kp_target.select(slice(start, start + self.batch_size))
            count = len(kp_batch.value)
            output = self.generator(
                source.image.expand(count, -1, -1, -1),
                kp_driving=kp_batch,
                kp_source=expand_keypoints(source.keypoints, count),
                source_features=source.features.expand(count, -1, -1, -1),
                return_deformed_source=False,
            )
            frames.append(output.prediction.float().cpu())
        return torch.cat(frames).contiguous()

    def animate_batch(
        self,
        source: PreparedSource,
        kp_driving: KeypointOutput,
        kp_initial: KeypointOutput,
        motion: MotionOptions = MotionOptions(),
    ) -> torch.Tensor:
        """Frames (B, 3, H, W) for a batch of driving keypoints; ``kp_initial`` is the driving pose that
        corresponds to the source's pose (used in relative mode)."""
        kp_target = transfer_motion(
            source.keypoints,
            kp_driving,
            kp_initial,
            relative=motion.relative,
            relative_jacobian=motion.relative_jacobian,
            adapt_scale=motion.adapt_scale,
        )
        return self.generate(source, kp_target)

    def animate_keypoints(
        self,
        source: PreparedSource,
        kp_driving_batches: Iterable[KeypointOutput],
        motion: MotionOptions = MotionOptions(),
        kp_initial: Optional[KeypointOutput] = None,
    ) -> Iterator[torch.Tensor]:
        """Yields frame batches for a stream of driving keypoint batches; ``kp_initial`` defaults to the
        first driving frame's keypoints."""
        for kp_driving in kp_driving_batches:
            if kp_initial is None:
                kp_initial = kp_driving.select(0)
            yield self.animate_batch(source, kp_driving, kp_initial, motion)

    def animate(
        self,
        source: PreparedSource,
        driving_batches: Iterable[torch.Tensor],
        motion: MotionOptions = MotionOptions(),
        kp_initial: Optional[KeypointOutput] = None,
    ) -> Iterator[torch.Tensor]:
        """Yields frame batches (B, 3, H, W) for a stream of driving frame batches (B, 3, H, W)."""
        yield from self.animate_keypoints(source, self.detect_stream(driving_batches), motion, kp_initial)
