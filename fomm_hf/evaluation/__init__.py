"""Measuring models: on procedural clips with exact ground truth, by reconstruction of test videos, and by the face
metrics of real faces (the extra fomm_hf[faces])."""

from .face_metrics import AnimationFaceScores, FaceReconstructionMetrics, face_reconstruction_metrics, score_animation
from .procedural_set import ProceduralEvaluation, markdown_table
from .reconstruction import evaluate_reconstruction, reconstruction_summary

__all__ = ["AnimationFaceScores", "FaceReconstructionMetrics", "ProceduralEvaluation", "evaluate_reconstruction",
           "face_reconstruction_metrics", "markdown_table", "reconstruction_summary", "score_animation"]
