"""The engine on exported graphs: ONNX Runtime or OpenVINO in place of PyTorch for the networks.

:class:`ExportedEngine` is a :class:`~fomm_hf.animation.StreamingEngine` like the PyTorch
:class:`~fomm_hf.animation.TorchEngine`, so that the pipeline streams a video through either the same way;
the keypoints' motion transfer between the graphs stays in PyTorch (a few numbers per frame).
"""

import warnings
from typing import Dict, List

import numpy as np
import torch

from ..errors import InvalidInputError
from ..export.backends import PRECISIONS, install_hint
from ..export.exporting import ExportRecord
from ..export.graphs import graph_signatures
from ..motion import KeypointOutput
from .engine import EncodedSource, StreamingEngine


def import_backend(backend: str):
    """The backend's Python package, or a message that says how to install it."""
    import importlib

    try:
        return importlib.import_module(backend)
    except ImportError:
        message = f"The {backend} backend needs the {backend} package: {install_hint(backend)}."
        raise InvalidInputError(message) from None


def openvino_has_bf16() -> bool:
    openvino = import_backend("openvino")
    return "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def exported_precision(backend: str, fast: bool) -> str:
    """The precision of exported graphs for the fast mode or not: bfloat16 where OpenVINO has it on this CPU."""
    if not fast:
        return "float32"
    if backend == "openvino" and openvino_has_bf16():
        return "bfloat16"
    warnings.warn(f"{backend} has no fast reduced-precision arithmetic on this CPU: fast mode runs in float32.")
    return "float32"


class GraphRunner:
    """The three graphs of an exported folder, compiled for one backend: ``run(graph, inputs)`` -> outputs.

    ONNX Runtime runs ``.onnx`` graphs in float32. OpenVINO runs ``.onnx`` or its own ``.xml`` graphs, in
    float32 (its CPU plugin would otherwise pick bfloat16 by itself where the CPU has it), in bfloat16 where
    the CPU has it, or int8 graphs (quantized by :func:`fomm_hf.export.quantize_int8`).
    """

    def __init__(self, folder, backend: str, precision: str = "float32"):
        self.record = ExportRecord.read(folder)
        self.backend, self.precision = backend, precision
        if precision not in PRECISIONS:
            raise InvalidInputError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}.")
        if (precision == "int8") != (self.record.precision == "int8"):
            raise InvalidInputError(f"{folder} holds {self.record.precision} graphs, not {precision} ones.")
        self.signatures = graph_signatures(self.record.with_jacobians)
        extension = ".xml" if self.record.format == "openvino" else ".onnx"
        paths = {name: folder / f"{name}{extension}" for name in self.signatures}
        if backend == "onnxruntime":
            if self.record.format != "onnx" or precision != "float32":
                raise InvalidInputError("ONNX Runtime runs float32 ONNX graphs (fomm export --format onnx).")
            onnxruntime = import_backend("onnxruntime")
            sessions = {name: onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
                        for name, path in paths.items()}
            self._run = lambda name, inputs: sessions[name].run(None, inputs)
        elif backend == "openvino":
            openvino = import_backend("openvino")
            core = openvino.Core()
            hint = {"float32": "f32", "bfloat16": "bf16", "int8": "f32"}[precision]
            if precision == "bfloat16" and not openvino_has_bf16():
                raise InvalidInputError("This CPU has no bfloat16 arithmetic for OpenVINO: use float32 or int8.")
            compiled = {name: core.compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": hint})
                        for name, path in paths.items()}
            self._run = lambda name, inputs: list(compiled[name](inputs).values())
        else:
            raise InvalidInputError(f"Exported graphs run on onnxruntime or openvino; got {backend!r}.")

    def run(self, graph: str, inputs: Dict[str, np.ndarray]) -> List[np.ndarray]:
        return self._run(graph, inputs)


def keypoint_arrays(prefix: str, keypoints: KeypointOutput) -> Dict[str, np.ndarray]:
    arrays = {f"{prefix}_value": keypoints.value.float().numpy()}
    if keypoints.jacobian is not None:
        arrays[f"{prefix}_jacobian"] = keypoints.jacobian.float().numpy()
    return arrays


def generator_inputs(source: EncodedSource, kp_target: KeypointOutput) -> Dict[str, np.ndarray]:
    """The frame generator's inputs that move ``source`` to the batch of keypoints ``kp_target``."""
    return {"source": source.image.numpy(), "source_features": source.features.numpy(),
            **keypoint_arrays("kp_source", source.keypoints), **keypoint_arrays("kp_driving", kp_target)}


def graph_inputs(source: EncodedSource, frames: torch.Tensor, kp_target: KeypointOutput) -> Dict[str, dict]:
    """{graph: its inputs} when ``frames`` (B, 3, H, W) are animated from ``source`` to ``kp_target``: int8
    calibration data."""
    return {
        "keypoints": {"frames": frames.float().cpu().contiguous().numpy()},
        "source_encoder": {"source": source.image.numpy()},
        "frame_generator": generator_inputs(source, kp_target),
    }


class ExportedEngine(StreamingEngine):
    """A :class:`GraphRunner`'s graphs as an engine (CPU, float32 tensors in and out)."""

    def __init__(self, runner: GraphRunner):
        self.runner = runner
        self.device, self.dtype = torch.device("cpu"), torch.float32

    @property
    def precision(self) -> str:
        return f"{self.runner.backend} {self.runner.precision}"

    @torch.inference_mode()
    def encode_source(self, source: torch.Tensor) -> EncodedSource:
        image = source.float().cpu().contiguous()
        features = self.runner.run("source_encoder", {"source": image.numpy()})[0]
        return EncodedSource(image=image, keypoints=self.detect(image), features=torch.from_numpy(features))

    @torch.inference_mode()
    def detect(self, frames: torch.Tensor) -> KeypointOutput:
        outputs = self.runner.run("keypoints", {"frames": frames.float().cpu().contiguous().numpy()})
        return KeypointOutput(*(torch.from_numpy(output) for output in outputs))

    @torch.inference_mode()
    def generate(self, source: EncodedSource, kp_target: KeypointOutput) -> torch.Tensor:
        return torch.from_numpy(self.runner.run("frame_generator", generator_inputs(source, kp_target))[0])
