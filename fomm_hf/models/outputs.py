"""Typed outputs of the models: readable as attributes (``out.value``) and as keys (``out["value"]``)."""

from dataclasses import dataclass
from typing import Optional

import torch
from diffusers.utils import BaseOutput


@dataclass
class KeypointOutput(BaseOutput):
    """Keypoints with their local first-order motion.

    value: (B, K, 2) keypoint coordinates (x, y) in [-1, 1].
    jacobian: (B, K, 2, 2) Jacobian of the local affine transform at each keypoint, or None for the
        zero-order model (``estimate_jacobian=False``).
    """

    value: torch.Tensor
    jacobian: Optional[torch.Tensor] = None

    def select(self, index) -> "KeypointOutput":
        """The same keypoints restricted to some batch entries (an int, slice or index tensor)."""
        if isinstance(index, int):
            index = slice(index, index + 1)
        jacobian = None if self.jacobian is None else self.jacobian[index]
        return KeypointOutput(value=self.value[index], jacobian=jacobian)


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
