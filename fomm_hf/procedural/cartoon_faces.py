"""Cartoon faces: who (``FaceIdentity``), how they move (``FacePose``), and one frame with exact landmarks.

Geometry is built in head coordinates (frame units, origin at the face centre, axes turning with the head)
and mapped to the frame by the pose's head transform; the landmarks are points of that same geometry.
"Left" and "right" are the image's left and right.
"""

from dataclasses import dataclass

import numpy as np

from .backgrounds import Background, render_background, sample_background
from .colours import Colour, hsv_colour, jitter, mix, pick, shade
from .rasterizer import Shape, render_frame, transform_all
from .shapes import affine, circle, ellipse, stroke, superellipse, transform
from .trajectories import SeedLike, as_rng, blinks, smooth_signal, unit_signal

HEAD_CENTRE = (0.5, 0.45)  # frame units: the face centre of a pose with dx = dy = 0
HAIR_STYLES = ("none", "cap", "bob", "spiky")
NOSE_STYLES = ("button", "triangle", "hook")
FACE_LANDMARKS = (
    "face_centre", "chin",
    "left_eye", "right_eye", "left_eye_outer", "left_eye_inner", "right_eye_inner", "right_eye_outer",
    "left_upper_lid", "right_upper_lid", "left_brow", "right_brow",
    "nose_tip", "mouth_left", "mouth_right", "mouth_top", "mouth_bottom",
)  # fmt: skip

SKIN_TONES = ((255, 224, 196), (241, 194, 150), (224, 172, 125), (198, 134, 90), (141, 85, 54), (96, 60, 40))
HAIR_COLOURS = ((30, 25, 25), (70, 45, 30), (125, 80, 45), (220, 185, 110), (170, 70, 35), (175, 175, 180))
IRIS_COLOURS = ((90, 55, 30), (60, 110, 170), (70, 125, 70), (120, 130, 140), (140, 110, 50))
EYE_WHITE, PUPIL, MOUTH_INSIDE, TEETH = (240, 240, 235), (15, 15, 20), (95, 25, 35), (245, 245, 235)

# How far the inner features move sideways for yaw = 1, as a fraction of the face half-width: the nose
# tip, sticking out, moves most, which gives a parallax cue of the head turning.
YAW_SHIFT_FEATURES, YAW_SHIFT_NOSE = 0.22, 0.32


@dataclass(frozen=True)
class FaceIdentity:
    """What one cartoon person looks like.

    Sizes along x are fractions of the face half-width and sizes along y fractions of the face half-height,
    unless noted, so that the features stay in proportion with the face.
    """

    face_width: float  # half-width of the face, frame units
    face_height: float  # half-height of the face, frame units
    jaw: float  # > 0 narrows the lower face to a pointed chin, < 0 squares it
    skin: Colour
    hair_style: str  # one of HAIR_STYLES
    hair_colour: Colour
    hairline: float  # height of the hairline above the face centre
    eye_spacing: float  # distance of each eye centre from the middle
    eye_level: float  # y of the eye centres (< 0: above the face centre)
    eye_size: float  # eye half-width
    eye_aspect: float  # eye half-height / eye half-width
    eye_tilt: float  # degrees; > 0 raises the outer corners
    iris_colour: Colour
    brow_colour: Colour
    brow_thickness: float
    brow_arch: float  # height of the arch / brow half-length
    brow_gap: float  # space between the top of the eye and the brow
    nose_style: str  # one of NOSE_STYLES
    nose_level: float  # y of the nose tip
    nose_size: float  # half-width of the nose
    mouth_level: float  # y of the mouth centre
    mouth_width: float  # half-width of the mouth
    smile: float  # lift of the mouth corners / mouth half-width (< 0: corners down)
    lip_colour: Colour
    lip_thickness: float
    ear_size: float  # ear half-height
    blush: bool
    shirt_colour: Colour
    glasses: Colour | None  # frame colour; None: no glasses
    earrings: Colour | None
    hat: Colour | None
    background: Background


@dataclass(frozen=True)
class FacePose:
    """Head motion and expression in one frame."""

    dx: float = 0.0  # head translation, frame units, + right
    dy: float = 0.0  # + down
    angle: float = 0.0  # in-plane head rotation, degrees, + clockwise
    scale: float = 1.0  # head size factor
    yaw: float = 0.0  # sideways shift of eyes, nose and mouth within the face, in [-1, 1], + right
    eye_openness: float = 1.0  # 0 closed, 1 open
    mouth_opening: float = 0.0  # 0 closed, 1 wide open
    brow_raise: float = 0.0  # -1 frown, 0 rest, 1 raised


