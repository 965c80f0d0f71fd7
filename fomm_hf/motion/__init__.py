"""Keypoints and their geometry, and how driving motion is transferred to the source."""

from .geometry import convex_hull_area, inverse_2x2, keypoint_heatmaps, make_coordinate_grid
from .keypoints import KeypointOutput
from .transfer import MotionOptions, best_matching_frame, closest_pose, movement_scale, transfer_motion

__all__ = [
    "KeypointOutput",
    "MotionOptions",
    "best_matching_frame",
    "closest_pose",
    "convex_hull_area",
    "inverse_2x2",
    "keypoint_heatmaps",
    "make_coordinate_grid",
    "movement_scale",
    "transfer_motion",
]
