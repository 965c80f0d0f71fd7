"""Finding subjects that are not faces (bodies, cartoon animals, a robot arm): zero-shot detection with OWLv2.

OWLv2 (``transformers``' ``Owlv2ForObjectDetection``) finds the boxes of objects named in a text prompt. Its
checkpoint, ``google/owlv2-base-patch16-ensemble`` (Apache-2.0), is fetched from the Hub on first use and kept in
the Hub cache; ``$FOMM_ZERO_SHOT_CHECKPOINT`` names another OWLv2 checkpoint (a repo id or a folder). The
pictures are prepared here as OWLv2 was trained (padded to a square with grey at the right and bottom, resized,
normalised with CLIP's statistics), with torch, so that neither torchvision nor scipy is needed; they are looked
at in 480x480 rather than OWLv2's 960x960 (its position embeddings interpolated), which is enough for subjects
that fill much of the picture, and leaves a quarter of the patches to look at: several times faster on a CPU
(docs/performance.md gives the figures).
"""

import os
import threading
from typing import List, Optional

import numpy as np
import torch

from .squares import Box, Detection

CHECKPOINT_ENV_VAR = "FOMM_ZERO_SHOT_CHECKPOINT"
DEFAULT_CHECKPOINT = "google/owlv2-base-patch16-ensemble"
SCORE_THRESHOLD = 0.2
INPUT_SIDE = 480  # pixels: pictures are looked at in this size (OWLv2's own is 960)


def zero_shot_checkpoint() -> str:
    return os.environ.get(CHECKPOINT_ENV_VAR) or DEFAULT_CHECKPOINT


class ZeroShotDetector:
    """The objects that ``prompt`` names in a picture, with an OWLv2 checkpoint; loading raises OSError where the
    checkpoint is neither a folder nor in the Hub cache and cannot be downloaded."""

    detections_per_second = 0.25  # each takes seconds on a CPU (docs/performance.md): the video is sampled sparsely

    def __init__(self, prompt: str, checkpoint: Optional[str] = None):
        from transformers import AutoTokenizer, Owlv2ForObjectDetection
        from transformers.utils.constants import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD

        self.prompt = prompt
        self.checkpoint = checkpoint or zero_shot_checkpoint()
        self.model = Owlv2ForObjectDetection.from_pretrained(self.checkpoint).eval()
        self.text = AutoTokenizer.from_pretrained(self.checkpoint)([prompt], padding="max_length", return_tensors="pt")
        self.side = min(INPUT_SIDE, self.model.config.vision_config.image_size)
        self.interpolate = self.side != self.model.config.vision_config.image_size
        self.mean = torch.tensor(OPENAI_CLIP_MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(OPENAI_CLIP_STD).view(1, 3, 1, 1)
        self._lock = threading.Lock()

    def pixel_values(self, image: np.ndarray) -> torch.Tensor:
        """(1, 3, side, side): the picture padded to a square (grey at the right and bottom), resized, normalised."""
        height, width = image.shape[:2]
        square = torch.full((1, 3, max(height, width), max(height, width)), 0.5)
        square[:, :, :height, :width] = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None] / 255
        resized = torch.nn.functional.interpolate(square, size=(self.side, self.side), mode="bilinear", antialias=True)
        return (resized - self.mean) / self.std

    @torch.no_grad()
    def __call__(self, image: np.ndarray, near: Optional[Detection] = None) -> List[Detection]:
        """The objects found in an RGB picture (H, W, 3) uint8, largest first (``near`` is not used)."""
        with self._lock:
            outputs = self.model(
                **self.text, pixel_values=self.pixel_values(image), interpolate_pos_encoding=self.interpolate
            )
        scores = outputs.logits[0].max(dim=-1).values.sigmoid()  # (patches,)
        keep = scores > SCORE_THRESHOLD
        side = max(image.shape[:2])
        detections = []
        for (centre_x, centre_y, width, height), score in zip(outputs.pred_boxes[0][keep].tolist(), scores[keep]):
            box = Box(centre_x - width / 2, centre_y - height / 2, centre_x + width / 2, centre_y + height / 2)
            detections.append(Detection(box.scaled(side), float(score)))
        return sorted(suppress_overlaps(detections), key=lambda detection: -detection.box.area)


def suppress_overlaps(detections: list, overlap: float = 0.3) -> list:
    """The most confident of the detections that overlap (intersection over union above ``overlap``)."""
    kept = []
    for detection in sorted(detections, key=lambda detection: -detection.score):
        if all(detection.box.iou(other.box) <= overlap for other in kept):
            kept.append(detection)
    return kept