def sample_face_identity(seed: SeedLike) -> FaceIdentity:
    """A random face; the same seed gives the same face."""
    rng = as_rng(seed)
    face_width = rng.uniform(0.19, 0.23)
    if rng.uniform() < 0.15:
        skin = hsv_colour(rng.uniform(), rng.uniform(0.25, 0.45), rng.uniform(0.7, 0.9))  # cartoon colours
    else:
        skin = jitter(rng, pick(rng, SKIN_TONES), 10)
    if rng.uniform() < 0.2:
        hair_colour = hsv_colour(rng.uniform(), 0.6, 0.7)  # dyed
    else:
        hair_colour = jitter(rng, pick(rng, HAIR_COLOURS), 12)
    hair_style = pick(rng, HAIR_STYLES)
    shirt_colour = hsv_colour(rng.uniform(), rng.uniform(0.3, 0.8), rng.uniform(0.35, 0.9))
    earring_colours = ((230, 190, 60), (200, 200, 210), hsv_colour(rng.uniform(), 0.7, 0.9))  # gold, silver, colour
    return FaceIdentity(
        face_width=face_width,
        face_height=face_width * rng.uniform(1.08, 1.25),
        jaw=rng.uniform(-0.25, 0.3),
        skin=skin,
        hair_style=hair_style,
        hair_colour=hair_colour,
        hairline=rng.uniform(0.35, 0.45) if hair_style == "bob" else rng.uniform(0.45, 0.65),
        eye_spacing=rng.uniform(0.36, 0.46),
        eye_level=rng.uniform(-0.2, -0.05),
        eye_size=rng.uniform(0.15, 0.2),
        eye_aspect=rng.uniform(0.55, 0.95),
        eye_tilt=rng.uniform(-8, 10),
        iris_colour=jitter(rng, pick(rng, IRIS_COLOURS), 15),
        brow_colour=shade(hair_colour, 0.7) if hair_style != "none" else jitter(rng, (60, 45, 35), 15),
        brow_thickness=rng.uniform(0.035, 0.07),
        brow_arch=rng.uniform(0.05, 0.3),
        brow_gap=rng.uniform(0.05, 0.12),
        nose_style=pick(rng, NOSE_STYLES),
        nose_level=rng.uniform(0.15, 0.28),
        nose_size=rng.uniform(0.1, 0.17),
        mouth_level=rng.uniform(0.45, 0.58),
        mouth_width=rng.uniform(0.28, 0.45),
        smile=rng.uniform(-0.1, 0.4),
        lip_colour=mix(skin, (185, 60, 75), rng.uniform(0.35, 0.75)),
        lip_thickness=rng.uniform(0.025, 0.06),
        ear_size=rng.uniform(0.16, 0.24),
        blush=bool(rng.uniform() < 0.35),
        shirt_colour=shirt_colour,
        glasses=hsv_colour(rng.uniform(), 0.5, rng.uniform(0.1, 0.5)) if rng.uniform() < 0.3 else None,
        earrings=pick(rng, earring_colours) if rng.uniform() < 0.3 else None,
        hat=hsv_colour(rng.uniform(), rng.uniform(0.4, 0.8), rng.uniform(0.3, 0.8)) if rng.uniform() < 0.2 else None,
        background=sample_background(rng, avoid=(skin, shirt_colour)),
    )


def sample_face_motion(seed: SeedLike, num_frames: int) -> list:
    """Smooth head motion with blinks, talking and brow movements: ``num_frames`` FacePose.

    Amplitudes keep every identity's face inside the frame: at most 0.06 (x) and 0.04 (y) frame units of
    translation, 12 degrees of rotation, 6% of scale.
    """
    rng = as_rng(seed)
    amount = rng.uniform(0.5, 1.0)  # how much this clip moves
    # Syllables (fast) within phrases and pauses (slow).
    talking = unit_signal(rng, num_frames, periods=(40, 120)) * unit_signal(rng, num_frames, periods=(6, 16)) ** 2
    tracks = {
        "dx": 0.06 * amount * smooth_signal(rng, num_frames),
        "dy": 0.04 * amount * smooth_signal(rng, num_frames),
        "angle": 12.0 * amount * smooth_signal(rng, num_frames),
        "scale": 1.0 + 0.06 * smooth_signal(rng, num_frames),
        "yaw": 0.7 * smooth_signal(rng, num_frames, periods=(30, 90)),
        "eye_openness": blinks(rng, num_frames) * (1.0 - 0.2 * unit_signal(rng, num_frames)),  # blinks and squints
        "mouth_opening": talking,
        "brow_raise": 0.8 * smooth_signal(rng, num_frames, periods=(30, 100)),
    }
    return [FacePose(**{name: float(values[t]) for name, values in tracks.items()}) for t in range(num_frames)]


