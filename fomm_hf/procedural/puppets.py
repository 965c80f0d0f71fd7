"""Articulated puppets, seen from the front: a torso with a head, two arms and two legs of two segments each.

Each body part is drawn in its own frame (origin at its joint, +y along the bone) and placed by forward
kinematics from the pose's joint angles; the landmarks are the joints of that same skeleton. "Left" and
"right" are the image's left and right.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .backgrounds import Background, render_background, sample_background
from .cartoon_faces import HAIR_COLOURS, SKIN_TONES
from .colours import Colour, hsv_colour, jitter, pick, shade
from .rasterizer import Shape, render_frame, transform_all
from .shapes import affine, capsule, circle, clip_polygon, ellipse, stroke, superellipse, transform
from .trajectories import SeedLike, as_rng, smooth_signal, unit_signal

PELVIS = (0.5, 0.52)  # frame units: the pelvis of a pose with x = y = 0
CLOTH_PATTERNS = ("plain", "stripes", "dots")
PUPPET_LANDMARKS = (
    "head", "neck", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
# Pairs of landmarks whose direction depends on the pose only, not on the identity.
BONES = (
    ("pelvis", "neck"), ("neck", "head"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
)  # fmt: skip
SIDES = (("left", -1), ("right", 1))


@dataclass(frozen=True)
class PuppetIdentity:
    """What one puppet looks like. Lengths are in frame units; radii are half thicknesses."""

    head_radius: float
    neck_length: float
    torso_length: float  # pelvis to the base of the neck
    shoulder_width: float  # half the distance between the shoulder joints
    hip_width: float  # half the distance between the hip joints
    upper_arm: float
    lower_arm: float
    arm_radius: float
    upper_leg: float
    lower_leg: float
    leg_radius: float
    skin: Colour
    hair: Colour
    shirt: Colour
    shirt_pattern: str  # one of CLOTH_PATTERNS, on the torso and sleeves
    pattern_colour: Colour
    long_sleeves: bool
    trousers: Colour
    long_trousers: bool
    shoes: Colour
    background: Background


@dataclass(frozen=True)
class PuppetPose:
    """Root translation and joint angles in one frame. Angles are in degrees; arms and legs move outwards
    for positive angles, symmetrically on both sides."""

    x: float = 0.0  # pelvis translation, frame units, + right
    y: float = 0.0  # + down
    lean: float = 0.0  # torso rotation about the pelvis, + clockwise
    neck: float = 0.0  # head rotation relative to the torso, + clockwise
    left_shoulder: float = 0.0  # 0 arm hanging down, 90 horizontal, 180 straight up
    right_shoulder: float = 0.0
    left_elbow: float = 0.0  # forearm bend relative to the upper arm, outwards
    right_elbow: float = 0.0
    left_hip: float = 0.0  # leg spread
    right_hip: float = 0.0
    left_knee: float = 0.0  # lower leg bend relative to the thigh, inwards
    right_knee: float = 0.0


def sample_puppet_identity(seed: SeedLike) -> PuppetIdentity:
    """A random puppet; the same seed gives the same puppet. Its upper body (head top to pelvis) and legs
    (pelvis to soles) each span at most 0.4 frame units."""
    rng = as_rng(seed)
    ranges = {  # lengths in arbitrary units, scaled below
        "head_radius": (0.6, 0.85), "neck_length": (0.1, 0.25), "torso_length": (1.3, 1.8),
        "shoulder_width": (0.55, 0.8), "hip_width": (0.35, 0.5),
        "upper_arm": (0.7, 1.0), "lower_arm": (0.6, 0.9), "arm_radius": (0.14, 0.2),
        "upper_leg": (0.8, 1.1), "lower_leg": (0.7, 1.0), "leg_radius": (0.17, 0.25),
    }  # fmt: skip
    parts = {name: rng.uniform(*bounds) for name, bounds in ranges.items()}
    upper_body = 2 * parts["head_radius"] + parts["neck_length"] + parts["torso_length"]
    legs = parts["upper_leg"] + parts["lower_leg"] + 1.5 * parts["leg_radius"]
    scale = rng.uniform(0.37, 0.42) / max(upper_body, legs)
    skin = jitter(rng, pick(rng, SKIN_TONES), 10)
    shirt = hsv_colour(rng.uniform(), rng.uniform(0.4, 0.9), rng.uniform(0.4, 0.95))
    return PuppetIdentity(
        **{name: float(length * scale) for name, length in parts.items()},
        skin=skin,
        hair=jitter(rng, pick(rng, HAIR_COLOURS), 12),
        shirt=shirt,
        shirt_pattern=pick(rng, CLOTH_PATTERNS),
        pattern_colour=hsv_colour(rng.uniform(), rng.uniform(0.1, 0.6), rng.uniform(0.3, 1.0)),
        long_sleeves=bool(rng.uniform() < 0.5),
        trousers=hsv_colour(rng.uniform(), rng.uniform(0.2, 0.7), rng.uniform(0.2, 0.7)),
        long_trousers=bool(rng.uniform() < 0.6),
        shoes=hsv_colour(rng.uniform(), rng.uniform(0.0, 0.6), rng.uniform(0.1, 0.5)),
        background=sample_background(rng, avoid=(skin, shirt)),
    )


def sample_puppet_motion(seed: SeedLike, num_frames: int) -> list:
    """Smooth dancing: ``num_frames`` PuppetPose with arms between 5 and 135 degrees, elbows up to 90, legs
    spread up to 24 and knees bent up to 30 degrees; hands move at most about 0.04 frame units per frame."""
    rng = as_rng(seed)
    amount = rng.uniform(0.5, 1.0)
    slow = (40.0, 120.0)  # periods in frames
    tracks = {
        "x": 0.07 * amount * smooth_signal(rng, num_frames, slow),
        "y": 0.025 * amount * smooth_signal(rng, num_frames, periods=(16, 48)),  # bouncing
        "lean": 10.0 * amount * smooth_signal(rng, num_frames, slow),
        "neck": 15.0 * smooth_signal(rng, num_frames, slow),
    }
    for side, _ in SIDES:
        tracks[f"{side}_shoulder"] = 5.0 + 130.0 * unit_signal(rng, num_frames, slow)
        tracks[f"{side}_elbow"] = 90.0 * unit_signal(rng, num_frames, slow)
        tracks[f"{side}_hip"] = 24.0 * unit_signal(rng, num_frames, slow)
        tracks[f"{side}_knee"] = 30.0 * unit_signal(rng, num_frames, slow)
    return [PuppetPose(**{name: float(values[t]) for name, values in tracks.items()}) for t in range(num_frames)]


def skeleton(identity: PuppetIdentity, pose: PuppetPose) -> dict:
    """Frames of the body parts, (3, 3) matrices from part coordinates to frame units, by forward kinematics.

    Limb frames have their origin at the proximal joint and +y along the bone; "torso" has its origin at the
    pelvis and +y pointing down (the torso extends to negative y); "hips" is the pelvis without the lean.
    """
    hips = affine((PELVIS[0] + pose.x, PELVIS[1] + pose.y))
    torso = hips @ affine(angle=pose.lean)
    frames = {"hips": hips, "torso": torso, "head": torso @ affine((0, -identity.torso_length), pose.neck)}
    shoulder_y = -identity.torso_length + 1.2 * identity.arm_radius
    for side, sign in SIDES:
        # An outward angle turns a limb towards -x on the left, +x on the right: clockwise on the left.
        shoulder, elbow = getattr(pose, f"{side}_shoulder"), getattr(pose, f"{side}_elbow")
        hip, knee = getattr(pose, f"{side}_hip"), getattr(pose, f"{side}_knee")
        upper_arm = torso @ affine((sign * identity.shoulder_width, shoulder_y), -sign * shoulder)
        upper_leg = hips @ affine((sign * identity.hip_width, 0), -sign * hip)
        frames[f"{side}_upper_arm"] = upper_arm
        frames[f"{side}_lower_arm"] = upper_arm @ affine((0, identity.upper_arm), -sign * elbow)
        frames[f"{side}_upper_leg"] = upper_leg
        frames[f"{side}_lower_leg"] = upper_leg @ affine((0, identity.upper_leg), sign * knee)
    return frames


def puppet_landmarks(identity: PuppetIdentity, frames: dict) -> np.ndarray:
    """(len(PUPPET_LANDMARKS), 2) joint positions, frame units."""
    head_centre = (0, -identity.neck_length - identity.head_radius)
    points = {
        "head": transform(frames["head"], head_centre),
        "neck": transform(frames["head"], (0, 0)),
        "pelvis": transform(frames["hips"], (0, 0)),
    }
    for side, _ in SIDES:
        points[f"{side}_shoulder"] = transform(frames[f"{side}_upper_arm"], (0, 0))
        points[f"{side}_elbow"] = transform(frames[f"{side}_lower_arm"], (0, 0))
        points[f"{side}_wrist"] = transform(frames[f"{side}_lower_arm"], (0, identity.lower_arm))
        points[f"{side}_hip"] = transform(frames[f"{side}_upper_leg"], (0, 0))
        points[f"{side}_knee"] = transform(frames[f"{side}_lower_leg"], (0, 0))
        points[f"{side}_ankle"] = transform(frames[f"{side}_lower_leg"], (0, identity.lower_leg))
    return np.array([points[name] for name in PUPPET_LANDMARKS])


def torso_outline(identity: PuppetIdentity) -> np.ndarray:
    """A rounded trapezoid from the shoulders (top) to the hips (y = 0), in torso coordinates."""
    top, bottom = -identity.torso_length, 0.25 * identity.leg_radius
    unit = superellipse((0, 0.5), (1.0, 0.5), exponent=3.5)  # x in [-1, 1], y in [0, 1] top to bottom
    y = top + (bottom - top) * unit[:, 1]
    shoulders, hips = identity.shoulder_width + identity.arm_radius, identity.hip_width + identity.leg_radius
    half_width = shoulders + (hips - shoulders) * unit[:, 1]
    return np.stack([unit[:, 0] * half_width, y], axis=1)


def pattern(identity: PuppetIdentity, outline: np.ndarray) -> list:
    """The shirt pattern inside a convex ``outline`` (stripes or dots), in the outline's coordinates."""
    if identity.shirt_pattern == "plain":
        return []
    period = 0.09 * identity.torso_length
    (left, top), (right, bottom) = outline.min(axis=0), outline.max(axis=0)
    rows = top + period * np.arange(int(np.ceil((bottom - top) / period)) + 1)
    if identity.shirt_pattern == "stripes":
        pieces = [np.array([[left, y], [right, y], [right, y + period / 2], [left, y + period / 2]]) for y in rows]
    else:
        columns = np.arange(left, right + period, period)
        pieces = [
            circle((x + (i % 2) * period / 2, y), 0.22 * period, num_points=12)
            for i, y in enumerate(rows)
            for x in columns
        ]
    pieces = [clip_polygon(piece, outline) for piece in pieces]
    return [Shape.of([p for p in pieces if len(p) >= 3], identity.pattern_colour)]


