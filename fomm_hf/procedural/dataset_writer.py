"""Writing procedural clips to disk in the original FOMM layout, losslessly, with their ground truth.

Layout (``layout="strip"``, the default; ``"frames"`` writes a folder of frames per clip instead)::

    root/metadata.json        category, sizes, seed, landmark names and units
    root/train/00000.png      the clip's frames side by side: (size, num_frames * size, 3)
    root/train/00000.json     seeds, identity, poses (one list per pose field) and landmarks (T, L, 2)
    root/test/...             the same for the test clips

With ``layout="frames"``, ``root/train/00000/0000.png ...`` replace ``root/train/00000.png``.
The same arguments always write the same bytes.
"""

import json
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import PIL.Image

from ..errors import InvalidInputError
from ..option_values import check_whole_number
from .drawn_categories import MIN_SIZE, clip_seeds, get_category

LAYOUTS = ("strip", "frames")
LANDMARK_DECIMALS, POSE_DECIMALS = 4, 6  # rounding in the .json files, which keeps them short


def write_dataset(
    root,
    category: str = "cartoon-face",
    num_train: int = 200,
    num_test: int = 20,
    num_frames: int = 64,
    size: int = 128,
    seed: int = 0,
    layout: str = "strip",
) -> dict:
    """Renders ``num_train`` + ``num_test`` clips of ``category`` into ``root/train`` and ``root/test``.

    Clip i of a split is ``get_category(category).sample_clip(split, i, num_frames, seed)`` rendered at
    ``size``. Returns the content of ``root/metadata.json``.
    """
    kind = get_category(category)
    if layout not in LAYOUTS:
        raise InvalidInputError(f"layout must be one of {', '.join(LAYOUTS)}; got {layout!r}.")
    for name, value, minimum in (
        ("num_train", num_train, 0),
        ("num_test", num_test, 0),
        ("seed", seed, 0),
        ("num_frames", num_frames, 1),
        ("size", size, MIN_SIZE),
    ):
        check_whole_number(name, value, minimum)
    root = Path(root)
    for split in ("train", "test"):
        if (root / split).is_dir() and any((root / split).iterdir()):
            raise InvalidInputError(f"{root / split} is not empty: write the dataset to a new folder.")

    metadata = {
        "category": kind.name,
        "num_frames": num_frames,
        "size": size,
        "seed": seed,
        "layout": layout,
        "splits": {"train": num_train, "test": num_test},
        "landmark_names": list(kind.landmark_names),
        "landmark_units": "pixels, x right and y down from the top-left corner of the image",
    }
    for split, count in (("train", num_train), ("test", num_test)):
        (root / split).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            identity, poses = kind.sample_clip(split, index, num_frames, seed)
            frames, landmarks = kind.render(identity, poses, size)
            name = f"{index:05d}"
            write_frames(root / split / name, frames, layout)
            identity_seed, motion_seed = clip_seeds(kind.seed_name, split, index, seed)
            record = {
                "split": split,
                "index": index,
                "identity_seed": identity_seed,
                "motion_seed": motion_seed,
                "identity": asdict(identity),
                "poses": pose_columns(poses),
                "landmarks": np.round(landmarks, LANDMARK_DECIMALS).tolist(),
            }
            write_json(root / split / f"{name}.json", record)
    write_json(root / "metadata.json", metadata)
    return metadata


def write_frames(path: Path, frames: np.ndarray, layout: str) -> None:
    """Frames (T, H, W, 3) uint8 as ``path.png`` (side by side) or as ``path/0000.png ...``."""
    if layout == "strip":
        PIL.Image.fromarray(np.concatenate(list(frames), axis=1)).save(path.with_suffix(".png"))
        return
    path.mkdir()
    for t, frame in enumerate(frames):
        PIL.Image.fromarray(frame).save(path / f"{t:04d}.png")


def pose_columns(poses) -> dict:
    """{field: [value per frame]} for a list of pose dataclasses."""
    return {f.name: [round(getattr(pose, f.name), POSE_DECIMALS) for pose in poses] for f in fields(poses[0])}


def write_json(path: Path, content: dict) -> None:
    path.write_text(json.dumps(content, sort_keys=True, separators=(",", ":")) + "\n")
