"""Anti-aliased rendering of filled shapes: an exact-in-x, supersampled-in-y scanline rasterizer in numpy.

Shapes are described in frame units, (0, 0) the top-left corner of the image and (1, 1) its bottom-right
corner, so that one description renders at any size. In pixels, (x, y) = frame units * size, with (0, 0)
the top-left corner of the top-left pixel: the centre of pixel (row i, column j) is (j + 0.5, i + 0.5).

Each shape's coverage of each pixel is computed (exactly along x, with ``ROW_SAMPLES`` lines per pixel row
along y) and the shape is blended over what is drawn so far with that coverage as opacity.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .colours import Colour
from .shapes import transform

ROW_SAMPLES = 16  # scanlines per pixel row: vertical anti-aliasing resolution


@dataclass(frozen=True)
class Shape:
    """A filled region of one colour: one or more closed outlines (K, 2); holes go the other way round."""

    contours: tuple
    colour: Colour
    opacity: float = 1.0

    @classmethod
    def of(cls, contours, colour: Colour, opacity: float = 1.0) -> "Shape":
        """From one outline (K, 2) or a list of them."""
        if isinstance(contours, np.ndarray) and contours.ndim == 2:
            contours = [contours]
        return cls(tuple(np.asarray(c, dtype=np.float64) for c in contours), tuple(colour), opacity)

    def transformed(self, matrix: np.ndarray) -> "Shape":
        return Shape(tuple(transform(matrix, c) for c in self.contours), self.colour, self.opacity)


def transform_all(matrix: np.ndarray, shapes: Sequence[Shape]) -> list:
    return [shape.transformed(matrix) for shape in shapes]


def coverage(contours: Sequence[np.ndarray], height: int, width: int):
    """How much of each pixel the contours (in pixels) cover, under the non-zero winding rule.

    Returns (top, left, (h, w) float32 array in [0, 1]) for the bounding box of the contours within the
    image, or None if they miss it.
    """
    points = np.concatenate(contours)
    top, left = max(int(np.floor(points[:, 1].min())), 0), max(int(np.floor(points[:, 0].min())), 0)
    bottom, right = min(int(np.ceil(points[:, 1].max())), height), min(int(np.ceil(points[:, 0].max())), width)
    if bottom <= top or right <= left:
        return None
    rows, columns = bottom - top, right - left

    start = points  # edges go from each point to the next one of its contour
    end = np.concatenate([np.roll(c, -1, axis=0) for c in contours])
    scanlines = top + (np.arange(rows * ROW_SAMPLES) + 0.5) / ROW_SAMPLES  # y of each sampling line
    y0, y1 = start[:, 1:2], end[:, 1:2]  # (E, 1)
    downward = (y0 <= scanlines) & (scanlines < y1)
    upward = (y1 <= scanlines) & (scanlines < y0)
    edge, line = np.nonzero(downward | upward)  # each crossing of an edge with a scanline
    t = (scanlines[line] - start[edge, 1]) / (end[edge, 1] - start[edge, 1])
    x = np.clip(start[edge, 0] + t * (end[edge, 0] - start[edge, 0]) - left, 0, columns)
    winding = np.where(downward[edge, line], 1.0, -1.0)

    # Crossing at x in column j: column j is covered right of x (fraction 1 - f), columns after j fully.
    column = np.floor(x).astype(np.int64)
    fraction = x - column
    stride = columns + 2
    index = np.concatenate([line * stride + column, line * stride + column + 1])
    weights = np.concatenate([winding * (1 - fraction), winding * fraction])
    steps = np.bincount(index, weights, minlength=len(scanlines) * stride).reshape(len(scanlines), stride)
    inside = np.minimum(np.abs(np.cumsum(steps, axis=1)[:, :columns]), 1.0)
    return top, left, inside.reshape(rows, ROW_SAMPLES, columns).mean(axis=1, dtype=np.float32)


def paint(canvas: np.ndarray, shapes: Sequence[Shape], size: int) -> np.ndarray:
    """Blends shapes (frame units) in order over a float32 image (size, size, 3) in place; returns it."""
    for shape in shapes:
        covered = coverage([c * size for c in shape.contours], canvas.shape[0], canvas.shape[1])
        if covered is None:
            continue
        top, left, alpha = covered
        region = canvas[top : top + alpha.shape[0], left : left + alpha.shape[1]]
        alpha = (alpha * shape.opacity)[..., None]
        region += alpha * (np.asarray(shape.colour, dtype=np.float32) - region)
    return canvas


def to_uint8(canvas: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def render_frame(background: np.ndarray, shapes: Sequence[Shape], landmarks: np.ndarray, size: int):
    """(image uint8 (size, size, 3), landmarks (L, 2) in pixels) from a float32 background (size, size, 3)
    and a scene in frame units."""
    return to_uint8(paint(background.copy(), shapes, size)), landmarks * size