@dataclass(frozen=True)
class FaceLayout:
    """Where the features of a face are in one pose, in head coordinates.

    Eye and brow frames are mirrored on the left, so that their local +x always points away from the nose.
    """

    chin: float  # y of the chin; the jaw drops as the mouth opens
    eyes: tuple  # (left, right) (3, 3) matrices: eye frame -> head coordinates
    eye_radii: tuple  # (rx, ry)
    openness: float
    gaze: float  # sideways shift of the irises in the eye frames, frame units
    brows: tuple  # (left, right) (3, 3) matrices: brow frame -> head coordinates
    brow_length: float  # brow half-length
    nose_tip: np.ndarray  # (2,)
    nose_bridge: np.ndarray  # (2,)
    mouth: np.ndarray  # (2,) mouth centre
    mouth_width: float  # mouth half-width
    mouth_opening: float  # frame units, between the inner lips


def mirrored_frame(origin, side: int, lift: float = 0.0) -> np.ndarray:
    """Local frame at ``origin`` whose +x points outwards (``side`` -1 left, +1 right), turned so that its
    outer end rises by ``lift`` degrees."""
    return affine(origin) @ affine(scale=(side, 1.0)) @ affine(angle=-lift)


def face_layout(identity: FaceIdentity, pose: FacePose) -> FaceLayout:
    """Feature positions: the identity's proportions, moved by the pose's expression."""
    width, height = identity.face_width, identity.face_height
    shift = pose.yaw * width
    rx = identity.eye_size * width
    ry = rx * identity.eye_aspect
    eye_y, brow_lift = identity.eye_level * height, 0.06 * height * pose.brow_raise
    eyes, brows = [], []
    for side in (-1, 1):
        centre = (side * identity.eye_spacing * width + YAW_SHIFT_FEATURES * shift, eye_y)
        eyes.append(mirrored_frame(centre, side, identity.eye_tilt))
        brow_y = eye_y - ry - identity.brow_gap * height - brow_lift
        brows.append(mirrored_frame((centre[0], brow_y), side, lift=-12.0 * pose.brow_raise))
    return FaceLayout(
        chin=height * (1 + 0.08 * pose.mouth_opening),
        eyes=tuple(eyes),
        eye_radii=(rx, ry),
        openness=float(np.clip(pose.eye_openness, 0, 1)),
        gaze=0.2 * rx * pose.yaw,
        brows=tuple(brows),
        brow_length=1.2 * rx,
        nose_tip=np.array([YAW_SHIFT_NOSE * shift, identity.nose_level * height]),
        nose_bridge=np.array([YAW_SHIFT_FEATURES * shift, eye_y + 0.5 * ry]),
        mouth=np.array([YAW_SHIFT_FEATURES * shift, identity.mouth_level * height]),
        mouth_width=identity.mouth_width * width * (1 - 0.15 * pose.mouth_opening),
        mouth_opening=0.2 * height * pose.mouth_opening,
    )


def head_transform(pose: FacePose) -> np.ndarray:
    """(3, 3): head coordinates -> frame units."""
    return affine((HEAD_CENTRE[0] + pose.dx, HEAD_CENTRE[1] + pose.dy), pose.angle, pose.scale)


def face_outline(identity: FaceIdentity, chin: float, num_points: int = 72) -> np.ndarray:
    """An ellipse whose lower half reaches down to ``chin`` and is narrowed or squared by the jaw."""
    t = np.linspace(0, 2 * np.pi, num_points, endpoint=False)
    lower = np.maximum(np.sin(t), 0) ** 2  # 0 on the upper half, 1 at the chin
    x = identity.face_width * np.cos(t) * (1 - identity.jaw * lower)
    y = np.where(np.sin(t) > 0, chin, identity.face_height) * np.sin(t)
    return np.stack([x, y], axis=1)


