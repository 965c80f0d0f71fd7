"""Reconstruction evaluation, as the original: each test video is animated from its own first frame with
absolute motion, and compared with itself (mean L1 over all frames, and per video)."""

import json
from pathlib import Path
from typing import Iterable

from tqdm.auto import tqdm


def evaluate_reconstruction(pipe, videos: Iterable[dict], output_dir=None, batch_size: int = 4) -> dict:
    """Reconstructs every ``{"video": (T, 3, H, W) float in [0, 1], "name": str}`` item of ``videos`` (a test
    :class:`~fomm_hf.training.FramesDataset`) with the pipeline ``pipe``.

    Returns {"mean_l1": over all frames, "num_videos", "num_frames", "videos": {name: mean L1}}; with
    ``output_dir``, also writes it as ``reconstruction.json`` there.
    """
    per_video, total, frames = {}, 0.0, 0
    for item in tqdm(videos, desc="Reconstruction", unit="video"):
        video = item["video"]
        reconstruction = pipe(video[0], video, relative=False, batch_size=batch_size, progress=False).frames
        error = (reconstruction - video).abs().mean(dim=(1, 2, 3))  # (T,)
        per_video[item["name"]] = error.mean().item()
        total += error.sum().item()
        frames += len(error)
    results = {"mean_l1": total / max(frames, 1), "num_videos": len(per_video), "num_frames": frames,
               "videos": per_video}
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        (Path(output_dir) / "reconstruction.json").write_text(json.dumps(results, indent=2))
    return results


def reconstruction_summary(results: dict) -> str:
    """The line that ``fomm reconstruct`` prints of :func:`evaluate_reconstruction`'s results."""
    return (f"Reconstruction L1: {results['mean_l1']:.4f} over {results['num_frames']} frames of "
            f"{results['num_videos']} videos")