@lru_cache(maxsize=64)
def body_parts(identity: PuppetIdentity) -> dict:
    """Shapes of each body part in its own frame (see ``skeleton``), back to front within a part."""
    arm, leg, head = identity.arm_radius, identity.leg_radius, identity.head_radius
    torso, upper_arm = torso_outline(identity), capsule((0, 0), (0, identity.upper_arm), arm)
    lower_arm = capsule((0, 0), (0, identity.lower_arm), 0.9 * arm)
    lower_leg = capsule((0, 0), (0, identity.lower_leg), 0.9 * leg)
    shoe = superellipse((0.5 * leg, identity.lower_leg + 0.6 * leg), (1.8 * leg, 0.8 * leg), exponent=2.5)
    shorts = superellipse((0, 0.3 * leg), (identity.hip_width + leg, 1.6 * leg), exponent=3)

    centre = np.array([0, -identity.neck_length - head])  # of the head, whose frame has its origin at the neck
    neck = capsule((0, 0.5 * arm), (0, -identity.neck_length - 0.5 * head), 0.8 * arm)
    hair = ellipse(centre, (1.06 * head,) * 2, start=np.pi + 0.3, end=2 * np.pi - 0.3, num_points=32)  # a cap
    eyes = [
        ellipse(centre + np.array([side * 0.36, -0.05]) * head, (0.1 * head, 0.13 * head), num_points=12)
        for side in (-1, 1)
    ]
    smile = ellipse(centre, (0.38 * head, 0.4 * head), start=0.25 * np.pi, end=0.75 * np.pi, num_points=12)
    return {
        "torso": [Shape.of(torso, identity.shirt), *pattern(identity, torso)],
        "hips": [Shape.of(shorts, identity.trousers)],
        "head": [
            Shape.of(neck, shade(identity.skin, 0.85)),
            Shape.of(circle(centre, head, num_points=48), identity.skin),
            Shape.of(hair, identity.hair),
            Shape.of(eyes, (20, 20, 25)),
            Shape.of(stroke(smile, 0.08 * head), shade(identity.skin, 0.5)),
        ],
        "upper_arm": [Shape.of(upper_arm, identity.shirt), *pattern(identity, upper_arm)],
        "lower_arm": [
            Shape.of(lower_arm, identity.shirt if identity.long_sleeves else identity.skin),
            Shape.of(circle((0, identity.lower_arm), 1.35 * arm, num_points=20), identity.skin),  # hand
        ],
        "upper_leg": [Shape.of(capsule((0, 0), (0, identity.upper_leg), leg), identity.trousers)],
        "lower_leg": [
            Shape.of(lower_leg, identity.trousers if identity.long_trousers else identity.skin),
            Shape.of(shoe, identity.shoes),
        ],
    }


def puppet_scene(identity: PuppetIdentity, pose: PuppetPose):
    """One frame: the shapes, back to front, and the landmarks (len(PUPPET_LANDMARKS), 2), all in frame units."""
    frames, parts = skeleton(identity, pose), body_parts(identity)
    shapes = []  # the left limbs are mirrored, so that both shoes point outwards
    for part in ("upper_leg", "lower_leg"):
        for side, sign in SIDES:
            shapes += transform_all(frames[f"{side}_{part}"] @ affine(scale=(sign, 1)), parts[part])
    for part in ("hips", "torso", "head"):
        shapes += transform_all(frames[part], parts[part])
    for part in ("upper_arm", "lower_arm"):
        for side, sign in SIDES:
            shapes += transform_all(frames[f"{side}_{part}"] @ affine(scale=(sign, 1)), parts[part])
    return shapes, puppet_landmarks(identity, frames)


def render_puppet(identity: PuppetIdentity, pose: PuppetPose, size: int):
    """One frame: (image uint8 (size, size, 3), landmarks (len(PUPPET_LANDMARKS), 2) in pixels)."""
    return render_frame(render_background(identity.background, size), *puppet_scene(identity, pose), size)
