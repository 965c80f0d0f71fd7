"""The engines a pipeline animates with, built once, and the exported graphs they may run.

An engine is made for one precision (PyTorch) or one backend and precision (exported graphs) of the pipeline's
components as they are now; the cache keeps it while the components' tensors stay the same (:func:`tensor_versions`)
and drops every engine when they change (``pipe.to(...)``, new weights, training steps).

Exported graphs (``onnx/``, ``openvino/``, ``openvino-int8/``) are looked for in the pipeline's folder, then in
the Hub repository it came from, then in ``$FOMM_CACHE/exported/<weights hash>/``, where graphs exported here on
first use are kept, keyed by :func:`weights_sha256` so that they are never used for other weights.
"""

import hashlib
import itertools
import json
import os
import threading
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch

from ..animation import StreamingEngine, TorchEngine, Variant, fast_variant, inference_dtype
from ..animation.engine import EncodedSource
from ..animation.exported import ExportedEngine, GraphRunner, exported_precision, graph_inputs
from ..errors import InvalidInputError
from ..export import export_graphs, exported_folder, quantize_int8
from ..export.backends import check_backend, is_exported_folder
from ..model_store import BUNDLED_MODEL, cache_dir
from ..model_store.conversion_cache import tell
from ..motion import MotionOptions, transfer_motion

CALIBRATION_FRAMES = 32  # driving frames that calibrate int8 graphs made on first use
FORMAT_OF_BACKEND = {"onnxruntime": "onnx", "openvino": "openvino"}


def tensor_versions(*models: torch.nn.Module) -> tuple:
    """Changes when a model's tensors are replaced, moved, cast or modified in place (new weights)."""
    versions = []
    for model in models:
        for tensor in itertools.chain(model.parameters(), model.buffers()):
            try:
                version = tensor._version  # bumped by every in-place change (load_state_dict, optimizer steps)
            except RuntimeError:  # an inference tensor: it cannot change in place
                version = None
            versions.append((id(tensor), tensor.data_ptr(), tensor.device, tensor.dtype, version))
    return tuple(versions)


def weights_sha256(kp_detector, generator, image_size: int) -> str:
    """A short SHA-256 of the components' configs and weights, and the image size: what exported graphs depend
    on."""
    digest = hashlib.sha256(str(image_size).encode())
    for model in (kp_detector, generator):
        digest.update(json.dumps(dict(model.config), sort_keys=True, default=str).encode())
        for name, tensor in model.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def graphs_name(export_format: str, int8: bool = False) -> str:
    """The subfolder of a pipeline folder that holds graphs: "onnx", "openvino" or "openvino-int8"."""
    return f"{export_format}-int8" if int8 else export_format


