"""The examples the app offers, per category of model.

``examples/<category>/`` (``examples/face/``, ``examples/cartoon-face/``) holds source images and driving videos
of the kind of object that category's models animate; each image is paired with each video of its folder.
"""

from pathlib import Path
from typing import Dict, List

from ..categories import CATEGORIES
from ..images import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS


def find_examples(folder) -> Dict[str, List[List[str]]]:
    """{category: [[source image, driving video], ...]} from the subfolders of ``folder`` named after categories."""
    examples = {}
    for category in CATEGORIES:
        if pairs := example_pairs(Path(folder) / category):
            examples[category] = pairs
    return examples


def example_pairs(folder: Path) -> List[List[str]]:
    """[[source image, driving video], ...] from the files of ``folder``; none if it does not exist."""
    if not folder.is_dir():
        return []
    files = sorted(file for file in folder.iterdir() if not file.name.startswith("."))
    images = [str(file) for file in files if file.suffix.lower() in IMAGE_EXTENSIONS]
    videos = [str(file) for file in files if file.suffix.lower() in (*VIDEO_EXTENSIONS, ".gif")]
    return [[image, video] for image in images for video in videos]
