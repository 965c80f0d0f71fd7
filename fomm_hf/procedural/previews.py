"""Pictures and videos to look at procedural clips: a grid of identities x frames, a tiled preview video."""

import numpy as np

from ..video import VideoWriter
from .drawn_categories import get_category


def sample_grid(
    category: str,
    num_identities: int = 4,
    frame_indices=(0, 8, 16, 24, 32),
    size: int = 128,
    split: str = "train",
    seed: int = 0,
) -> np.ndarray:
    """uint8 image (num_identities * size, len(frame_indices) * size, 3): one clip per row."""
    kind = get_category(category)
    rows = []
    for index in range(num_identities):
        identity, poses = kind.sample_clip(split, index, max(frame_indices) + 1, seed)
        frames, _ = kind.render(identity, [poses[t] for t in frame_indices], size)
        rows.append(np.concatenate(list(frames), axis=1))
    return np.concatenate(rows, axis=0)


def write_preview(path, clips, fps: float = 25.0) -> None:
    """Clips (each (T, H, W, 3) uint8, same shapes) side by side as one video (.mp4, .gif, .webm, ...)."""
    with VideoWriter(path, fps=fps) as writer:
        writer.write(np.concatenate(list(clips), axis=2))
