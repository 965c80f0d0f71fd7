"""The backends that run a pipeline's networks, and their precisions (cheap to import: the command line and the
app's settings check them before anything is loaded)."""

BACKENDS = ("pytorch", "onnxruntime", "openvino")  # pytorch: the models themselves; the others: exported graphs
PRECISIONS = ("float32", "bfloat16", "int8")  # of exported graphs (bfloat16 and int8 on OpenVINO)
EXTRAS = {"onnxruntime": "onnx", "openvino": "openvino"}  # pip install 'fomm_hf[extra]' installs the backend
