from .original import ConvertedCheckpoint, convert_original_checkpoint, read_original_config

__all__ = ["ConvertedCheckpoint", "convert_original_checkpoint", "read_original_config"]
