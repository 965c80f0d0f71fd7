"""Smooth random signals from which the categories build their motion: slow sinusoid mixtures and blinks.

Periods are in frames, so that motion has the same speed whatever the clip length.
"""

import numpy as np

SeedLike = int | np.random.Generator


def as_rng(seed: SeedLike) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def smooth_signal(rng: np.random.Generator, num_frames: int, periods=(24.0, 96.0), num_waves: int = 3) -> np.ndarray:
    """(num_frames,) in [-1, 1]: a weighted mean of sinusoids with random periods and phases."""
    period = rng.uniform(*periods, size=num_waves)
    phase = rng.uniform(0, 2 * np.pi, size=num_waves)
    weight = rng.dirichlet(np.ones(num_waves))
    t = np.arange(num_frames)[:, None]
    return np.sin(2 * np.pi * t / period + phase) @ weight


def unit_signal(rng: np.random.Generator, num_frames: int, periods=(24.0, 96.0)) -> np.ndarray:
    """(num_frames,) in [0, 1]: a smooth signal moved and scaled into the unit interval."""
    return 0.5 + 0.5 * smooth_signal(rng, num_frames, periods)


def blinks(rng: np.random.Generator, num_frames: int, duration: int = 6, gaps=(16, 60)) -> np.ndarray:
    """(num_frames,) eye openness in [0, 1]: open, with blinks (smooth close-and-open over ``duration``
    frames) at random intervals; the first one starts within the first ``gaps[1] / 2`` frames."""
    openness = np.ones(num_frames)
    t = np.arange(num_frames)
    start = rng.uniform(0, gaps[1] / 2)
    while start < num_frames:
        phase = (t - start) / duration
        inside = (phase > 0) & (phase < 1)
        openness[inside] -= np.sin(np.pi * phase[inside]) ** 2
        start += duration + rng.uniform(*gaps)
    return np.clip(openness, 0.0, 1.0)
