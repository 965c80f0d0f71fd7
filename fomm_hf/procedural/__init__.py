"""Procedural videos with exact ground truth: cartoon faces and articulated puppets, written as datasets for
training and used to evaluate cross-identity animation ("identity A driven by the motion of B")."""

from .cartoon_faces import FACE_LANDMARKS, FaceIdentity, FacePose, render_face, sample_face_identity, sample_face_motion
from .dataset_writer import write_dataset
from .drawn_categories import Category, clip_seeds, get_category
from .previews import sample_grid, write_preview
from .puppets import (
    BONES,
    PUPPET_LANDMARKS,
    PuppetIdentity,
    PuppetPose,
    render_puppet,
    sample_puppet_identity,
    sample_puppet_motion,
)

__all__ = [
    "BONES",
    "FACE_LANDMARKS",
    "PUPPET_LANDMARKS",
    "Category",
    "FaceIdentity",
    "FacePose",
    "PuppetIdentity",
    "PuppetPose",
    "clip_seeds",
    "get_category",
    "render_face",
    "render_puppet",
    "sample_face_identity",
    "sample_face_motion",
    "sample_grid",
    "sample_puppet_identity",
    "sample_puppet_motion",
    "write_dataset",
    "write_preview",
]