def hair_on_top(identity: FaceIdentity, spikes: int = 0) -> np.ndarray:
    """Hair on top of the head down to the hairline; with ``spikes``, a zigzag outer edge."""
    width, height = identity.face_width, identity.face_height
    sideburn = 0.25  # radians below the horizontal where the hair ends on the sides
    t = np.linspace(np.pi - sideburn, 2 * np.pi + sideburn, 2 * spikes + 1 if spikes else 40)
    reach = 1.07 + (0.25 * (np.arange(len(t)) % 2) if spikes else 0)  # spike tips at odd points
    outer = np.stack([reach * width * np.cos(t), reach * height * np.sin(t)], axis=1)
    side_x, side_y = 0.97 * width * np.cos(sideburn), height * np.sin(sideburn)
    u = np.linspace(1, -1, 25)
    middle_y = -identity.hairline * height
    hairline = np.stack([u * side_x, middle_y + (side_y - middle_y) * np.abs(u) ** 4], axis=1)  # flat, then down
    return np.concatenate([outer, hairline])


def hair_back(identity: FaceIdentity) -> np.ndarray:
    """A bob: rounded mass around the head, cut straight at the jaw."""
    width, height = identity.face_width, identity.face_height
    outline = superellipse((0, -0.05 * height), (1.25 * width, 1.15 * height), exponent=2.6)
    outline[:, 1] = np.minimum(outline[:, 1], 0.55 * height)
    return outline


def hat(identity: FaceIdentity) -> list:
    """A brimmed hat: a tapered crown with a band, on a flat elliptic brim."""
    width, height = identity.face_width, identity.face_height
    brim, crown_height, band_height = -0.7 * height, 0.55 * height, 0.14 * height

    def crown_slice(depth: float) -> np.ndarray:
        """The crown from the brim up to ``depth``; its sides taper from 0.75 to 0.62 face half-widths."""
        bottom, top = 0.75 * width, (0.75 - 0.13 * depth / crown_height) * width  # half-widths
        return np.array([[-bottom, brim], [bottom, brim], [top, brim - depth], [-top, brim - depth]])

    return [
        Shape.of(crown_slice(crown_height), identity.hat),
        Shape.of(crown_slice(band_height), shade(identity.hat, 0.6)),
        Shape.of(ellipse((0, brim), (1.3 * width, 0.08 * height)), shade(identity.hat, 0.85)),
    ]


def bust(identity: FaceIdentity, pose: FacePose, head: np.ndarray) -> list:
    """Neck and shoulders in frame units: the shoulders follow the head's translation at a fraction of it."""
    width, height = identity.face_width, identity.face_height
    body = affine((HEAD_CENTRE[0] + 0.5 * pose.dx, HEAD_CENTRE[1] + 0.3 * pose.dy))
    top = 1.15 * height + 0.04  # shoulder line below the face centre
    neck_width = 0.36 * width
    neck = np.concatenate(
        [
            transform(head, [[-neck_width, 0.5 * height], [neck_width, 0.5 * height]]),
            transform(body, [[1.1 * neck_width, top + 0.03], [-1.1 * neck_width, top + 0.03]]),
        ]
    )
    skin_shadow = shade(identity.skin, 0.85)
    shirt = superellipse((0, top + 0.32), (0.38, 0.32), exponent=2.6)
    collar = np.array([[-1.1 * neck_width, top - 0.005], [1.1 * neck_width, top - 0.005], [0, top + 0.07]])
    return [Shape.of(neck, skin_shadow)] + transform_all(
        body, [Shape.of(shirt, identity.shirt_colour), Shape.of(collar, skin_shadow)]
    )


def ears(identity: FaceIdentity) -> list:
    width, height = identity.face_width, identity.face_height
    shapes = []
    for side in (-1, 1):
        centre = np.array([side * 0.97 * width, (identity.eye_level + 0.12) * height])
        radii = np.array([0.55, 1.0]) * identity.ear_size * height
        shapes += [
            Shape.of(ellipse(centre, radii, num_points=24), identity.skin),
            Shape.of(ellipse(centre, 0.55 * radii, num_points=16), shade(identity.skin, 0.82)),
        ]
        if identity.earrings is not None:
            hoop = circle(centre + (0, radii[1] + 0.045 * width), 0.05 * width, num_points=16)
            shapes.append(Shape.of(stroke(hoop, 0.02 * width, closed=True), identity.earrings))
    return shapes


