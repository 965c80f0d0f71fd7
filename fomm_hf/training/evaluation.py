"""Reconstruction evaluation, as the original: each test video is animated from its own first frame with
absolute motion, and compared with itself (mean L1 over all frames, and per video)."""

import json
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..animation import AnimationEngine, MotionOptions
from .dataset import FramesDataset


def reconstruct_video(engine: AnimationEngine, video: torch.Tensor) -> torch.Tensor:
    """video (T, 3, H, W) -> its reconstruction from frame 0 (T, 3, H, W)."""
    prepared = engine.prepare_source(video[:1])
    kp_driving = engine.detect(video)
    kp_initial = kp_driving.select(0)
    batches = [
        engine.animate_batch(prepared, kp_driving.select(slice(i, i + engine.batch_size)), kp_initial,
                             MotionOptions(relative=False))
        for i in range(0, len(video), engine.batch_size)
    ]
    return torch.cat(batches)


def evaluate_reconstruction(pipe, dataset: FramesDataset, output_dir=None, device=None, batch_size: int = 4) -> dict:
    """Returns {"mean_l1": over all frames, "num_videos", "num_frames", "videos": {name: mean L1}}; with
    ``output_dir``, also writes it as ``reconstruction.json`` there."""
    engine = AnimationEngine(pipe.kp_detector, pipe.generator, device=device, batch_size=batch_size)
    per_video, total, frames = {}, 0.0, 0
    for item in tqdm(dataset, desc="Reconstruction", unit="video"):
        video = item["video"]
        error = (reconstruct_video(engine, video) - video).abs().mean(dim=(1, 2, 3))  # (T,)
        per_video[item["name"]] = error.mean().item()
        total += error.sum().item()
        frames += len(error)
    results = {"mean_l1": total / max(frames, 1), "num_videos": len(per_video), "num_frames": frames,
               "videos": per_video}
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        (Path(output_dir) / "reconstruction.json").write_text(json.dumps(results, indent=2))
    return results
