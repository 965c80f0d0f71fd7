"""The backends that run a pipeline's networks, their precisions, and the folders of exported graphs they read
(cheap to import: the command line and the app's settings check them before anything is loaded)."""

from pathlib import Path

from ..errors import InvalidInputError

BACKENDS = ("pytorch", "onnxruntime", "openvino")  # pytorch: the models themselves; the others: exported graphs
PRECISIONS = ("float32", "bfloat16", "int8")  # of exported graphs (bfloat16 and int8 on OpenVINO)
EXPORT_RECORD = "export.json"  # beside the graphs of an exported folder: what they are (exporting.ExportRecord)
EXTRAS = {"onnxruntime": "onnx", "openvino": "openvino", "nncf": "openvino"}  # pip install 'fomm_hf[extra]'


def check_backend(backend: str, int8: bool) -> None:
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}.")
    if int8 and backend != "openvino":
        raise InvalidInputError("int8 runs on the openvino backend (backend='openvino').")


def install_hint(package: str) -> str:
    """How to install a backend's package (or NNCF, which makes int8 graphs)."""
    return f"pip install 'fomm_hf[{EXTRAS[package]}]' (or pip install {package})"


def is_exported_folder(folder) -> bool:
    """Whether ``folder`` holds exported graphs (``fomm export`` wrote it)."""
    return (Path(folder) / EXPORT_RECORD).is_file()


def check_export_destination(output) -> None:
    """Raises InvalidInputError where graphs cannot be written to the folder ``output`` without loss: a file, or
    a folder that holds other things than an earlier export (which is replaced)."""
    output = Path(output)
    existing = next(folder for folder in (output.absolute(), *output.absolute().parents) if folder.exists())
    if not existing.is_dir():
        raise InvalidInputError(f"Cannot write the graphs to {output}: {existing} is a file.")
    if existing == output.absolute() and any(output.iterdir()) and not is_exported_folder(output):
        raise InvalidInputError(f"Cannot write the graphs to {output}: it is not empty and holds no export to "
                                "replace; give a new folder (e.g. the onnx/ or openvino/ subfolder of a pipeline "
                                "folder).")
