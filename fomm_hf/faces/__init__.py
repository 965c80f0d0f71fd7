"""Real faces in frames, by dlib's models (the optional extra fomm_hf[faces]): where the face of each frame is, its
68 landmarks and its 128-d identity embedding, for the face metrics (:mod:`fomm_hf.evaluation.face_metrics`) and
the choice of the best frame.

The extra installs dlib (the prebuilt wheels of dlib-bin, Boost licence) and face_recognition_models, which holds
dlib's trained models; its 68-point landmark model was trained on iBUG 300-W, whose licence excludes commercial
use, so the extra is never a default dependency. Importing this package imports neither (nor PyTorch): whatever
needs them raises :class:`~fomm_hf.errors.MissingExtraError`, one line that names the extra, where it is missing.

- :mod:`.finding`: the face of each frame, followed from frame to frame, its landmarks and embedding;
- :mod:`.dlib_network`: dlib's embedding network in PyTorch, read from dlib's file (the same embeddings, in
  batches, much faster than dlib's own: docs/metrics.md).
"""

from .finding import (
    FaceLandmarks,
    Faces,
    face_landmarks,
    face_size,
    faces_available,
    find_faces,
    identity_embedding,
    require_extra,
    why_no_faces,
)

__all__ = ["FaceLandmarks", "Faces", "face_landmarks", "face_size", "faces_available", "find_faces",
           "identity_embedding", "require_extra", "why_no_faces"]
