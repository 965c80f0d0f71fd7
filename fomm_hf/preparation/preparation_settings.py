"""The settings of ``fomm prepare-data``, with their defaults (cheap to import: the command line shows them)."""

from dataclasses import dataclass
from typing import Optional

from ..categories import category_name
from ..errors import InvalidInputError
from ..option_values import check_range

CLIP_FORMATS = ("png", "jpg", "mp4")  # a folder of .png or .jpg frames per clip, or an .mp4 file


@dataclass(frozen=True)
class PreparationSettings:
    """What ``fomm prepare-data`` keeps, and how it writes it."""

    category: str = "face"  # the subject to find (fomm_hf.categories)
    size: int = 256  # side of the clips' frames, in pixels
    clip_format: str = "jpg"  # jpg / png: a folder of frames per clip (quality 95 / lossless); mp4: one H.264 file
    min_frames: int = 64  # shorter tubes are dropped ("too short")
    min_side: Optional[int] = None  # tubes whose square is smaller (source pixels) are dropped; None: size / 2
    min_sharpness: float = 50.0  # tubes whose subject is more blurred are dropped (see tubes.square_sharpness)
    test_fraction: float = 0.1  # of the identities, about this fraction goes to test/
    max_gap_seconds: float = 0.5  # a tube ends when its subject is not found for this long
    iou_with_first: float = 0.25  # a detection continues a tube while it overlaps the tube's first box this much

    def __post_init__(self):
        if self.clip_format not in CLIP_FORMATS:
            raise InvalidInputError(
                f"The clip format must be one of {', '.join(CLIP_FORMATS)}; got {self.clip_format!r}."
            )
        object.__setattr__(self, "category", category_name(self.category))
        check_range("size", self.size, minimum=16)
        check_range("min_frames", self.min_frames, minimum=2)
        check_range("test_fraction", self.test_fraction, minimum=0, below=1)

    @property
    def smallest_side(self) -> int:
        return self.size // 2 if self.min_side is None else self.min_side
