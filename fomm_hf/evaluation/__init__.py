"""Measuring models: on procedural clips with exact ground truth, and by reconstruction of test videos."""

from .procedural_set import ProceduralEvaluation, markdown_table
from .reconstruction import evaluate_reconstruction, reconstruction_summary

__all__ = ["ProceduralEvaluation", "evaluate_reconstruction", "markdown_table", "reconstruction_summary"]
