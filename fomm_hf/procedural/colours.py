"""RGB colours (tuples of integers in [0, 255]) and the few operations the renderers need on them."""

import colorsys

import numpy as np

Colour = tuple  # (r, g, b), integers in [0, 255]


def hsv_colour(hue: float, saturation: float, value: float) -> Colour:
    """From hue, saturation and value in [0, 1]."""
    return tuple(round(255 * c) for c in colorsys.hsv_to_rgb(hue % 1.0, saturation, value))


def mix(a: Colour, b: Colour, weight: float) -> Colour:
    """(1 - weight) * a + weight * b."""
    mixed = (1 - weight) * np.asarray(a, dtype=np.float64) + weight * np.asarray(b, dtype=np.float64)
    return tuple(round(c) for c in np.clip(mixed, 0, 255))


def shade(colour: Colour, factor: float) -> Colour:
    """Darker (factor < 1, towards black) or lighter (factor > 1, towards white)."""
    return mix(colour, (0, 0, 0), 1 - factor) if factor <= 1 else mix(colour, (255, 255, 255), factor - 1)


def jitter(rng: np.random.Generator, colour: Colour, amount: float) -> Colour:
    """The colour with uniform noise of up to ``amount`` added to each channel."""
    noisy = np.asarray(colour, dtype=np.float64) + rng.uniform(-amount, amount, size=3)
    return tuple(round(c) for c in np.clip(noisy, 0, 255))


def colour_distance(a: Colour, b: Colour) -> float:
    return float(np.linalg.norm(np.subtract(a, b, dtype=np.float64)))


def pick(rng: np.random.Generator, choices):
    """One of ``choices``, uniformly."""
    return choices[rng.integers(len(choices))]
