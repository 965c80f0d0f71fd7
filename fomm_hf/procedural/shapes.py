"""Plane geometry for the procedural renderers: affine transforms and the outlines of simple shapes.

Points are float arrays (K, 2) of (x, y), with y pointing down (image convention). Angles are in degrees;
a positive angle turns clockwise on screen. Transforms are (3, 3) homogeneous matrices acting on column
vectors, so that ``a @ b`` applies ``b`` first.
"""

import numpy as np


def affine(translation=(0.0, 0.0), angle: float = 0.0, scale=1.0) -> np.ndarray:
    """(3, 3) matrix: scale (a number or (sx, sy)), then rotate by ``angle`` degrees, then translate."""
    sx, sy = np.broadcast_to(np.asarray(scale, dtype=np.float64), (2,))
    cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    return np.array([[cos * sx, -sin * sy, translation[0]], [sin * sx, cos * sy, translation[1]], [0.0, 0.0, 1.0]])


def transform(matrix: np.ndarray, points) -> np.ndarray:
    """Applies a (3, 3) affine matrix to points (..., 2)."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:2, :2].T + matrix[:2, 2]


def ellipse(center=(0.0, 0.0), radii=(1.0, 1.0), angle: float = 0.0, num_points: int = 48, start=0.0, end=None):
    """Points on an ellipse from parameter ``start`` to ``end`` (radians; default: the whole closed curve)."""
    if end is None:
        t = start + np.linspace(0.0, 2 * np.pi, num_points, endpoint=False)
    else:
        t = np.linspace(start, end, num_points)
    local = np.stack([radii[0] * np.cos(t), radii[1] * np.sin(t)], axis=1)
    return transform(affine(center, angle), local)


def circle(center, radius: float, num_points: int = 24) -> np.ndarray:
    return ellipse(center, (radius, radius), num_points=num_points)


def superellipse(center=(0.0, 0.0), radii=(1.0, 1.0), exponent: float = 4.0, num_points: int = 64):
    """|x/rx|^n + |y/ry|^n = 1: a rectangle with rounded corners for large ``exponent``, an ellipse for 2."""
    t = np.linspace(0.0, 2 * np.pi, num_points, endpoint=False)
    cos, sin = np.cos(t), np.sin(t)
    x = radii[0] * np.sign(cos) * np.abs(cos) ** (2 / exponent)
    y = radii[1] * np.sign(sin) * np.abs(sin) ** (2 / exponent)
    return np.stack([x, y], axis=1) + np.asarray(center, dtype=np.float64)


def capsule(start, end, radius: float, num_points: int = 16) -> np.ndarray:
    """A segment from ``start`` to ``end`` thickened by ``radius``, with round ends."""
    start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    heading = np.arctan2(*(end - start)[::-1])
    turn = heading + np.linspace(-np.pi / 2, np.pi / 2, num_points)  # half a turn around the end, from the right
    end_cap = end + radius * np.stack([np.cos(turn), np.sin(turn)], axis=1)
    start_cap = start - radius * np.stack([np.cos(turn), np.sin(turn)], axis=1)
    return np.concatenate([end_cap, start_cap])


def stroke(centreline, width, closed: bool = False) -> list:
    """Outline(s) of a curve drawn with a pen of ``width`` (a number, or one per point, for tapered strokes).

    An open curve gives one contour with round ends; a closed curve gives a ring: an outer contour and an
    inner one going the other way round, so that the hole stays empty.
    """
    points = np.asarray(centreline, dtype=np.float64)
    half_width = np.broadcast_to(np.asarray(width, dtype=np.float64) / 2, (len(points),))
    if closed:
        tangent = np.roll(points, -1, axis=0) - np.roll(points, 1, axis=0)
    else:
        tangent = np.gradient(points, axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-12)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1) * half_width[:, None]
    left, right = points + normal, points - normal
    if closed:
        return [left, right[::-1]]
    return [
        np.concatenate(
            [
                left,
                cap(points[-1], tangent[-1], half_width[-1]),
                right[::-1],
                cap(points[0], -tangent[0], half_width[0]),
            ]
        )
    ]


def cap(point, forward, radius: float, num_points: int = 7) -> np.ndarray:
    """The inner points of a half circle around ``point``, bulging towards ``forward``."""
    heading = np.arctan2(forward[1], forward[0])
    turn = np.linspace(np.pi / 2, -np.pi / 2, num_points + 2)[1:-1]
    return point + radius * np.stack([np.cos(heading + turn), np.sin(heading + turn)], axis=1)


def clip_polygon(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """The part of polygon ``subject`` inside the convex polygon ``clip`` (Sutherland-Hodgman); may be empty."""
    start, edge = clip, np.roll(clip, -1, axis=0) - clip
    orientation = np.sign(np.sum(start[:, 0] * edge[:, 1] - start[:, 1] * edge[:, 0]))  # inside is on this side

    def inner_side(points, e=slice(None)):
        """> 0 inside edge(s) ``e``: (K,) for one edge, (K, E) for all."""
        offset = points[:, None] - start[e]
        return orientation * (edge[e, 0] * offset[..., 1] - edge[e, 1] * offset[..., 0])

    output = np.asarray(subject, dtype=np.float64)
    # Only edges that cut off a vertex of the subject can cut off a point of its outline.
    for e in np.nonzero((inner_side(output) < 0).any(axis=0))[0]:
        side = inner_side(output, [e])[:, 0]
        following, following_side = np.roll(output, -1, axis=0), np.roll(side, -1)
        inside, crossing = side >= 0, (side >= 0) != (following_side >= 0)
        t = np.where(crossing, side / np.where(crossing, side - following_side, 1.0), 0.0)[:, None]
        candidates = np.stack([output, output + t * (following - output)], axis=1)  # vertex, then crossing
        output = candidates[np.stack([inside, crossing], axis=1)]
        if len(output) == 0:
            break
    return output
