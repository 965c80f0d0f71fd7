"""What a model animates: one vocabulary for the registry, procedural data, command-line flags and folders.

A category names the kind of subject a model was trained on. Framing finds that subject in pictures and videos,
the app shows the examples of ``examples/<category>/`` with the models of it, and ``fomm procedural-data``,
``fomm evaluate`` and ``fomm prepare-data`` take the same names. Spellings of earlier versions (in command
lines, saved pipelines and dataset records) are still read, as the name they stand for.
"""

from typing import Optional

from .errors import InvalidInputError

CATEGORIES = {
    "face": "real human faces, head and shoulders, front-facing",
    "cartoon-face": "the procedural cartoon faces of fomm_hf.procedural",
    "body": "whole human bodies, standing",
    "cartoon-animal": "cartoon animals and characters, as in animated GIFs",
    "robot-arm": "a robot arm pushing objects on a table, seen from above",
    "puppet": "the procedural articulated puppets of fomm_hf.procedural",
}
FACE_CATEGORIES = ("face", "cartoon-face")
DRAWN_CATEGORIES = ("cartoon-face", "puppet")  # what fomm_hf.procedural draws, with exact ground truth
# Earlier spellings: the registry's, with spaces, and fomm procedural-data's plural names.
FORMER_NAMES = {"cartoon face": "cartoon-face", "cartoon animal": "cartoon-animal", "robot arm": "robot-arm",
                "faces": "cartoon-face", "puppets": "puppet"}


def current_name(name: Optional[str]) -> Optional[str]:
    """Today's spelling of a category name read from a file (an unknown name is left as it is)."""
    return FORMER_NAMES.get(name, name)


def category_name(name: Optional[str]) -> Optional[str]:
    """The category ``name`` stands for (an earlier spelling becomes today's; None stays None); raises
    InvalidInputError for a name that is none."""
    if name is None:
        return None
    name = current_name(name)
    if name not in CATEGORIES:
        raise InvalidInputError(f"Unknown category {name!r}: it must be one of {', '.join(CATEGORIES)}.")
    return name


def category_argument(choices=tuple(CATEGORIES)):
    """An argparse ``type``: a category name among ``choices``, earlier spellings accepted (argparse's own
    ``choices`` would refuse them)."""
    import argparse

    def parse(text: str) -> str:
        if current_name(text) not in choices:
            raise argparse.ArgumentTypeError(f"must be one of {', '.join(choices)}; got {text!r}")
        return current_name(text)

    return parse
