"""Rewrites of trained blocks for inference: the same function, computed with fewer passes and operations.

Both apply to eval-mode copies only (the animation engine's), never to models that train or are saved:

- :func:`fold_batchnorm` folds each BatchNorm that directly follows a convolution into that convolution;
- :func:`fuse_upsampling` turns each folded :class:`UpBlock2d` (2x nearest upsampling, then a 3x3 convolution)
  into one transposed convolution with a 4x4 kernel and stride 2. Each output pixel of the 3x3 convolution
  over the upsampled grid sees at most 2x2 distinct input pixels, so the transposed convolution does
  16/36 of the multiply-accumulates, and the upsampled activations are never materialised.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import skip_init
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .blocks import ResBlock2d, SameBlock2d, UpBlock2d

# Which taps of a 3x3 kernel over the 2x nearest-upsampled grid reach each of the 4 taps of the equivalent
# stride-2 transposed convolution (along one axis): tap u of the 4x4 kernel sums the 3x3 taps marked in row u.
UPSAMPLED_TAPS = torch.tensor([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=torch.float32)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Folds every eval-mode BatchNorm that directly follows a convolution into that convolution, in place.

    The BatchNorm before a residual block's first convolution stays: the residual path needs the
    un-normalised input.
    """
    for module in model.modules():
        if isinstance(module, SameBlock2d) and isinstance(module.norm, nn.BatchNorm2d):
            module.conv, module.norm = fuse_conv_bn_eval(module.conv, module.norm), nn.Identity()
        elif isinstance(module, ResBlock2d) and isinstance(module.norm2, nn.BatchNorm2d):
            module.conv1, module.norm2 = fuse_conv_bn_eval(module.conv1, module.norm2), nn.Identity()
    return model


class TransposedUpBlock2d(nn.Module):
    """A folded :class:`UpBlock2d` as one transposed convolution (4x4 kernel, stride 2) followed by ReLU."""

    def __init__(self, block: UpBlock2d):
        super().__init__()
        conv = block.conv
        if conv.kernel_size != (3, 3) or conv.padding != (1, 1) or not isinstance(block.norm, nn.Identity):
            raise ValueError("Only folded up-blocks with a 3x3 convolution (padding 1) can be fused.")
        taps = UPSAMPLED_TAPS.to(conv.weight.device, conv.weight.dtype)
        out_channels, in_channels = conv.weight.shape[:2]
        with torch.no_grad():  # kernel[o, i, u, v] = sum over r, s of taps[u, r] weight[o, i, r, s] taps[v, s]
            kernel = conv.weight.reshape(-1, 9) @ torch.kron(taps, taps).T
            kernel = kernel.reshape(out_channels, in_channels, 4, 4)
        self.upsample = skip_init(nn.ConvTranspose2d, conv.in_channels, conv.out_channels, kernel_size=4, stride=2,
                                  padding=1, device=conv.weight.device, dtype=conv.weight.dtype)
        with torch.no_grad():
            self.upsample.weight.copy_(kernel.transpose(0, 1))  # transposed convolutions take (C_in, C_out, ...)
            self.upsample.bias.copy_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.upsample(x), inplace=True)


def fuse_upsampling(model: nn.Module) -> nn.Module:
    """Replaces, in place, every folded :class:`UpBlock2d` by its :class:`TransposedUpBlock2d`."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, UpBlock2d) and isinstance(child.norm, nn.Identity):
                setattr(parent, name, TransposedUpBlock2d(child))
    return model
