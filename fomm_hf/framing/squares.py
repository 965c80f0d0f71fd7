"""Boxes around a subject, and the squares of an image that the models animate.

The models were trained on square crops with the subject centred at a typical size; a :class:`Square` is such a
crop of a larger picture: the subject's box enlarged by a margin (the original ``crop-video.py``'s rule), kept
square, and padded where it leaves the picture, so that it can be pasted back where it came from.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels (floats): left, top, right, bottom."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def centre(self) -> tuple:
        return ((self.left + self.right) / 2, (self.top + self.bottom) / 2)

    @property
    def area(self) -> float:
        return max(self.width, 0) * max(self.height, 0)

    def scaled(self, factor: float) -> "Box":
        """The box with its coordinates multiplied by ``factor`` (from a reduced copy of an image to the image)."""
        return Box(self.left * factor, self.top * factor, self.right * factor, self.bottom * factor)

    def iou(self, other: "Box") -> float:
        """Intersection over union with ``other``."""
        common = Box(max(self.left, other.left), max(self.top, other.top), min(self.right, other.right),
                     min(self.bottom, other.bottom))
        inter = common.area if common.width > 0 and common.height > 0 else 0.0
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def moved(self, x: float, y: float) -> "Box":
        """The box moved by (x, y) (from a region of an image to the image)."""
        return Box(self.left + x, self.top + y, self.right + x, self.bottom + y)


@dataclass(frozen=True)
class Detection:
    box: Box  # in the picture's pixels
    score: float  # the detector's confidence
    roll: float = 0.0  # degrees the picture was turned (anticlockwise) to find it: a tilted head; 0: upright


@dataclass(frozen=True)
class Square:
    """A square of an image, in whole pixels; it may reach past the image's edges (padded there)."""

    left: int
    top: int
    side: int

    @classmethod
    def around(cls, box: Box, margin: float, raise_by: float = 0.0) -> "Square":
        """The square of side ``margin`` x the box's larger side, centred on the box, moved up by ``raise_by``
        x that side (a face box covers brows to chin: the head and hair are above it)."""
        side = max(2, round(max(box.width, box.height) * margin))
        centre_x, centre_y = box.centre
        centre_y -= raise_by * max(box.width, box.height)
        return cls(round(centre_x - side / 2), round(centre_y - side / 2), side)

    @classmethod
    def centred(cls, centre_x: float, centre_y: float, side: float) -> "Square":
        side = max(2, round(side))
        return cls(round(centre_x - side / 2), round(centre_y - side / 2), side)

    @property
    def centre(self) -> tuple:
        return (self.left + self.side / 2, self.top + self.side / 2)

    def moved_inside(self, width: int, height: int) -> "Square":
        """The square moved inside a ``width`` x ``height`` picture, about the same centre, reduced to fit."""
        side = min(self.side, width, height)
        centre_x, centre_y = self.centre
        left = min(max(round(centre_x - side / 2), 0), width - side)
        top = min(max(round(centre_y - side / 2), 0), height - side)
        return Square(left, top, side)

    def fitted(self, width: int, height: int) -> "Square":
        """The square, or where it is larger than a ``width`` x ``height`` picture's shorter side (a picture framed
        about as closely as the models expect already), the largest square inside the picture about its centre:
        the picture's own pixels rather than its edges repeated."""
        return self if self.side <= min(width, height) else self.moved_inside(width, height)

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The square's pixels of ``image`` (H, W, C): (side, side, C), the image's edge pixels repeated where the
        square leaves it."""
        height, width = image.shape[:2]
        if self.left >= 0 and self.top >= 0 and self.left + self.side <= width and self.top + self.side <= height:
            return image[self.top : self.top + self.side, self.left : self.left + self.side]
        rows = np.clip(np.arange(self.top, self.top + self.side), 0, height - 1)
        columns = np.clip(np.arange(self.left, self.left + self.side), 0, width - 1)
        return image[rows[:, None], columns[None, :]]