def eye(identity: FaceIdentity, layout: FaceLayout, frame: np.ndarray, side: int) -> list:
    """One eye in head coordinates: white, iris, pupil, glint, then the upper lid closing over them."""
    rx, ry = layout.eye_radii
    iris_radius = min(0.6 * rx, 0.9 * ry)
    iris = np.array([side * layout.gaze, 0.0])
    upper = np.linspace(np.pi, 2 * np.pi, 24)  # the upper half of the eye outline, left to right
    lid_edge = np.stack([rx * np.cos(upper), (2 * layout.openness - 1) * ry * np.sin(upper)], axis=1)
    lid_top = np.stack([1.1 * rx * np.cos(upper), 1.15 * ry * np.sin(upper)], axis=1)  # hides the white's edge
    shapes = [
        Shape.of(ellipse((0, 0), (rx, ry), num_points=40), EYE_WHITE),
        Shape.of(circle(iris, iris_radius, num_points=28), identity.iris_colour),
        Shape.of(circle(iris, 0.5 * iris_radius, num_points=20), PUPIL),
        Shape.of(circle(iris - 0.35 * iris_radius, 0.2 * iris_radius, num_points=12), EYE_WHITE),  # glint
        Shape.of(np.concatenate([lid_top, lid_edge[::-1]]), identity.skin),
        Shape.of(stroke(lid_edge, 0.25 * ry + 0.004), shade(identity.brow_colour, 0.6)),  # lashes
    ]
    return transform_all(frame, shapes)


def brow(identity: FaceIdentity, layout: FaceLayout, frame: np.ndarray) -> Shape:
    """A tapered arc, thick at its inner end."""
    length = layout.brow_length
    x = np.linspace(-length, length, 20)
    centreline = np.stack([x, -identity.brow_arch * length * (1 - (x / length) ** 2)], axis=1)
    thickness = identity.brow_thickness * identity.face_height * (1.0 - 0.5 * (x + length) / (2 * length))
    return Shape.of(transform(frame, stroke(centreline, thickness)[0]), identity.brow_colour)


def nose(identity: FaceIdentity, layout: FaceLayout) -> list:
    tip, bridge = layout.nose_tip, layout.nose_bridge
    half_width = identity.nose_size * identity.face_width
    shadow = shade(identity.skin, 0.82)
    if identity.nose_style == "button":
        ball = ellipse(tip - (0, 0.35 * half_width), (0.75 * half_width, 0.65 * half_width), num_points=24)
        nostrils = [circle(tip + np.array([side * 0.5, 0.1]) * half_width, 0.22 * half_width, 12) for side in (-1, 1)]
        return [Shape.of(ball, shadow), Shape.of(nostrils, shade(identity.skin, 0.55))]
    if identity.nose_style == "triangle":
        return [Shape.of(np.array([bridge, tip + (0.5 * half_width, 0), tip - (half_width, 0)]), shadow)]
    bend = bridge + 0.3 * (tip - bridge) + (0.2 * half_width, 0)
    hook = np.array([bridge, bend, tip, tip - (0.7 * half_width, 0.25 * half_width)])
    return [Shape.of(stroke(hook, 0.3 * half_width), shade(identity.skin, 0.65))]


def mouth_curves(identity: FaceIdentity, layout: FaceLayout, num_points: int = 25):
    """Upper and lower outer lip edges, inner lip edges and the closed-mouth line, each (num_points, 2) left
    to right."""
    half_width, opening = layout.mouth_width, layout.mouth_opening
    u = np.linspace(-1, 1, num_points)
    middle = 1 - u**2  # 0 at the corners
    x = layout.mouth[0] + half_width * u
    line = layout.mouth[1] - identity.smile * half_width * u**2
    lip = identity.lip_thickness * identity.face_height * np.sqrt(middle)
    upper_inner, lower_inner = line - 0.25 * opening * middle, line + 0.75 * opening * middle
    curves = {
        "upper_outer": upper_inner - 0.7 * lip,
        "lower_outer": lower_inner + lip,
        "upper_inner": upper_inner,
        "lower_inner": lower_inner,
        "line": line,
        "teeth": upper_inner + 0.35 * (lower_inner - upper_inner),  # lower edge of the upper teeth
    }
    return {name: np.stack([x, y], axis=1) for name, y in curves.items()}


def mouth(identity: FaceIdentity, layout: FaceLayout) -> list:
    """Lips; the closed-mouth line; then the inside and the upper teeth, which have no area when closed."""
    c = mouth_curves(identity, layout)
    return [
        Shape.of(np.concatenate([c["upper_outer"], c["lower_outer"][::-1]]), identity.lip_colour),
        Shape.of(stroke(c["line"], 0.02 * identity.face_height), shade(identity.lip_colour, 0.5)),
        Shape.of(np.concatenate([c["upper_inner"], c["lower_inner"][::-1]]), MOUTH_INSIDE),
        Shape.of(np.concatenate([c["upper_inner"], c["teeth"][::-1]]), TEETH),
    ]


