"""Video datasets in the original layout: ``root/train/`` and ``root/test/``, one entry per video.

An entry is a video file (.mp4, .gif, .mov, ...), a folder of frames, or a horizontal strip image (.png,
.jpg) of frames side by side. With ``id_sampling``, entries are named ``ID#chunk.ext`` and training samples
an identity first, then one of its chunks, so that identities with many chunks do not dominate.
"""

import itertools
import json
import random
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import PIL.Image
import torch
from torch.utils.data import Dataset

from ..categories import current_name
from ..errors import InvalidInputError
from ..images import read_image, resize
from ..video import open_video
from .augmentation import ClipAugmentation
from .training_config import AugmentationParams

VIDEO_EXTENSIONS = (".mp4", ".gif", ".mov", ".webm", ".avi", ".mkv")
STRIP_EXTENSIONS = (".png", ".jpg", ".jpeg")
FRAME_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def prepared_clip_size(root) -> Optional[int]:
    """The side of the clips of a dataset made by ``fomm prepare-data`` (its preparation.json), else None."""
    try:
        return int(json.loads((Path(root) / "preparation.json").read_text())["settings"]["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def dataset_category(root) -> Optional[str]:
    """The category of the subject of the dataset at ``root`` where its maker recorded it: ``fomm
    prepare-data``'s preparation.json, or ``fomm procedural-data``'s metadata.json; else None."""
    root = Path(root)
    for record, read in (("preparation.json", lambda data: data["settings"]["category"]),
                         ("metadata.json", lambda data: data["category"])):
        try:
            return current_name(read(json.loads((root / record).read_text())))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def list_frames(folder: Path) -> list:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_EXTENSIONS)


def decode_frames(path: Path, frame_shape, frame_indices=None) -> np.ndarray:
    """Frames of a dataset entry as stored, (T, H, W, 3) uint8.

    ``frame_indices`` selects frames (in the given order); None keeps all. For folders only the selected
    frames are read, and a video file is decoded up to the last of them.
    """
    if path.is_dir():
        files = list_frames(path)
        chosen = files if frame_indices is None else [files[i] for i in frame_indices]
        return np.stack([read_image(f) for f in chosen])
    if path.suffix.lower() in STRIP_EXTENSIONS:
        strip = read_image(path)  # (H, T * W, 3): frames side by side
        frames = strip.reshape(strip.shape[0], -1, frame_shape[1], 3).transpose(1, 0, 2, 3)
        return frames if frame_indices is None else frames[list(frame_indices)]
    with open_video(path) as video:
        if frame_indices is None:
            return np.stack(list(video.frames()))
        decoded = list(itertools.islice(video.frames(), max(frame_indices) + 1))
    if len(decoded) <= max(frame_indices):
        raise InvalidInputError(f"{path} has fewer than {max(frame_indices) + 1} frames.")
    return np.stack([decoded[i] for i in frame_indices])


def to_clip(frames: np.ndarray, frame_shape) -> torch.Tensor:
    """(T, H, W, 3) uint8 frames -> float tensor (T, 3, H, W) in [0, 1], resized to ``frame_shape``."""
    clip = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255
    return resize(clip, tuple(frame_shape[:2]))


def read_clip(path: Path, frame_shape, frame_indices=None) -> torch.Tensor:
    """Frames of a dataset entry as a float tensor (T, 3, H, W) in [0, 1], resized to ``frame_shape``."""
    return to_clip(decode_frames(path, frame_shape, frame_indices), frame_shape)


def count_frames(path: Path, frame_shape) -> int:
    if path.is_dir():
        return len(list_frames(path))
    if path.suffix.lower() in STRIP_EXTENSIONS:
        with PIL.Image.open(path) as image:
            return image.width // frame_shape[1]
    with open_video(path) as video:
        return sum(1 for _ in video.frames())


def is_entry(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in VIDEO_EXTENSIONS + STRIP_EXTENSIONS


class FramesDataset(Dataset):
    """Training items: {"source", "driving"}: two random frames (3, H, W) of one video, augmented together.
    Test items: {"video": (T, 3, H, W), "name"}."""

    def __init__(
        self,
        root_dir,
        frame_shape: Tuple[int, int, int],
        is_train: bool = True,
        id_sampling: bool = False,
        augmentation: Optional[AugmentationParams] = None,
        num_repeats: int = 1,
        cache_frames: bool = False,
    ):
        """``root_dir`` holds train/ and test/; ``frame_shape`` is (height, width, 3). ``id_sampling``,
        ``augmentation`` (None: none), ``num_repeats`` (items per video and epoch) and ``cache_frames`` apply to
        training only."""
        root = Path(root_dir)
        if not (root / "train").is_dir() or not (root / "test").is_dir():
            raise InvalidInputError(f"{root} must contain train/ and test/ folders of videos (the original layout; "
                                    "fomm prepare-data makes it from raw videos).")
        self.root = root / ("train" if is_train else "test")
        self.entries = sorted(p for p in self.root.iterdir() if is_entry(p))
        if not self.entries:
            raise InvalidInputError(f"{self.root} holds no videos (.mp4/.gif/.mov, folders of frames or .png strips).")
        self.frame_shape = tuple(frame_shape)
        self.is_train = is_train
        self.id_sampling = id_sampling and is_train
        self.num_repeats = num_repeats if is_train else 1
        self.augmentation = ClipAugmentation(augmentation) if is_train and augmentation is not None else None
        # Every training entry decoded once and kept (in each data-loading process): for small datasets, where
        # decoding a whole video for two of its frames costs a noticeable part of a training step.
        self.cached_frames = {} if cache_frames and is_train else None
        self.frame_counts = {}  # path -> number of frames, counted once (a video file is decoded to count them)
        if self.id_sampling:
            self.ids = sorted({p.name.split("#")[0] for p in self.entries})
            self.chunks = {i: [p for p in self.entries if p.name.split("#")[0] == i] for i in self.ids}

    def __len__(self) -> int:
        return self.num_repeats * (len(self.ids) if self.id_sampling else len(self.entries))

    def __getitem__(self, index: int) -> dict:
        if not self.is_train:
            path = self.entries[index]
            return {"video": read_clip(path, self.frame_shape), "name": path.name}

        index %= len(self.ids) if self.id_sampling else len(self.entries)
        path = random.choice(self.chunks[self.ids[index]]) if self.id_sampling else self.entries[index]
        clip = to_clip(self.pick_frames(path), self.frame_shape)  # (2, 3, H, W)
        if self.augmentation is not None:
            clip = self.augmentation(clip)
        return {"source": clip[0], "driving": clip[1]}

    def pick_frames(self, path: Path) -> np.ndarray:
        """Two random frames of an entry (with replacement, as the original) in time order, (2, H, W, 3) uint8."""
        if self.cached_frames is None:
            if path not in self.frame_counts:
                self.frame_counts[path] = count_frames(path, self.frame_shape)
            frame_indices = sorted(random.choices(range(self.frame_counts[path]), k=2))
            return decode_frames(path, self.frame_shape, frame_indices)
        if path not in self.cached_frames:
            self.cached_frames[path] = decode_frames(path, self.frame_shape)
        frames = self.cached_frames[path]
        return frames[sorted(random.choices(range(len(frames)), k=2))]
