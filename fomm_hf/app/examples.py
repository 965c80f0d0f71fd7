"""The examples the app offers: every source image of a folder paired with each of its driving videos."""

from pathlib import Path
from typing import List

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi", ".gif")


def find_examples(folder) -> List[List[str]]:
    """[[source image, driving video], ...] from the files of ``folder``; none if it does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    files = sorted(file for file in folder.iterdir() if not file.name.startswith("."))
    images = [str(file) for file in files if file.suffix.lower() in IMAGE_SUFFIXES]
    videos = [str(file) for file in files if file.suffix.lower() in VIDEO_SUFFIXES]
    return [[image, video] for image in images for video in videos]
