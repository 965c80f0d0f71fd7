"""A small dataset in the original layout for training tests: moving discs, as .png strips and folders."""

from pathlib import Path

import numpy as np
import PIL.Image


def moving_disc_clip(seed: int, num_frames: int, size: int) -> np.ndarray:
    """(T, size, size, 3) uint8: a coloured disc moving along a line on a coloured background."""
    rng = np.random.default_rng(seed)
    background, colour = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    start, end = rng.uniform(0.25, 0.75, 2) * size, rng.uniform(0.25, 0.75, 2) * size
    radius = rng.uniform(0.12, 0.25) * size
    yy, xx = np.mgrid[:size, :size] + 0.5
    frames = []
    for t in np.linspace(0, 1, num_frames):
        cx, cy = start + t * (end - start)
        inside = np.clip(radius - np.hypot(xx - cx, yy - cy) + 0.5, 0, 1)[..., None]  # antialiased edge
        frames.append((inside * colour + (1 - inside) * background).astype(np.uint8))
    return np.stack(frames)


def write_dataset(root, num_train: int = 6, num_test: int = 2, num_frames: int = 6, size: int = 64) -> Path:
    """root/train and root/test; even clips as horizontal .png strips, odd clips as folders of frames."""
    root = Path(root)
    for split, count, offset in (("train", num_train, 0), ("test", num_test, 1000)):
        (root / split).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            clip = moving_disc_clip(offset + index, num_frames, size)
            if index % 2 == 0:
                PIL.Image.fromarray(np.concatenate(list(clip), axis=1)).save(root / split / f"{index:03d}.png")
            else:
                folder = root / split / f"{index:03d}"
                folder.mkdir()
                for t, frame in enumerate(clip):
                    PIL.Image.fromarray(frame).save(folder / f"{t:04d}.png")
    return root