class EngineCache:
    """The engines of one pipeline (see the module). Concurrent callers (the app's requests) build an engine once."""

    def __init__(self, pipe):
        self.pipe = pipe
        self._engines: Dict[tuple, StreamingEngine] = {}  # for the tensors of _versions
        self._versions = None
        self._sha256: Optional[Tuple[tuple, str]] = None  # (tensor versions, weights_sha256) last computed
        self._lock = threading.Lock()

    def engine(self, fast: bool = False, backend: str = "pytorch", int8: bool = False,
               graphs: Optional[os.PathLike] = None) -> StreamingEngine:
        """See :meth:`FOMMPipeline.engine`. ``fast`` with the default backend runs the machine's quickest variant
        (:func:`~fomm_hf.animation.fast_variant`); where that is OpenVINO int8 and this model has no int8 graphs
        yet (:meth:`prepare_fast` makes them), float32 this time, with a warning."""
        check_backend(backend, int8)
        if graphs is not None and backend == "pytorch":
            raise InvalidInputError("graphs are exported graphs: they run with backend='onnxruntime' or 'openvino'.")
        pipe = self.pipe
        fast_variant_asked = fast and backend == "pytorch"
        fast, backend, int8 = self.run_as(fast, backend, int8)
        if fast_variant_asked and int8 and self.find_exported_graphs("openvino", int8=True) is None:
            warnings.warn("The fast variant on this CPU is OpenVINO int8, whose graphs are made from driving "
                          "frames on first use (pipe(...), animate_video, live): float32 this time.")
            fast, backend, int8 = False, "pytorch", False
        versions = tensor_versions(pipe.kp_detector, pipe.generator)
        if backend == "pytorch":
            key = (inference_dtype(pipe.device, pipe.dtype, fast),)
        else:
            key = (backend, "int8" if int8 else exported_precision(backend, fast), graphs)
        with self._lock:
            if versions != self._versions:
                self._engines.clear()
                self._versions = versions
            if key not in self._engines:
                self._engines[key] = self._build(key)
            return self._engines[key]

    def _build(self, key: tuple) -> StreamingEngine:
        if len(key) == 1:
            return TorchEngine(self.pipe.kp_detector, self.pipe.generator, self.pipe.device, key[0])
        backend, precision, graphs = key
        if graphs is None:
            graphs = self.exported_graphs(FORMAT_OF_BACKEND[backend], precision == "int8")
        return ExportedEngine(GraphRunner(Path(graphs), backend, precision))

    def fast_variant(self) -> Variant:
        """The variant ``fast`` runs with the default backend: the machine's quickest for components on the CPU in
        float32; else (a GPU, or components cast to another dtype) the PyTorch engine's own fast mode."""
        pipe = self.pipe
        if pipe.device.type == "cpu" and pipe.dtype == torch.float32:
            return fast_variant(pipe.device)
        return Variant("pytorch", str(inference_dtype(pipe.device, pipe.dtype, True)).removeprefix("torch."))

    def run_as(self, fast: bool, backend: str, int8: bool) -> Tuple[bool, str, bool]:
        """(fast, backend, int8) as they run: ``fast`` with the default backend is the machine's quickest variant
        (:meth:`fast_variant`), which may be OpenVINO's (bfloat16, or int8)."""
        if fast and backend == "pytorch" and (variant := self.fast_variant()).backend == "openvino":
            return fast, "openvino", variant.precision == "int8"
        return fast, backend, int8

    def needs_int8_graphs(self, fast: bool, backend: str = "pytorch", int8: bool = False) -> bool:
        """Whether these options run int8 graphs that this model does not have yet."""
        _, backend, int8 = self.run_as(fast, backend, int8)
        return backend == "openvino" and int8 and self.find_exported_graphs("openvino", int8=True) is None

    def prepare_fast(self, source: torch.Tensor, driving: torch.Tensor, motion: MotionOptions, batch_size: int,
                     fast: bool, backend: str = "pytorch", int8: bool = False) -> None:
        """Makes the int8 graphs these options need, if this model has none yet (first use on a machine: they are
        cached), calibrated on ``source`` (1, 3, S, S) animated by the first CALIBRATION_FRAMES of ``driving``
        (N, 3, S, S), as the models see them."""
        if self.needs_int8_graphs(fast, backend, int8):
            tell(f"{self.pipe.name or 'This model'}: first use of int8 graphs on this machine: exporting them to "
                 "OpenVINO and quantizing them, calibrated on the first driving frames (once: they are cached)")
            quantize(self.pipe, source, driving[:CALIBRATION_FRAMES], motion, batch_size, None)

    def forget_int8(self) -> None:
        """Drops the int8 engine, whose graphs are about to be replaced."""
        with self._lock:
            self._engines.pop(("openvino", "int8", None), None)

    def exported_graphs(self, export_format: str, int8: bool = False) -> Path:
        """See :meth:`FOMMPipeline.exported_graphs`."""
        found = self.find_exported_graphs(export_format, int8)
        if found is not None:
            return found
        if int8:
            raise InvalidInputError("No int8 graphs of this model yet: pipe.quantize(source_image, driving_frames) "
                                    "makes them, or animate_video(..., int8=True) with a driving video.")
        pipe = self.pipe
        return export_graphs(pipe.kp_detector, pipe.generator, pipe.image_size, self.cached_graphs(export_format),
                             export_format)

    def find_exported_graphs(self, export_format: str, int8: bool = False) -> Optional[Path]:
        """The folder :meth:`exported_graphs` gives if it exists already (nothing is exported), else None."""
        name = graphs_name(export_format, int8)
        saved = exported_folder(self.pipe.folder, name)
        if saved is None and self.pipe.hub_origin is not None:
            saved = self.pipe.hub_origin.exported_graphs(name)
        if saved is not None:
            return saved
        cached = self.cached_graphs(name)
        return cached if is_exported_folder(cached) else None

    def cached_graphs(self, name: str) -> Path:
        """Where graphs of the current weights are cached. Their hash reads every weight, so it is computed once
        per set of weights."""
        pipe = self.pipe
        versions = tensor_versions(pipe.kp_detector, pipe.generator)
        if self._sha256 is None or self._sha256[0] != versions:
            self._sha256 = (versions, weights_sha256(pipe.kp_detector, pipe.generator, pipe.image_size))
        return cache_dir() / "exported" / self._sha256[1] / name

    def export_destination(self, export_format: str, int8: bool = False) -> Path:
        """Where ``fomm export`` writes graphs when no folder is named, so that the backends find them: the
        subfolder of the pipeline's own folder where it is a writable folder of the person's (not the bundled
        model, nor a Hub download), else the cache."""
        name, folder = graphs_name(export_format, int8), self.pipe.folder
        if folder is None or self.pipe.hub_origin is not None or Path(folder) == BUNDLED_MODEL:
            return self.cached_graphs(name)
        return Path(folder) / name if os.access(folder, os.W_OK) else self.cached_graphs(name)


def calibration_inputs(engine: StreamingEngine, source: EncodedSource, driving: torch.Tensor,
                       motion: MotionOptions, batch_size: int) -> List[dict]:
    """What each graph receives, batch by batch, while ``source`` is animated by the driving frames ``driving``
    (N, 3, S, S): the calibration data of int8 quantization."""
    kp_initial = engine.detect(driving[:1])
    calibration = []
    for frames in driving.split(batch_size):
        kp_target = transfer_motion(source.keypoints, engine.detect(frames), kp_initial, **asdict(motion))
        calibration.append(graph_inputs(source, frames, kp_target))
    return calibration


def quantize(pipe, source: torch.Tensor, driving: torch.Tensor, motion: MotionOptions, batch_size: int,
             output: Optional[os.PathLike]) -> Path:
    """See :meth:`FOMMPipeline.quantize` (``source`` and ``driving`` as the models see them)."""
    float_graphs = pipe.engines.exported_graphs("openvino")
    engine = pipe.engine(backend="openvino")
    calibration = calibration_inputs(engine, engine.encode_source(source), driving, motion, batch_size)
    output = pipe.engines.cached_graphs("openvino-int8") if output is None else Path(output)
    pipe.engines.forget_int8()
    return quantize_int8(float_graphs, output, calibration)
