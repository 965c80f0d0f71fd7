"""Reconstruction evaluation, as the original: each test video is animated from its own first frame with
absolute motion, and compared with itself: mean L1 over all frames, and, for face models where the extra
fomm_hf[faces] is installed, the paper's AKD, MKR and AED (:mod:`.face_metrics`); overall and per video."""

import json
import math
from pathlib import Path
from typing import Iterable, List, Optional

from tqdm.auto import tqdm

from ..faces import find_faces, require_extra, why_no_faces
from ..images import prepare_images, to_uint8
from .face_metrics import SIDE, FaceReconstructionMetrics

MEASURED_BY = "dlib's 68 face landmarks and ResNet identity embedding (fomm_hf[faces])"


def face_metrics_reason(category, face_metrics: Optional[bool]) -> str:
    """Why the face metrics are not measured for a model of ``category`` ("" where they are): ``face_metrics`` None
    measures them for face models where the extra is installed, True always (MissingExtraError without the
    extra), False never."""
    if face_metrics is False:
        return "not asked for"
    if face_metrics:
        require_extra()
        return ""
    return why_no_faces(category)


def evaluate_reconstruction(pipe, videos: Iterable[dict], output_dir=None, batch_size: int = 4,
                            face_metrics: Optional[bool] = None) -> dict:
    """Reconstructs every ``{"video": (T, 3, H, W) float in [0, 1], "name": str}`` item of ``videos`` (a test
    :class:`~fomm_hf.training.FramesDataset`) with the pipeline ``pipe``.

    Returns {"mean_l1": over all frames, "akd", "mkr", "aed": the face metrics over all frames (None where not
    measured: ``face_metrics`` says when, see :func:`face_metrics_reason`), "face_metrics": how they were measured
    or why not, "num_videos", "num_frames", "videos": {name: {"l1", "akd", "mkr", "aed"}}}; with ``output_dir``,
    also writes it as ``reconstruction.json`` there.
    """
    not_measured = face_metrics_reason(getattr(pipe, "category", None), face_metrics)
    per_video, faces, total, frames = {}, [], 0.0, 0
    for item in tqdm(videos, desc="Reconstruction", unit="video"):
        video = item["video"]
        reconstruction = pipe(video[0], video, relative=False, batch_size=batch_size, progress=False).frames
        error = (reconstruction - video).abs().mean(dim=(1, 2, 3))  # (T,)
        per_video[item["name"]] = {"l1": error.mean().item()}
        total += error.sum().item()
        frames += len(error)
        if not not_measured:  # landmarks in the frames at SIDE x SIDE, the original's resolution
            metrics = FaceReconstructionMetrics.between(find_faces(to_uint8(prepare_images(video, SIDE))),
                                                        find_faces(to_uint8(prepare_images(reconstruction, SIDE))))
            faces.append(metrics)
            per_video[item["name"]].update({key: metrics.as_dict()[key] for key in ("akd", "mkr", "aed")})
    results = {"mean_l1": total / max(frames, 1), **pooled(faces), "face_metrics": not_measured or MEASURED_BY,
               "num_videos": len(per_video), "num_frames": frames, "videos": per_video}
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        (Path(output_dir) / "reconstruction.json").write_text(json.dumps(results, indent=2))
    return results


def pooled(videos: List[FaceReconstructionMetrics]) -> dict:
    """{"akd", "mkr", "aed"} over the frames of all ``videos``, as if they were one (None where no frame counts)."""
    both = sum(video.both_found for video in videos)
    frames = sum(video.num_frames for video in videos)

    def over(values, weights, count):
        return math.fsum(value * weight for value, weight in zip(values, weights) if weight) / count if count else None

    return {"akd": over([video.akd for video in videos], [video.both_found for video in videos], both),
            "mkr": over([video.mkr for video in videos], [video.num_frames for video in videos], frames),
            "aed": over([video.aed for video in videos], [video.both_found for video in videos], both)}


def reconstruction_summary(results: dict) -> str:
    """The line that ``fomm reconstruct`` prints of :func:`evaluate_reconstruction`'s results."""
    line = (f"Reconstruction L1: {results['mean_l1']:.4f} over {results['num_frames']} frames of "
            f"{results['num_videos']} videos")
    if results["mkr"] is None:
        return f"{line}; face metrics: none ({results['face_metrics']})"
    akd = "none (no frame with both faces)" if results["akd"] is None else f"{results['akd']:.3f} px at 256x256"
    aed = "none" if results["aed"] is None else f"{results['aed']:.3f}"
    return f"{line}; AKD {akd}, MKR {results['mkr']:.3f}, AED {aed} (dlib's faces: comparable in kind, not in value)"
