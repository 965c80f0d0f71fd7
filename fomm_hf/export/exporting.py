"""Exporting a pipeline's networks to ONNX and OpenVINO, and quantizing them to int8.

    fomm export --model vox-256 --format openvino --output exported/vox-256

An exported folder holds the three graphs of :mod:`.graphs` (``<graph>.onnx``, or OpenVINO's
``<graph>.xml`` + ``.bin``) and ``export.json``: the format, precision, image size and whether the keypoints
have Jacobians. Saved as the ``onnx/`` or ``openvino/`` subfolder of a pipeline folder, it travels with the
folder (``save_pretrained``, ``push_to_hub``) and is found there by the engine's backends.
"""

import contextlib
import copy
import json
import logging
import shutil
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable, List, Optional

import torch

from ..errors import InvalidInputError
from ..models import KeypointDetector, OcclusionAwareGenerator
from ..models.fusion import fold_batchnorm, fuse_upsampling
from ..permissions import give_ordinary_permissions
from .backends import EXPORT_RECORD, is_exported_folder
from .graphs import FrameGeneratorGraph, KeypointsGraph, SourceEncoderGraph, graph_signatures

FORMATS = ("onnx", "openvino")
OPSET = 17  # GridSample is an ONNX operator from opset 16
BATCHED = {"frames", "kp_value", "kp_jacobian", "kp_driving_value", "kp_driving_jacobian"}  # the source's are not


@dataclass(frozen=True)
class ExportRecord:
    """What ``export.json`` says about the graphs of a folder."""

    format: str  # onnx or openvino
    precision: str  # float32, or int8 (OpenVINO, quantized with NNCF)
    image_size: int
    with_jacobians: bool
    num_kp: int

    @property
    def graph_files(self) -> List[str]:
        """The names of the graphs' files beside ``export.json``."""
        extensions = (".xml", ".bin") if self.format == "openvino" else (".onnx",)
        return [name + extension for name in graph_signatures(self.with_jacobians) for extension in extensions]

    @classmethod
    def read(cls, folder: Path) -> "ExportRecord":
        try:
            return cls(**json.loads((folder / EXPORT_RECORD).read_text()))
        except (OSError, ValueError, TypeError) as error:
            raise InvalidInputError(
                f"{folder} is not a folder of exported graphs ({EXPORT_RECORD}: {error})."
            ) from None


def inference_copy(model: torch.nn.Module) -> torch.nn.Module:
    """The model as the engine runs it: BatchNorm folded, upsampling fused, on the CPU in float32, evaluating."""
    return fuse_upsampling(fold_batchnorm(copy.deepcopy(model).eval())).cpu().float().requires_grad_(False)


def export_graphs(kp_detector: KeypointDetector, generator: OcclusionAwareGenerator, image_size: int,
                  output, export_format: str = "onnx") -> Path:
    """Writes the three graphs to the folder ``output`` (created; replaced if it holds an export) in
    ``export_format`` ("onnx" or "openvino"), float32, with a dynamic batch size."""
    if export_format not in FORMATS:
        raise InvalidInputError(f"The export format must be one of {', '.join(FORMATS)}; got {export_format!r}.")
    kp_detector, generator = inference_copy(kp_detector), inference_copy(generator)
    with_jacobians = kp_detector.jacobian_head is not None
    record = ExportRecord(export_format, "float32", image_size, with_jacobians, kp_detector.config.num_kp)
    with staged_export(Path(output), record) as staging:
        onnx_folder = staging if export_format == "onnx" else staging / "onnx"
        onnx_folder.mkdir(exist_ok=True)
        write_onnx(kp_detector, generator, image_size, with_jacobians, onnx_folder)
        if export_format == "openvino":
            for name in graph_signatures(with_jacobians):
                save_openvino(read_openvino(onnx_folder / f"{name}.onnx"), staging / f"{name}.xml")
            shutil.rmtree(onnx_folder)
    return Path(output)


