"""Pictures of training progress, one row per batch item, saved every ``image_every`` steps."""

from typing import Dict, Optional

import numpy as np
import torch

from ..visualization import draw_keypoints, to_uint8_image
from .objective import Generated


def training_row(
    source: torch.Tensor,
    driving: torch.Tensor,
    kp_source: torch.Tensor,
    kp_driving: torch.Tensor,
    deformed: torch.Tensor,
    occlusion: torch.Tensor,
    prediction: torch.Tensor,
    kp_size: Optional[int] = None,
) -> np.ndarray:
    """source with keypoints | driving with keypoints | deformed source | occlusion map | prediction.

    Images (3, H, W), occlusion (1, h, w) in [0, 1] (resized to H, W), keypoints (K, 2) -> (H, 5W, 3) uint8;
    ``kp_size``: the keypoints' radius in pixels (None: from the width).
    """
    size = source.shape[1:]
    occlusion = torch.nn.functional.interpolate(occlusion[None].float(), size=size, mode="bilinear")[0]
    occlusion = occlusion.expand(3, -1, -1)
    panels = [
        draw_keypoints(to_uint8_image(source), kp_source, radius=kp_size),
        draw_keypoints(to_uint8_image(driving), kp_driving, radius=kp_size),
        to_uint8_image(deformed),
        to_uint8_image(occlusion),
        to_uint8_image(prediction),
    ]
    return np.concatenate(panels, axis=1)


def training_picture(
    batch: Dict[str, torch.Tensor], generated: Generated, max_rows: int = 4, kp_size: Optional[int] = None
) -> np.ndarray:
    """:func:`training_row` of the first ``max_rows`` items of a batch, one under the other: (rows * H, 5W, 3)."""
    output = generated.output
    rows = []
    for i in range(min(max_rows, len(batch["source"]))):
        if output.occlusion_map is not None:
            occlusion = output.occlusion_map[i]
        else:  # a generator without occlusion estimation: everything visible
            occlusion = torch.ones_like(output.prediction[i][:1])
        rows.append(training_row(
            batch["source"][i], batch["driving"][i], generated.kp_source.value[i].float().cpu(),
            generated.kp_driving.value[i].float().cpu(), output.deformed_source[i], occlusion, output.prediction[i],
            kp_size=kp_size,
        ))
    return np.concatenate(rows, axis=0)
