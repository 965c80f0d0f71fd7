from .geometry import inverse_2x2, keypoint_heatmaps, make_coordinate_grid
from .transfer import convex_hull_area, movement_scale, transfer_motion

__all__ = [
    "convex_hull_area",
    "inverse_2x2",
    "keypoint_heatmaps",
    "make_coordinate_grid",
    "movement_scale",
    "transfer_motion",
]
