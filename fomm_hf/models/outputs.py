"""Typed outputs of the generator, its dense motion network and the discriminator: readable as attributes
(``out.prediction``) and as keys (``out["prediction"]``). Keypoints are :class:`fomm_hf.motion.KeypointOutput`."""

from dataclasses import dataclass
from typing import Dict, List, Optional

import torch
from diffusers.utils import BaseOutput


@dataclass
class DenseMotionOutput(BaseOutput):
    """Dense motion from the driving frame back to the source, at the dense-motion resolution (h, w).

    deformation: (B, h, w, 2) sampling grid for ``grid_sample`` on the source.
    mask: (B, K+1, h, w) softmax weights of the K local motions and the background (channel 0).
    sparse_deformed: (B, K+1, C, h, w) source image warped by each local motion.
    occlusion_map: (B, 1, h, w) in [0, 1], or None when the model does not estimate occlusion.
    """

    deformation: torch.Tensor
    mask: torch.Tensor
    sparse_deformed: torch.Tensor
    occlusion_map: Optional[torch.Tensor] = None


@dataclass
class GeneratorOutput(BaseOutput):
    """Animated frame and the intermediate quantities that explain it.

    prediction: (B, C, H, W) generated frame in [0, 1].
    deformed_source: (B, C, H, W) source image warped by the dense motion alone.
    deformation, mask, sparse_deformed, occlusion_map: as in :class:`DenseMotionOutput`.
    """

    prediction: torch.Tensor
    deformed_source: Optional[torch.Tensor] = None
    deformation: Optional[torch.Tensor] = None
    mask: Optional[torch.Tensor] = None
    sparse_deformed: Optional[torch.Tensor] = None
    occlusion_map: Optional[torch.Tensor] = None


@dataclass
class DiscriminatorOutput(BaseOutput):
    """Per scale (keyed by ``str(scale)``): the list of intermediate feature maps (for feature matching)
    and the patch prediction map (B, 1, h, w)."""

    feature_maps: Dict[str, List[torch.Tensor]]
    prediction_maps: Optional[Dict[str, torch.Tensor]] = None  # optional only so that BaseOutput can rebuild it
