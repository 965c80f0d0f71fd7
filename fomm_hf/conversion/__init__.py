"""Conversion of the original implementation's checkpoints to this package's models."""

from .original import ConvertedCheckpoint, convert_original_checkpoint

__all__ = ["ConvertedCheckpoint", "convert_original_checkpoint"]
