"""Live animation's speed: the live animator fed carphone.mp4 one frame at a time, as a camera would.

    python benchmarks/live_speed.py
    python benchmarks/live_speed.py --models bundled --json live.json

For each model (the bundled demo model animating its cartoon face; the vox-256 architecture with random weights
animating the astronaut portrait) and each variant this machine has (exact: PyTorch float32; the fast mode's:
``fast_variant``, PyTorch or OpenVINO in bfloat16, or OpenVINO int8; and OpenVINO float32 for comparison), the first
(``--frames``, 120: all) frames of ../shared/media/carphone.mp4 (FOMM_SHARED_DIR overrides ../shared) go to
``pipe.live(...)`` one after the other, each as soon as the one before is animated. Reported: frames per second and
the latency of a frame (p50, p95), after 10 frames of warm-up, and the engine's own mean time per frame at batch 1
(keypoints of the frame and the frame generated, nothing else) on the same frames, so that what live animation adds
(following the face, making the frame the models' size, pasting the result back) is their ratio: the medians of
``--repeats`` passes of each, taking turns; and the mean PSNR of each variant's frames against the exact ones, those
of the engine's passes (the live animator's crops follow a detector in a thread of its own, so they depend on
timing; meaningful for the bundled model only: vox-256's weights are random).
int8 graphs are made before the run from the frames (their time is recorded in the JSON: a first use).
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import MEDIA, REPO, vox_256_random

from fomm_hf import FOMMPipeline
from fomm_hf.animation import fast_variant
from fomm_hf.images import prepare_image, prepare_images, to_uint8
from fomm_hf.motion import MotionOptions
from fomm_hf.video import open_video

WARM_UP = 10


def variants(pipe: FOMMPipeline) -> dict:
    """{name: the options of pipe.live} of the variants this machine has."""
    found = {"exact (PyTorch float32)": dict()}
    fast = fast_variant(pipe.device)
    found[f"fast ({fast.backend} {fast.precision})"] = dict(fast=True)
    if fast.backend != "openvino" or fast.precision != "float32":
        found["OpenVINO float32"] = dict(backend="openvino")
    return found


def engine_seconds(live, frames: np.ndarray, image_size: int) -> tuple:
    """(the frames animated, the engine's own seconds per frame after warm-up) at batch 1 on ``frames`` (the whole
    frames made square)."""
    engine, animated, times = live.engine, [], []
    reference = engine.detect(prepare_image(frames[0], image_size))
    for frame in frames:
        driving = prepare_image(frame, image_size)
        start = time.perf_counter()
        animated.append(engine.move(live.encoded, engine.detect(driving), reference, MotionOptions()))
        times.append(time.perf_counter() - start)
    return to_uint8(torch.cat(animated)), times[WARM_UP:]


def live_seconds(live, frames: np.ndarray) -> list:
    """Seconds per frame after warm-up of ``live`` fed ``frames`` one after the other."""
    times = []
    for frame in frames:
        start = time.perf_counter()
        live(frame)
        times.append(time.perf_counter() - start)
    return times[WARM_UP:]


def run(pipe: FOMMPipeline, source, frames: np.ndarray, options: dict, repeats: int) -> dict:
    start = time.perf_counter()
    pipe.engines.prepare_fast(pipe.prepare_source(source), prepare_images(frames[:32], pipe.image_size),
                              MotionOptions(), 4, options.get("fast", False), options.get("backend", "pytorch"))
    prepared = time.perf_counter() - start
    # The live passes (a fresh animator each) and the engine's alternate, so that a load that comes and goes on
    # the machine falls on both alike; the ratio is that of the medians of their passes' means.
    live_means, engine_means, latencies = [], [], []
    for _ in range(repeats):
        live = pipe.live(source, **options)
        seconds = live_seconds(live, frames)
        live_means.append(statistics.mean(seconds))
        latencies += seconds
        animated, seconds = engine_seconds(live, frames, pipe.image_size)
        engine_means.append(statistics.mean(seconds))
    return {"frames": animated, "precision": live.engine.precision,
            "frames_per_second": 1 / statistics.median(live_means),
            "latency_p50_ms": 1000 * float(np.percentile(latencies, 50)),
            "latency_p95_ms": 1000 * float(np.percentile(latencies, 95)),
            "engine_ms": 1000 * statistics.median(engine_means),
            "live_over_engine_per_pass": [a / b for a, b in zip(live_means, engine_means)],
            "first_use_seconds": prepared, "status": live.status}


def mean_psnr(frames: np.ndarray, reference: np.ndarray) -> float:
    """Mean over frames of the PSNR (dB) of uint8 ``frames`` against ``reference``."""
    errors = ((frames.astype(np.float64) - reference.astype(np.float64)) ** 2).mean(axis=(1, 2, 3))
    return float(np.mean(10 * np.log10(255.0 ** 2 / np.maximum(errors, 1e-10))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["bundled", "vox-256"], choices=["bundled", "vox-256"])
    parser.add_argument("--frames", type=int, default=120, help="carphone's first frames fed (at most 120)")
    parser.add_argument("--repeats", type=int, default=3, help="live and engine passes, taking turns (default 3)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    os.environ.setdefault("FOMM_CACHE", tempfile.mkdtemp(prefix="fomm-live-"))  # int8 graphs made afresh
    with open_video(MEDIA / "carphone.mp4") as video:
        frames = np.stack(list(video.frames()))[:args.frames]
    models = {"bundled": (FOMMPipeline.from_pretrained, REPO / "examples" / "cartoon-face" / "face.png"),
              "vox-256": (lambda: vox_256_random(category="face"), MEDIA / "astronaut.png")}
    results = {}
    print(f"{torch.get_num_threads()} threads; carphone.mp4, {len(frames)} frames, {WARM_UP} of warm-up\n")
    print("| model | variant | precision | frames/s | latency p50 / p95 (ms) | engine ms/frame | live / engine | "
          "PSNR against exact (dB) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in args.models:
        build, source = models[name]
        pipe = build()
        pipe.set_progress_bar_config(disable=True)
        exact = None
        for variant, options in variants(pipe).items():
            result = run(pipe, source, frames, options, args.repeats)
            animated = result.pop("frames")
            exact = animated if exact is None else exact  # the first variant is the exact one
            result["psnr_against_exact_db"] = mean_psnr(animated, exact) if animated is not exact else None
            results.setdefault(name, {})[variant] = result
            ratio = 1000 / result["frames_per_second"] / result["engine_ms"]
            result["live_over_engine"] = ratio
            psnr = "-" if animated is exact else f"{result['psnr_against_exact_db']:.1f}"
            print(f"| {name} | {variant} | {result['precision']} | {result['frames_per_second']:.1f} | "
                  f"{result['latency_p50_ms']:.0f} / {result['latency_p95_ms']:.0f} | {result['engine_ms']:.0f} | "
                  f"{ratio:.2f}x | {psnr} |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