def glasses(identity: FaceIdentity, layout: FaceLayout) -> list:
    rx, ry = layout.eye_radii
    rim_width = 0.03 * identity.face_width
    lens_radii = (1.45 * rx, 1.2 * ry + 0.35 * rx)
    lenses, rims, ends = [], [], []
    for frame in layout.eyes:
        lens = transform(frame, superellipse((0, 0), lens_radii, exponent=3.0, num_points=40))
        lenses.append(lens)
        rims += stroke(lens, rim_width, closed=True)
        ends.append(transform(frame, [[-lens_radii[0], 0], [lens_radii[0], 0]]))  # inner, outer
    bridge = np.array([ends[0][0], (ends[0][0] + ends[1][0]) / 2 - (0, 0.2 * ry), ends[1][0]])
    temples = [np.array([end[1], (np.sign(end[1][0]) * identity.face_width, end[1][1])]) for end in ends]
    rims += stroke(bridge, rim_width) + [c for temple in temples for c in stroke(temple, rim_width)]
    return [Shape.of(lenses, (200, 225, 255), opacity=0.2), Shape.of(rims, identity.glasses)]


def blush(identity: FaceIdentity, layout: FaceLayout) -> Shape:
    width, height = identity.face_width, identity.face_height
    radii = (0.15 * width, 0.08 * height)
    cheeks = [ellipse((layout.mouth[0] + side * 0.58 * width, 0.25 * height), radii, num_points=20) for side in (-1, 1)]
    return Shape.of(cheeks, (240, 110, 120), opacity=0.35)


def face_scene(identity: FaceIdentity, pose: FacePose):
    """One frame: the shapes, back to front, and the landmarks (len(FACE_LANDMARKS), 2), all in frame units."""
    layout = face_layout(identity, pose)
    head = head_transform(pose)
    behind = [Shape.of(hair_back(identity), identity.hair_colour)] if identity.hair_style == "bob" else []
    local = [] if identity.hair_style == "bob" else ears(identity)  # a bob covers the ears
    local += [Shape.of(face_outline(identity, layout.chin), identity.skin)]
    if identity.blush:
        local.append(blush(identity, layout))
    local += nose(identity, layout) + mouth(identity, layout)
    for side, frame in zip((-1, 1), layout.eyes):
        local += eye(identity, layout, frame, side)
    if identity.glasses is not None:
        local += glasses(identity, layout)
    if identity.hair_style != "none":
        spikes = 9 if identity.hair_style == "spiky" else 0
        local.append(Shape.of(hair_on_top(identity, spikes), identity.hair_colour))
    local += [brow(identity, layout, frame) for frame in layout.brows]
    if identity.hat is not None:
        local += hat(identity)
    shapes = transform_all(head, behind) + bust(identity, pose, head) + transform_all(head, local)
    return shapes, transform(head, face_landmarks_in_head(identity, layout))


def face_landmarks_in_head(identity: FaceIdentity, layout: FaceLayout) -> np.ndarray:
    """(len(FACE_LANDMARKS), 2) in head coordinates."""
    rx, ry = layout.eye_radii
    (left_eye, right_eye), (left_brow, right_brow) = layout.eyes, layout.brows
    lid = [0.0, -(2 * layout.openness - 1) * ry]
    brow_middle = [0.0, -identity.brow_arch * layout.brow_length]
    lips = mouth_curves(identity, layout)
    middle = len(lips["line"]) // 2
    points = [
        (0.0, 0.0),
        (0.0, layout.chin),
        transform(left_eye, (0, 0)),
        transform(right_eye, (0, 0)),
        transform(left_eye, (rx, 0)),
        transform(left_eye, (-rx, 0)),
        transform(right_eye, (-rx, 0)),
        transform(right_eye, (rx, 0)),
        transform(left_eye, lid),
        transform(right_eye, lid),
        transform(left_brow, brow_middle),
        transform(right_brow, brow_middle),
        layout.nose_tip,
        lips["line"][0],
        lips["line"][-1],
        lips["upper_outer"][middle],
        lips["lower_outer"][middle],
    ]
    return np.array(points, dtype=np.float64)


def render_face(identity: FaceIdentity, pose: FacePose, size: int):
    """One frame: (image uint8 (size, size, 3), landmarks (len(FACE_LANDMARKS), 2) in pixels)."""
    return render_frame(render_background(identity.background, size), *face_scene(identity, pose), size)