@contextlib.contextmanager
def staged_export(output: Path, record: ExportRecord):
    """A hidden folder beside ``output`` to write graphs in; when the block ends without an error, ``record`` is
    written in it and it replaces ``output`` (an earlier export only: anything else there is refused)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        yield staging
        (staging / EXPORT_RECORD).write_text(json.dumps(asdict(record), indent=2) + "\n")
        give_ordinary_permissions(staging)
        if output.exists():
            ExportRecord.read(output)
            shutil.rmtree(output)
        staging.rename(output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_onnx(kp_detector, generator, image_size: int, with_jacobians: bool, folder: Path) -> None:
    source = torch.rand(1, 3, image_size, image_size, generator=torch.Generator().manual_seed(0))
    frames = source.expand(2, -1, -1, -1).contiguous()
    with torch.no_grad():
        kp_source = KeypointsGraph(kp_detector)(source)
        kp_driving = KeypointsGraph(kp_detector)(frames)
        features = generator.encode(source)
    examples = {
        "keypoints": (KeypointsGraph(kp_detector), (frames,)),
        "source_encoder": (SourceEncoderGraph(generator), (source,)),
        "frame_generator": (FrameGeneratorGraph(generator, with_jacobians),
                            (source, features, *kp_source, *kp_driving)),
    }
    for name, (inputs, outputs) in graph_signatures(with_jacobians).items():
        module, arguments = examples[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shapes turned into constants
            torch.onnx.export(
                module, arguments, str(folder / f"{name}.onnx"), input_names=inputs, output_names=outputs,
                dynamic_axes={n: {0: "batch"} for n in inputs + outputs if n in BATCHED}, opset_version=OPSET,
                dynamo=False,
            )


def read_openvino(path: Path):
    """An OpenVINO model read from an ONNX file or OpenVINO IR (.xml)."""
    import openvino

    return openvino.Core().read_model(str(path))


def save_openvino(model, path: Path) -> None:
    import openvino

    openvino.save_model(model, str(path), compress_to_fp16=False)


QUANTIZED_GRAPHS = ("source_encoder", "frame_generator")  # the keypoint detector stays float32 (see below)
FLOAT_SCOPE = ".*dense_motion.*"  # layers of the frame generator that stay float32 (see below)


def quantize_int8(folder: Path, output: Path, calibration: Iterable[dict]) -> Path:
    """The OpenVINO graphs of ``folder`` with the source encoder and the frame generator quantized to int8
    (post-training, NNCF), into ``output``; the keypoint detector and the dense motion network stay float32.

    ``calibration``: for each calibration batch, {graph name: {input name: array}}: what each graph receives
    when animating real content (:func:`fomm_hf.animation.exported.graph_inputs`). What stays float32 decides
    where the int8 errors go: in the keypoints, the deformation and the occlusion map they move pixels, in the
    encoder and decoder they only change their values. Keeping these two float32 costs a small part of the
    generator's arithmetic and keeps the frames much nearer float32's than quantizing everything
    (docs/performance.md gives the figures).
    """
    import nncf

    nncf.set_log_level(logging.WARNING)  # not a line per layer left in float32
    record = ExportRecord.read(folder)
    if record.format != "openvino" or record.precision != "float32":
        raise InvalidInputError(f"{folder} does not hold float32 OpenVINO graphs to quantize.")
    calibration = list(calibration)
    with staged_export(Path(output), replace(record, precision="int8")) as staging:
        for name in graph_signatures(record.with_jacobians):
            model = read_openvino(folder / f"{name}.xml")
            if name in QUANTIZED_GRAPHS:  # NNCF's progress bars go where the others are: stderr, not the output
                with contextlib.redirect_stdout(sys.stderr):
                    model = nncf.quantize(model, nncf.Dataset([batch[name] for batch in calibration]),
                                          subset_size=len(calibration), preset=nncf.QuantizationPreset.PERFORMANCE,
                                          ignored_scope=nncf.IgnoredScope(patterns=[FLOAT_SCOPE], validate=False))
            save_openvino(model, staging / f"{name}.xml")
    return Path(output)


def exported_folder(pipeline_folder: Optional[Path], export_format: str) -> Optional[Path]:
    """The ``onnx/`` or ``openvino/`` subfolder of a pipeline folder, if it holds an export."""
    if pipeline_folder is None:
        return None
    folder = Path(pipeline_folder) / export_format
    return folder if is_exported_folder(folder) else None
