"""Training pairs rendered on the fly from procedural clips, without files."""

import zlib

import numpy as np
import torch
from torch.utils.data import Dataset

from .categories import MIN_SIZE, check_integer, get_category


class ProceduralVideoDataset(Dataset):
    """Item i: two frames of procedural clip i, as the training items of ``FramesDataset``.

    Returns {"source", "driving"}: float tensors (3, size, size) in [0, 1], the earlier frame first;
    "video": the clip index; "frames": the two frame indices, (2,) int64; "source_landmarks",
    "driving_landmarks": (L, 2) float32 in pixels.

    Clip i is the clip that ``write_dataset`` writes as video i of ``split`` with the same category,
    number of frames, size and seed. With ``num_repeats`` > 1, each clip gives that many items per epoch.
    The frames drawn depend on (seed, split, item, epoch) only, so that any worker order gives the same
    pairs; call ``set_epoch`` at each epoch for new pairs.
    """

    def __init__(
        self,
        category: str = "faces",
        num_videos: int = 200,
        num_frames: int = 64,
        size: int = 128,
        split: str = "train",
        seed: int = 0,
        num_repeats: int = 1,
    ):
        self.category = get_category(category)
        for name, value in (("num_videos", num_videos), ("num_frames", num_frames), ("num_repeats", num_repeats)):
            check_integer(name, value, minimum=1)
        check_integer("seed", seed, minimum=0)
        check_integer("size", size, minimum=MIN_SIZE)
        self.num_videos, self.num_frames, self.size = num_videos, num_frames, size
        self.split, self.seed, self.num_repeats = split, seed, num_repeats
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_videos * self.num_repeats

    def __getitem__(self, item: int) -> dict:
        if not 0 <= item < len(self):
            raise IndexError(f"item {item} is out of range for {len(self)} items")
        video = item % self.num_videos
        identity, poses = self.category.sample_clip(self.split, video, self.num_frames, self.seed)
        rng = np.random.default_rng([self.seed, zlib.crc32(self.split.encode()), item, self.epoch])
        chosen = np.sort(rng.integers(0, self.num_frames, size=2))  # with replacement, as the original
        frames, landmarks = self.category.render(identity, [poses[t] for t in chosen], self.size)
        images = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
        landmarks = torch.from_numpy(landmarks).float()
        return {
            "source": images[0],
            "driving": images[1],
            "video": video,
            "frames": torch.from_numpy(chosen),
            "source_landmarks": landmarks[0],
            "driving_landmarks": landmarks[1],
        }
