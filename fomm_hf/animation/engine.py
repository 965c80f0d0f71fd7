"""The animation engine: per-source work done once, driving keypoints streamed through in batches.

Compared with the original demo loop, which runs the keypoint detector and the whole generator on every
frame, the engine
- encodes the source once (its keypoints and encoder features do not depend on the driving frame);
- detects driving keypoints and generates frames a batch at a time, under ``torch.inference_mode``;
- does not compute outputs that only explain a frame (the warped full-resolution source);
- runs inference copies of the models with each BatchNorm that follows a convolution folded into it,
  each upsampling block fused into one transposed convolution (:mod:`fomm_hf.models.fusion`), and
  channels-last activations on CPU (which oneDNN convolutions run faster);
- optionally runs those copies in bfloat16/float16, keeping geometry (keypoints, Jacobians, sampling grids)
  in float32.

Engines are built and cached for a pipeline by :mod:`fomm_hf.pipelines.engine_cache` (``pipe.engine()``); the
pipeline cuts driving frames into batches, and :meth:`StreamingEngine.animate` turns a stream of driving keypoint
batches into a stream of frame batches, so memory does not grow with the length of the video.
"""

import copy
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator, Optional

import torch
from torch import nn

from ..models import KeypointDetector, OcclusionAwareGenerator
from ..models.fusion import fold_batchnorm, fuse_upsampling
from ..motion import KeypointOutput, MotionOptions, transfer_motion


@dataclass
class EncodedSource:
    """Everything about the source image that the engine computes once."""

    image: torch.Tensor  # (1, 3, H, W) on the engine's device
    keypoints: KeypointOutput  # (1, K, ...)
    features: torch.Tensor  # generator.encode(image), (1, C, H / 2^d, W / 2^d) for d down blocks


class StreamingEngine:
    """What every engine does: encode a source once, detect keypoints and generate frames for batches of driving
    frames, and :meth:`animate` a stream of keypoint batches. :class:`TorchEngine` runs the PyTorch models;
    :class:`~fomm_hf.animation.exported.ExportedEngine` their exported graphs."""

    device: torch.device  # where inputs go and outputs come from
    dtype: torch.dtype  # the precision of the networks' inputs

    @property
    def precision(self) -> str:
        """What the networks run on and in: "float32", "bfloat16", ... (exported engines name their backend)."""
        return str(self.dtype).removeprefix("torch.")

    def encode_source(self, source: torch.Tensor) -> EncodedSource:
        """source: (1, 3, H, W) float in [0, 1]."""
        raise NotImplementedError

    def detect(self, frames: torch.Tensor) -> KeypointOutput:
        """Keypoints of a batch of frames (B, 3, H, W) float in [0, 1], on the engine's device."""
        raise NotImplementedError

    def generate(self, source: EncodedSource, kp_target: KeypointOutput) -> torch.Tensor:
        """The source moved to a batch of B target keypoints: frames (B, 3, H, W) float32 on the CPU."""
        raise NotImplementedError

    def move(self, source: EncodedSource, kp_driving: KeypointOutput, kp_initial: KeypointOutput,
             motion: MotionOptions = MotionOptions()) -> torch.Tensor:
        """The source moved by a batch of B driving keypoints, ``kp_initial`` being the driving pose that
        corresponds to the source's (relative motion): frames (B, 3, H, W) float32 on the CPU."""
        return self.generate(source, transfer_motion(source.keypoints, kp_driving, kp_initial, **asdict(motion)))

    def animate(
        self,
        source: EncodedSource,
        kp_driving: Iterable[KeypointOutput],
        motion: MotionOptions = MotionOptions(),
        kp_initial: Optional[KeypointOutput] = None,
    ) -> Iterator[torch.Tensor]:
        """Yields a batch of frames (B, 3, H, W) for each batch of driving keypoints (:meth:`move`); by default
        the first driving frame's pose corresponds to the source's."""
        for kp_batch in kp_driving:
            kp_initial = kp_batch.select(0) if kp_initial is None else kp_initial
            yield self.move(source, kp_batch, kp_initial, motion)


class TorchEngine(StreamingEngine):
    """The PyTorch engine: inference copies of a keypoint detector and a generator on one device, in one precision.

    Args:
        kp_detector, generator: the trained models (left untouched: the engine works on copies).
        device: where the copies run.
        dtype: the precision of their convolutions (float32, or bfloat16 / float16 for the fast mode).
    """

    def __init__(
        self,
        kp_detector: KeypointDetector,
        generator: OcclusionAwareGenerator,
        device: torch.device,
        dtype: torch.dtype = torch.float32,
    ):
        self.device = torch.device(device)
        self.dtype = dtype
        self.memory_format = torch.channels_last if self.device.type == "cpu" else torch.contiguous_format
        self.kp_detector = self._inference_copy(kp_detector)
        self.generator = self._inference_copy(generator)

    def _inference_copy(self, model: nn.Module) -> nn.Module:
        model = fuse_upsampling(fold_batchnorm(copy.deepcopy(model).eval()))
        # nn.Module.to, not ModelMixin.to, which warns about dtype casts meant for loading from the Hub.
        nn.Module.to(model, self.device, dtype=self.dtype, memory_format=self.memory_format)
        return model.requires_grad_(False)

    def _input(self, frames: torch.Tensor) -> torch.Tensor:
        return frames.to(self.device).contiguous(memory_format=self.memory_format)

    @torch.inference_mode()
    def encode_source(self, source: torch.Tensor) -> EncodedSource:
        """source: (1, 3, H, W) float in [0, 1]."""
        image = self._input(source)
        return EncodedSource(image=image, keypoints=self.kp_detector(image), features=self.generator.encode(image))

    @torch.inference_mode()
    def detect(self, frames: torch.Tensor) -> KeypointOutput:
        """Keypoints of a batch of frames (B, 3, H, W) float in [0, 1], on the engine's device."""
        return self.kp_detector(self._input(frames))

    @torch.inference_mode()
    def generate(self, source: EncodedSource, kp_target: KeypointOutput) -> torch.Tensor:
        """The source moved to a batch of B target keypoints: frames (B, 3, H, W) float32 on the CPU."""
        count = len(kp_target.value)
        output = self.generator(
            source.image.expand(count, -1, -1, -1),
            kp_driving=kp_target,
            kp_source=source.keypoints.expand(count),
            source_features=source.features.expand(count, -1, -1, -1),
            return_deformed_source=False,
        )
        return output.prediction.float().cpu().contiguous()
