"""Conversion of the original implementation's checkpoints (``*.pth.tar`` + yaml config) to this package.

The original state dicts differ from ours only by module names (see ``KEY_RENAMES``), by the old
spectral-norm hook (``weight_orig/weight_u/weight_v``, now a parametrization) and by the anti-aliasing
Gaussian kernels, which we derive from the config instead of storing (they are checked, not loaded).
Every key must be used, every model parameter must be filled and every shape must match; anything else
raises :class:`~fomm_hf.errors.CheckpointError` listing the offending keys.
"""

import re
from dataclasses import dataclass
from typing import Dict

import torch

from ..errors import CheckpointError
from ..models import KeypointDetector, ModelConfig, MultiScaleDiscriminator, OcclusionAwareGenerator

# (pattern, replacement) applied in order to each original key of a sub-model.
KEY_RENAMES = {
    "kp_detector": [
        (r"^predictor\.", "hourglass."),
        (r"^kp\.", "heatmap_head."),
        (r"^jacobian\.", "jacobian_head."),
    ],
    "generator": [
        (r"^dense_motion_network\.mask\.", "dense_motion.mask_head."),
        (r"^dense_motion_network\.occlusion\.", "dense_motion.occlusion_head."),
        (r"^dense_motion_network\.", "dense_motion."),
        (r"^first\.", "input_block."),
        (r"^bottleneck\.r(\d+)\.", r"bottleneck.\1."),
        (r"^final\.", "output_conv."),
    ],
    "discriminator": [
        (r"^discs\.([^.]+)\.conv\.", r"discs.\1.prediction_head."),
        (r"\.weight_orig$", ".parametrizations.weight.original"),
        (r"\.weight_u$", ".parametrizations.weight.0._u"),
        (r"\.weight_v$", ".parametrizations.weight.0._v"),
    ],
}

# Original buffers holding the anti-aliasing kernel, derived from the config here: checked, not loaded.
DERIVED_KERNELS = {
    "kp_detector": {"down.weight": "downsample.weight"},
    "generator": {"dense_motion_network.down.weight": "dense_motion.downsample.weight"},
    "discriminator": {},
}


def rename_key(part: str, key: str) -> str:
    for pattern, replacement in KEY_RENAMES[part]:
        key = re.sub(pattern, replacement, key)
    return key


def load_original_state_dict(model: torch.nn.Module, part: str, original: Dict[str, torch.Tensor]) -> None:
    """Loads an original sub-model state dict into ``model``, strictly."""
    expected = model.state_dict()
    buffers = dict(model.named_buffers())
    converted, problems = {}, []

    for key, tensor in original.items():
        if key in DERIVED_KERNELS[part]:
            ours = buffers.get(DERIVED_KERNELS[part][key])
            if ours is None or ours.shape != tensor.shape or not torch.allclose(ours, tensor.float(), atol=1e-6):
                problems.append(f"anti-aliasing kernel {key} does not match the config's scale_factor")
            continue
        new_key = rename_key(part, key)
        if new_key not in expected:
            problems.append(f"unexpected key {key}")
        elif expected[new_key].shape != tensor.shape:
            problems.append(
                f"shape mismatch for {key}: checkpoint {tuple(tensor.shape)}, config {tuple(expected[new_key].shape)}"
            )
        else:
            converted[new_key] = tensor
    problems += [f"missing key {key}" for key in expected if key not in converted]

    if problems:
        listing = "\n  ".join(problems[:20]) + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise CheckpointError(
            f"The {part} weights in this checkpoint do not fit the config (is it the config that came with "
            f"this checkpoint?):\n  {listing}"
        )
    model.load_state_dict(converted, strict=True)


def load_original_checkpoint(path) -> dict:
    """Reads a ``.pth.tar`` with ``weights_only=True``: tensors and plain containers, never arbitrary objects."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"Checkpoint file not found: {path}") from None
    except Exception as error:  # torch raises several types for corrupt files or pickled objects
        raise CheckpointError(
            f"Cannot read {path} as a PyTorch checkpoint of tensors (weights_only=True): {error}"
        ) from None
    if not isinstance(checkpoint, dict) or "kp_detector" not in checkpoint or "generator" not in checkpoint:
        raise CheckpointError(f"{path} is not an original FOMM checkpoint: it has no kp_detector/generator weights.")
    return checkpoint


@dataclass
class ConvertedCheckpoint:
    kp_detector: KeypointDetector
    generator: OcclusionAwareGenerator
    discriminator: MultiScaleDiscriminator  # None when the checkpoint has no discriminator weights
    image_size: int


def convert_original_checkpoint(config_path, checkpoint_path, align_corners: bool = True) -> ConvertedCheckpoint:
    """Builds our models from an original config and fills them with the original weights."""
    config = ModelConfig.from_yaml(config_path, align_corners=align_corners)
    checkpoint = load_original_checkpoint(checkpoint_path)
    kp_detector = config.build_kp_detector()
    generator = config.build_generator()
    discriminator = config.build_discriminator() if "discriminator" in checkpoint else None

    load_original_state_dict(kp_detector, "kp_detector", checkpoint["kp_detector"])
    load_original_state_dict(generator, "generator", checkpoint["generator"])
    if discriminator is not None:
        load_original_state_dict(discriminator, "discriminator", checkpoint["discriminator"])
    for model in (kp_detector, generator, discriminator):
        if model is not None:
            model.eval()
    return ConvertedCheckpoint(kp_detector, generator, discriminator, config.image_size)
