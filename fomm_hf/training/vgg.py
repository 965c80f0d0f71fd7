"""VGG19 features for the perceptual loss (paper Sec. 3.3), without torchvision.

The layer stack is torchvision's ``vgg19().features`` (16 convolutions, ReLUs and 5 max-pools, indexed
0..36 as there), so ImageNet weights load from any checkpoint of that layout. The Hub repository
``timm/vgg19.tv_in1k`` holds torchvision's VGG19 ImageNet weights as ``model.safetensors``; its keys
``features.{i}.weight`` / ``features.{i}.bias`` (i = 0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
map one to one onto this module; its classifier keys (``pre_logits.*``, ``head.*``) are not read.
"""

import os
from pathlib import Path
from typing import List

import torch
from safetensors import SafetensorError, safe_open
from torch import nn

from ..errors import CheckpointError
from ..model_store.hub_access import hub_is_reachable
from .arguments import DEFAULT_VGG19_REPO

# Output channels of the 16 convolutions, "M" for 2x2 max-pooling (torchvision's configuration "E").
VGG19_LAYOUT = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
# Indices in ``features`` after which relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1 are read.
FEATURE_LAYERS = (1, 6, 11, 20, 29)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Vgg19Features(nn.Module):
    """relu1_1 .. relu5_1 activations of VGG19 for images in [0, 1] (normalised with ImageNet statistics).

    The layers after relu5_1 are part of the stack (so that checkpoints load strictly) but never run.
    """

    def __init__(self):
        super().__init__()
        layers, channels = [], 3
        for item in VGG19_LAYOUT:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(channels, item, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                channels = item
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> List[torch.Tensor]:
        x = (images - self.mean) / self.std
        outputs = []
        for index, layer in enumerate(self.features[: FEATURE_LAYERS[-1] + 1]):
            x = layer(x)
            if index in FEATURE_LAYERS:
                outputs.append(x)
        return outputs

    def load_feature_weights(self, path) -> "Vgg19Features":
        """Loads ``features.*`` tensors from a safetensors file (torchvision / timm VGG19 layout)."""
        expected = self.features.state_dict()
        try:
            weights = safe_open(str(path), framework="pt")
        except (SafetensorError, OSError):
            raise CheckpointError(f"{path} is not a safetensors file: VGG19 weights are needed.") from None
        with weights:
            available = {key for key in weights.keys() if key.startswith("features.")}
            missing = sorted(f"features.{key}" for key in expected if f"features.{key}" not in available)
            if missing:
                raise CheckpointError(f"{path} is not a VGG19 checkpoint: it lacks {', '.join(missing[:4])}...")
            state = {key: weights.get_tensor(f"features.{key}") for key in expected}
        for key, tensor in state.items():
            if tensor.shape != expected[key].shape:
                raise CheckpointError(f"{path}: features.{key} has shape {tuple(tensor.shape)}, VGG19 needs "
                                      f"{tuple(expected[key].shape)}.")
        self.features.load_state_dict(state)
        return self


def load_vgg19(weights: str = DEFAULT_VGG19_REPO) -> Vgg19Features:
    """VGG19 with ImageNet weights from a safetensors file path or a Hub repository holding model.safetensors
    (from the Hub cache if it is there; downloaded otherwise, unless the Hub cannot be reached)."""
    if os.path.isfile(weights):
        return Vgg19Features().load_feature_weights(weights)
    if weights.endswith(".safetensors") or weights.startswith(("/", ".", "~")):
        raise CheckpointError(f"The VGG19 weights file {weights} does not exist.")
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        try:
            path = hf_hub_download(weights, "model.safetensors", local_files_only=True)
        except LocalEntryNotFoundError:
            if not constants.HF_HUB_OFFLINE and not hub_is_reachable():
                raise ConnectionError(f"cannot reach the Hub at {constants.ENDPOINT}") from None
            path = hf_hub_download(weights, "model.safetensors")
    except Exception as error:  # offline, unknown repo, no such file: all mean "no weights here"
        reason = str(error) if isinstance(error, ConnectionError) else type(error).__name__
        raise CheckpointError(
            f"VGG19 ImageNet weights are not available from {weights!r} ({reason}). The perceptual loss needs "
            f"them: download {DEFAULT_VGG19_REPO}/model.safetensors and pass its path with --vgg-weights, or, for "
            "tests only, run with --perceptual-backbone random (an untrained VGG19)."
        ) from None
    return Vgg19Features().load_feature_weights(Path(path))
