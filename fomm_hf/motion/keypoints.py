"""Keypoints with their local first-order motion: what the keypoint detector predicts and motion transfer moves."""

from dataclasses import dataclass
from typing import Iterable, Optional

import torch
from diffusers.utils import BaseOutput


@dataclass
class KeypointOutput(BaseOutput):
    """Keypoints with their local first-order motion; readable as attributes (``kp.value``) and keys (``kp["value"]``).

    value: (B, K, 2) keypoint coordinates (x, y) in [-1, 1].
    jacobian: (B, K, 2, 2) Jacobian of the local affine transform at each keypoint, or None for the
        zero-order model (``estimate_jacobian=False``).
    """

    value: torch.Tensor
    jacobian: Optional[torch.Tensor] = None

    def select(self, index) -> "KeypointOutput":
        """The same keypoints restricted to some batch entries (an int keeps its batch dimension, a slice or an
        index tensor)."""
        if isinstance(index, int):
            index = slice(index, index + 1 or None)
        jacobian = None if self.jacobian is None else self.jacobian[index]
        return KeypointOutput(value=self.value[index], jacobian=jacobian)

    def expand(self, batch: int) -> "KeypointOutput":
        """Keypoints of batch 1 repeated ``batch`` times (a view, no copy)."""
        jacobian = None if self.jacobian is None else self.jacobian.expand(batch, -1, -1, -1)
        return KeypointOutput(value=self.value.expand(batch, -1, -1), jacobian=jacobian)

    def detach(self) -> "KeypointOutput":
        jacobian = None if self.jacobian is None else self.jacobian.detach()
        return KeypointOutput(value=self.value.detach(), jacobian=jacobian)

    @classmethod
    def concat(cls, parts: Iterable["KeypointOutput"]) -> "KeypointOutput":
        """The keypoints of several batches as one batch, in order."""
        parts = list(parts)
        jacobian = None if parts[0].jacobian is None else torch.cat([part.jacobian for part in parts])
        return cls(value=torch.cat([part.value for part in parts]), jacobian=jacobian)
