"""dlib's face embedding network in PyTorch, with the weights of dlib's own file.

dlib runs the network (dlib_face_recognition_resnet_model_v1, the network of dlib's ``dnn_face_recognition_ex.cpp``)
one face at a time on one core, holding Python's GIL, so threads cannot share the work; :class:`EmbeddingNetwork`
runs the same network in PyTorch, in batches on every core: the same embeddings (tests/test_face_metrics.py checks
them against dlib's), much faster (docs/metrics.md).
"""

import re
from pathlib import Path
from typing import List, Optional

import numpy as np

from ..errors import CheckpointError

EMBEDDING_SIZE = 128
# The names of the layers with weights, as dlib writes a string: its length as an integer, then its bytes.
DLIB_LAYER = re.compile(rb"\x01(\x05con_4|\x07affine_|\x04fc_2)")
NUM_CONVOLUTIONS = 29


class EmbeddingNetwork:
    """dlib's face embedding network in PyTorch, with the weights of dlib's file: a 7x7 stride-2 convolution and
    3x3 stride-2 max pooling, 14 residual blocks of two 3x3 convolutions (32, 32, 32, 64 ... 256 filters; the first
    convolution of blocks 4, 8, 11 and 14 has stride 2 and no padding, and their shortcut is 2x2 average pooling;
    the sum takes the larger of both shapes, zero-padded, as dlib's add_prev), the mean over space and a 256 -> 128
    linear map. Each convolution is followed by dlib's affine layer (a per-channel scale and shift)."""

    MEAN_RGB = (122.782, 117.001, 104.298)  # dlib's input_rgb_image_sized: (pixel - mean) / 256

    def __init__(self, convolutions: List[tuple], linear):
        self.convolutions = convolutions  # (weight, bias, stride, padding, scale, shift) per convolution, in order
        self.linear = linear  # (256, 128)

    @classmethod
    def from_dlib(cls, path: Path) -> "EmbeddingNetwork":
        import torch

        convolutions, linear = read_dlib_network(Path(path))
        as_tensors = [tuple(torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in layer)
                      for layer in convolutions]
        return cls(as_tensors, torch.from_numpy(linear))

    def __call__(self, chips: np.ndarray) -> np.ndarray:
        """Embeddings (N, 128) float32 of aligned face chips uint8 (N, 150, 150, 3)."""
        import torch
        import torch.nn.functional as F

        with torch.inference_mode():
            x = torch.from_numpy(chips).permute(0, 3, 1, 2).float()
            x = (x - torch.tensor(self.MEAN_RGB)[:, None, None]) / 256  # (N, 3, 150, 150)
            x = F.max_pool2d(self.convolve(x, 0), 3, 2)  # (N, 32, 35, 35)
            for first in range(1, len(self.convolutions), 2):  # the residual blocks
                shortcut = x if self.convolutions[first][2] == 1 else F.avg_pool2d(x, 2, 2)
                y = self.convolve(self.convolve(x, first), first + 1, relu=False)
                shape = [max(a, b) for a, b in zip(y.shape[1:], shortcut.shape[1:])]
                x = F.relu(pad_to(y, shape) + pad_to(shortcut, shape))
            return (x.mean(dim=(2, 3)) @ self.linear).numpy()  # (N, 256, 2, 2) -> (N, 256) -> (N, 128)

    def convolve(self, x, index: int, relu: bool = True):
        import torch.nn.functional as F

        weight, bias, stride, padding, scale, shift = self.convolutions[index]
        x = F.conv2d(x, weight, bias, stride, padding) * scale[:, None, None] + shift[:, None, None]
        return F.relu(x) if relu else x


def pad_to(x, shape: List[int]):
    """(N, C, H, W) zero-padded at the end of each of C, H, W to ``shape``."""
    import torch.nn.functional as F

    return F.pad(x, (0, shape[2] - x.shape[3], 0, shape[1] - x.shape[2], 0, shape[0] - x.shape[1]))


class DlibReader:
    """A cursor over dlib's serialisation: an integer is a byte (its length, plus 0x80 if negative) then its
    little-endian bytes; a tensor its version and four dimensions, then little-endian float32 values."""

    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def integer(self) -> int:
        head = self.data[self.offset]
        value = int.from_bytes(self.data[self.offset + 1 : self.offset + 1 + (head & 0x0F)], "little")
        self.offset += 1 + (head & 0x0F)
        return -value if head & 0x80 else value

    def tensor(self) -> np.ndarray:
        count = int(np.prod([self.integer() for _ in range(5)][1:]))  # version, then num_samples, k, nr, nc
        values = np.frombuffer(self.data, "<f4", count, self.offset).copy()
        self.offset += 4 * count
        return values

    def next_layer(self) -> Optional[bytes]:
        """The name of the next layer with weights, the cursor after it; None at the end."""
        match = DLIB_LAYER.search(self.data, self.offset)
        if match is None:
            return None
        self.offset = match.end()
        return match.group(1)[1:]


def read_dlib_network(path: Path):
    """The weights of dlib's face embedding network, in file order (input first): per convolution (filters
    (N, C, H, W), biases (N,), stride, padding, then its affine layer's scale (N,) and shift (N,)), and the linear
    map (256, 128)."""
    reader = DlibReader(path.read_bytes())
    convolutions, linear, channels = [], None, 3
    while (name := reader.next_layer()) is not None:
        if name == b"con_4":
            values = reader.tensor()
            filters, rows, columns, stride, _, padding, _ = (reader.integer() for _ in range(7))
            size = filters * channels * rows * columns
            if len(values) != size + filters:
                break
            convolutions.append([values[:size].reshape(filters, channels, rows, columns), values[size:], stride,
                                 padding])
            channels = filters
        elif name == b"affine_" and convolutions:
            values = reader.tensor()
            convolutions[-1] += [values[: len(values) // 2], values[len(values) // 2 :]]
        elif name == b"fc_2":
            outputs, inputs = reader.integer(), reader.integer()
            linear = reader.tensor().reshape(inputs, outputs)
    if len(convolutions) != NUM_CONVOLUTIONS or any(len(layer) != 6 for layer in convolutions) or \
            linear is None or linear.shape != (channels, EMBEDDING_SIZE):
        raise CheckpointError(f"{path} is not dlib's face embedding network as fomm_hf reads it (29 convolutions, "
                              "each with an affine layer, and a 256 x 128 linear map).")
    return convolutions, linear
