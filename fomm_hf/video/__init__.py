"""Video input and output: streaming driving videos in, preparing their frames, writing results with audio."""

from .frames import fit_square, prepare_video_frames
from .reader import DrivingVideo, iter_batches, open_video
from .writer import VideoWriter

__all__ = ["DrivingVideo", "VideoWriter", "fit_square", "iter_batches", "open_video", "prepare_video_frames"]
