"""The backends that run a pipeline's networks, and their precisions (cheap to import: the command line and the
app's settings check them before anything is loaded)."""

from ..errors import InvalidInputError

BACKENDS = ("pytorch", "onnxruntime", "openvino")  # pytorch: the models themselves; the others: exported graphs
PRECISIONS = ("float32", "bfloat16", "int8")  # of exported graphs (bfloat16 and int8 on OpenVINO)
EXTRAS = {"onnxruntime": "onnx", "openvino": "openvino", "nncf": "openvino"}  # pip install 'fomm_hf[extra]'


def check_backend(backend: str, int8: bool) -> None:
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}.")
    if int8 and backend != "openvino":
        raise InvalidInputError("int8 runs on the openvino backend (backend='openvino').")


def install_hint(package: str) -> str:
    """How to install a backend's package (or NNCF, which makes int8 graphs)."""
    return f"pip install 'fomm_hf[{EXTRAS[package]}]' (or pip install {package})"
