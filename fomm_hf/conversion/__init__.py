from .export import push_folder_to_hub, save_converted
from .original import ConvertedCheckpoint, convert_original_checkpoint, read_original_config

__all__ = [
    "ConvertedCheckpoint",
    "convert_original_checkpoint",
    "push_folder_to_hub",
    "read_original_config",
    "save_converted",
]
