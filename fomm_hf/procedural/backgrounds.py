"""Static backgrounds shared by the procedural categories: a plain colour, a gradient or a soft pattern."""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .colours import Colour, colour_distance, hsv_colour, shade
from .rasterizer import Shape, paint
from .shapes import affine, ellipse, transform

BACKGROUND_STYLES = ("plain", "gradient", "stripes", "dots", "checker")
STYLE_WEIGHTS = (0.25, 0.35, 0.14, 0.13, 0.13)  # patterns less often: they make the motion harder to learn


@dataclass(frozen=True)
class Background:
    """``colour`` everywhere, with ``pattern_colour`` in a gradient or pattern of period ``period``."""

    style: str  # one of BACKGROUND_STYLES
    colour: Colour
    pattern_colour: Colour
    angle: float  # degrees: direction of the gradient, orientation of the pattern
    period: float  # frame units: pattern repeat


def sample_background(rng: np.random.Generator, avoid=(), min_distance: float = 90.0) -> Background:
    """A muted background whose colour stays ``min_distance`` away (RGB) from the colours in ``avoid``."""
    while True:
        colour = hsv_colour(rng.uniform(), rng.uniform(0.1, 0.5), rng.uniform(0.35, 0.95))
        if all(colour_distance(colour, other) >= min_distance for other in avoid):
            break
    contrast = rng.uniform(0.85, 0.93) if np.mean(colour) > 128 else rng.uniform(1.06, 1.14)
    return Background(
        style=str(rng.choice(BACKGROUND_STYLES, p=STYLE_WEIGHTS)),
        colour=colour,
        pattern_colour=shade(colour, contrast),
        angle=float(rng.uniform(0, 180)),
        period=float(rng.uniform(0.12, 0.25)),
    )


def pattern_shapes(background: Background) -> list:
    """The pattern as shapes covering the frame [0, 1]^2 (an empty list for plain and gradient)."""
    half, reach = background.period / 2, int(np.ceil(0.75 / background.period)) + 1
    offsets = background.period * np.arange(-reach, reach + 1)
    around_centre = affine((0.5, 0.5), background.angle)
    if background.style == "stripes":
        outlines = [np.array([[x, -1.0], [x + half, -1.0], [x + half, 1.0], [x, 1.0]]) for x in offsets]
    elif background.style == "dots":
        outlines = [ellipse((x, y), (0.3 * half, 0.3 * half), num_points=20) for x in offsets for y in offsets]
    elif background.style == "checker":
        square = np.array([[0, 0], [half, 0], [half, half], [0, half]])
        outlines = [square + (x + dx, y + dy) for x in offsets for y in offsets for dx, dy in ((0, 0), (half, half))]
    else:
        return []
    return [Shape.of([transform(around_centre, outline) for outline in outlines], background.pattern_colour)]


@lru_cache(maxsize=16)
def render_background(background: Background, size: int) -> np.ndarray:
    """Float32 image (size, size, 3), values in [0, 255]; cached, so copy it before drawing on it."""
    canvas = np.empty((size, size, 3), dtype=np.float32)
    canvas[:] = background.colour
    if background.style == "gradient":
        along = np.array([np.cos(np.radians(background.angle)), np.sin(np.radians(background.angle))])
        coordinates = (np.stack(np.meshgrid(np.arange(size), np.arange(size)), axis=-1) + 0.5) / size - 0.5
        weight = np.clip(0.5 + coordinates @ along, 0, 1)[..., None].astype(np.float32)  # 0 -> 1 across
        canvas += weight * (np.asarray(background.pattern_colour, dtype=np.float32) - canvas)
    canvas = paint(canvas, pattern_shapes(background), size)
    canvas.flags.writeable = False
    return canvas
