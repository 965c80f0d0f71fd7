"""Exporting the networks to ONNX and OpenVINO (``fomm export``), and quantizing them to int8.

Its names are imported on first use (with torch), so that :mod:`.backends` is cheap to import.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_EXPORTS = {
    "FORMATS": "fomm_hf.export.exporting",
    "GRAPH_NAMES": "fomm_hf.export.graphs",
    "ExportRecord": "fomm_hf.export.exporting",
    "export_graphs": "fomm_hf.export.exporting",
    "exported_folder": "fomm_hf.export.exporting",
    "quantize_int8": "fomm_hf.export.exporting",
}
__all__ = ["FORMATS", "GRAPH_NAMES", "ExportRecord", "export_graphs", "exported_folder", "quantize_int8"]

if TYPE_CHECKING:
    from .exporting import FORMATS, ExportRecord, export_graphs, exported_folder, quantize_int8
    from .graphs import GRAPH_NAMES

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
