"""The procedural categories behind one interface, and the seeds that make every clip reproducible.

A clip is an identity (how it looks) performing a motion (a list of poses). Both come from seeds derived
from (category, split, index, seed), so ``category.render(identity_a, poses_b, size)`` is the exact
ground truth of identity A animated by the motion of clip B.

What "A driven by B" keeps of B, exactly (landmarks in pixels):

- cartoon-face: the head transform. Landmarks are the head transform of the pose applied to the identity's
  feature positions for the pose's expression (yaw, eyes, mouth, brows), so the ``face_centre`` trajectory
  is B's, the eye line turns with B's head angle, and ``distance(left_eye, right_eye)`` is B's times a
  constant (the ratio of A's and B's eye spacings, ``eye_spacing * face_width``).
- puppet: the skeleton's motion. The ``pelvis`` trajectory is B's, and so is the direction of every bone
  in ``BONES``; bone lengths are A's.
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..categories import DRAWN_CATEGORIES, current_name
from ..errors import InvalidInputError
from ..option_values import check_whole_number
from .backgrounds import render_background
from .cartoon_faces import FACE_LANDMARKS, face_scene, sample_face_identity, sample_face_motion
from .puppets import PUPPET_LANDMARKS, puppet_scene, sample_puppet_identity, sample_puppet_motion
from .rasterizer import render_frame

MIN_SIZE = 16  # pixels: below this the faces' features vanish


@dataclass(frozen=True)
class Category:
    """One kind of procedural video: how to sample identities and motions, and how to draw them."""

    name: str  # a category of fomm_hf.categories
    seed_name: str  # the name its clips' seeds are derived from (its name in earlier versions: the same clips)
    landmark_names: tuple
    sample_identity: Callable  # (seed or np.random.Generator) -> identity
    sample_motion: Callable  # (seed or np.random.Generator, num_frames) -> list of poses
    scene: Callable  # (identity, pose) -> (shapes, landmarks (L, 2)), frame units

    def render(self, identity, poses, size: int):
        """``identity`` performing ``poses``: frames uint8 (N, size, size, 3) and landmarks float (N, L, 2)
        in pixels, (0, 0) being the top-left corner of the image."""
        check_whole_number("size", size, minimum=MIN_SIZE)
        background = render_background(identity.background, size)
        frames = np.empty((len(poses), size, size, 3), dtype=np.uint8)
        landmarks = np.empty((len(poses), len(self.landmark_names), 2))
        for t, pose in enumerate(poses):
            frames[t], landmarks[t] = render_frame(background, *self.scene(identity, pose), size)
        return frames, landmarks

    def sample_clip(self, split: str, index: int, num_frames: int, seed: int = 0):
        """(identity, poses) of clip ``index`` of ``split``; see ``clip_seeds``."""
        check_whole_number("num_frames", num_frames, minimum=1)
        identity_seed, motion_seed = clip_seeds(self.seed_name, split, index, seed)
        return self.sample_identity(identity_seed), self.sample_motion(motion_seed, num_frames)


DRAWN = {
    "cartoon-face": Category("cartoon-face", "faces", FACE_LANDMARKS, sample_face_identity, sample_face_motion,
                             face_scene),
    "puppet": Category("puppet", "puppets", PUPPET_LANDMARKS, sample_puppet_identity, sample_puppet_motion,
                       puppet_scene),
}


def get_category(name: str) -> Category:
    """The procedural category called ``name`` (earlier spellings, "faces" and "puppets", accepted)."""
    if current_name(name) not in DRAWN_CATEGORIES:
        raise InvalidInputError(f"No procedural data of the category {name!r}: choose one of "
                                f"{', '.join(DRAWN_CATEGORIES)}.")
    return DRAWN[current_name(name)]


def clip_seeds(seed_name: str, split: str, index: int, seed: int = 0):
    """(identity seed, motion seed) of clip ``index`` of ``split`` of the category whose seeds come from
    ``seed_name``: a different pair for every category, split, index and seed, and always the same pair for the
    same ones."""
    check_whole_number("index", index, minimum=0)
    check_whole_number("seed", seed, minimum=0)
    words = [seed, zlib.crc32(seed_name.encode()), zlib.crc32(split.encode()), index]
    identity_seed, motion_seed = np.random.SeedSequence(words).generate_state(2)
    return int(identity_seed), int(motion_seed)
