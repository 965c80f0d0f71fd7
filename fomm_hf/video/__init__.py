"""Video input and output: streaming driving videos in, writing results (with the driving video's audio) out."""

from .reader import DrivingVideo, iter_batches, open_video
from .writer import OUTPUT_FORMATS, VideoWriter, check_output_path

__all__ = ["OUTPUT_FORMATS", "DrivingVideo", "VideoWriter", "check_output_path", "iter_batches", "open_video"]
