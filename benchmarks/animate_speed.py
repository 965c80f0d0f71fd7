"""Animation speed and memory: the original demo's per-frame loop against the pipeline's streaming engine.

    python benchmarks/animate_speed.py                 # speed, vox-256 architecture, random weights
    python benchmarks/animate_speed.py --model DIR     # a trained / converted pipeline instead
    python benchmarks/animate_speed.py --memory --fast # also peak RSS for a short and a 10x longer video
    python benchmarks/animate_speed.py --profile       # also where a frame's time goes, and the floor

All timings of one report come from the same process and run, the contenders taking turns (--repeats times,
medians reported), so ratios are comparable even on noisy machines. Driving frames are real content when
../shared/media/carphone.mp4 exists (else synthetic).
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import MEDIA, vox_256_random

from fomm_hf import FOMMPipeline, transfer_motion
from fomm_hf.images import prepare_image, prepare_images


def load_inputs(num_frames: int, size: int):
    """Source image and driving frames (N, 3, size, size): real media when available."""
    video, portrait = MEDIA / "carphone.mp4", MEDIA / "astronaut.png"
    if video.exists() and portrait.exists():
        from fomm_hf.video import open_video

        frames = []
        with open_video(video) as clip:
            for frame in clip.frames():
                frames.append(frame)
                if len(frames) == num_frames:
                    break
        return prepare_image(portrait, size), prepare_images(np.stack(frames), size), "real"
    generator = torch.Generator().manual_seed(0)
    source = torch.rand(1, 3, size, size, generator=generator)
    shifts = [torch.roll(source, shifts=(i, 2 * i), dims=(2, 3)) for i in range(num_frames)]
    return source, torch.cat(shifts), "synthetic"


@torch.no_grad()
def reference_loop(pipe, source, driving):
    """The original demo's make_animation: keypoints and the full generator for every frame, batch 1."""
    kp_detector, generator = pipe.kp_detector, pipe.generator
    kp_source = kp_detector(source)
    kp_initial = kp_detector(driving[:1])
    predictions = []
    for frame in driving:
        kp_driving = kp_detector(frame[None])
        kp_norm = transfer_motion(kp_source, kp_driving, kp_initial, relative=True)
        predictions.append(generator(source, kp_driving=kp_norm, kp_source=kp_source).prediction)
    return torch.cat(predictions)


def run_pipeline(pipe, source, driving, fast, batch_size):
    return pipe(source, driving, fast=fast, batch_size=batch_size).frames


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = ((a - b) ** 2).mean().item()
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def speed(args):
    if args.model:
        pipe = FOMMPipeline.from_pretrained(args.model)
        pipe.set_progress_bar_config(disable=True)
        weights = args.model
    else:
        pipe = vox_256_random()
        weights = "vox-256 architecture, random weights"
    size = pipe.image_size
    source, driving, content = load_inputs(args.frames, size)
    print(f"{len(driving)} {content} driving frames at {size}x{size}; {weights}; "
          f"{torch.get_num_threads()} threads; bf16 on CPU: {torch.cpu._is_avx512_bf16_supported()}")

    # Warm-up (allocator, oneDNN primitive caches, the pipeline's engines) on a few frames, for every contender.
    reference_loop(pipe, source, driving[:2])
    run_pipeline(pipe, source, driving[: args.batch_size], False, args.batch_size)
    run_pipeline(pipe, source, driving[: args.batch_size], True, args.batch_size)

    # The contenders take turns, --repeats times; each one's median time is reported.
    times = {"loop": [], "exact": [], "fast": []}
    for _ in range(args.repeats):
        loop_frames, seconds = timed(reference_loop, pipe, source, driving)
        times["loop"].append(seconds)
        exact_frames, seconds = timed(run_pipeline, pipe, source, driving, False, args.batch_size)
        times["exact"].append(seconds)
        fast_frames, seconds = timed(run_pipeline, pipe, source, driving, True, args.batch_size)
        times["fast"].append(seconds)
    loop_time, exact_time, fast_time = (statistics.median(times[name]) for name in ("loop", "exact", "fast"))

    n = len(driving)
    max_diff = (exact_frames - loop_frames).abs().max().item()
    report = {
        "frames": n, "content": content, "weights": weights, "batch_size": args.batch_size,
        "loop_fps": n / loop_time, "exact_fps": n / exact_time, "fast_fps": n / fast_time,
        "exact_speedup": loop_time / exact_time, "fast_speedup": loop_time / fast_time,
        "exact_max_abs_diff": max_diff, "fast_psnr_db": psnr(fast_frames, exact_frames),
    }
    print(f"per-frame loop : {report['loop_fps']:6.2f} frames/s ({1000 * loop_time / n:.0f} ms/frame)")
    print(f"engine, exact  : {report['exact_fps']:6.2f} frames/s  x{report['exact_speedup']:.2f}  "
          f"max |exact - loop| = {max_diff:.1e} ({'OK' if max_diff <= 1e-4 else 'ABOVE 1e-4'})")
    print(f"engine, fast   : {report['fast_fps']:6.2f} frames/s  x{report['fast_speedup']:.2f}  "
          f"PSNR vs exact = {report['fast_psnr_db']:.1f} dB")
    return report


def profile(args):
    """Where an exact-engine frame's time goes: multiply-accumulates per stage, measured convolution
    throughput, and the floor these give (FLOPs per frame over the best measured convolution rate)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    from torch.utils.flop_counter import FlopCounterMode

    pipe = vox_256_random()
    size = pipe.image_size
    engine = pipe.engine()
    source = torch.rand(1, 3, size, size)
    driving = torch.rand(args.batch_size, 3, size, size).contiguous(memory_format=engine.memory_format)
    encoded = engine.encode_source(source)
    kp = engine.detect(driving)
    stages = {
        "keypoint detector": lambda: engine.kp_detector(driving),
        "dense motion": lambda: engine.generator.dense_motion(
            encoded.image.expand(len(driving), -1, -1, -1), kp, encoded.keypoints.expand(len(driving))
        ),
        "decoder": lambda: engine.generator.decode(encoded.features.expand(len(driving), -1, -1, -1)),
        "source encoder (loop only)": lambda: engine.generator.encode(encoded.image),
    }
    print(f"Per frame, batch {args.batch_size}:")
    with torch.inference_mode():
        for name, stage in stages.items():
            frames = 1 if "encoder" in name else len(driving)
            stage()
            with FlopCounterMode(display=False) as counter:
                stage()
            seconds = min(timed(stage)[1] for _ in range(3))  # the least disturbed of 3 runs
            gmac = counter.get_total_flops() / 2e9 / frames
            rate = gmac * frames / seconds
            print(f"  {name:28s} {gmac:6.2f} GMAC  {1000 * seconds / frames:6.1f} ms  {rate:5.0f} GMAC/s")
        conv = torch.nn.Conv2d(256, 256, 3, padding=1).eval()
        x = torch.rand(1, 256, size // 4, size // 4)
        conv(x)
        rate = 256 * 256 * 9 * (size // 4) ** 2 / 1e9 / min(timed(conv, x)[1] for _ in range(10))
        print(f"  best convolution (3x3, 256->256 at {size // 4}^2): {rate:.0f} GMAC/s")
        with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
            list(engine.animate(encoded, [kp]))
    print("Top operators of the exact engine (self CPU time per frame):")
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:8]
    for event in events:
        print(f"  {event.key:32s} {event.self_cpu_time_total / 1000 / len(driving):7.1f} ms")


def memory_run(num_frames: int, fast: bool) -> dict:
    """Animates a synthetic num_frames-frame 256x256 video file into a file; runs in its own process."""
    from fomm_hf.video.ffmpeg import run_ffmpeg

    pipe = vox_256_random()
    with tempfile.TemporaryDirectory() as folder:
        driving = Path(folder) / "driving.mp4"
        run_ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x256:rate=25", "-frames:v", str(num_frames),
                   "-c:v", "libx264", "-pix_fmt", "yuv420p", str(driving))
        source = torch.rand(1, 3, pipe.image_size, pipe.image_size)
        result = pipe.animate_video(source, driving, Path(folder) / "out.mp4", fast=fast, progress=False)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"frames": result.num_frames, "peak_rss_mib": peak_kib / 1024, "seconds": result.seconds}


def memory(args):
    """Peak RSS of whole video-to-video runs, each in a fresh process, for a short and a 10x longer video."""
    runs = []
    for frames in (args.memory_frames, 10 * args.memory_frames):
        command = [sys.executable, __file__, "--memory-run", str(frames)] + (["--fast"] if args.fast else [])
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
        print(f"{runs[-1]['frames']:5d} frames: peak RSS {runs[-1]['peak_rss_mib']:7.1f} MiB "
              f"({runs[-1]['seconds']:.0f} s)")
    growth = runs[1]["peak_rss_mib"] / runs[0]["peak_rss_mib"] - 1
    print(f"10x longer video: peak RSS {100 * growth:+.1f}% ({'within' if abs(growth) <= 0.10 else 'OVER'} 10%)")
    return {"memory_runs": runs, "memory_growth": growth}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="pipeline folder or Hub id (default: vox-256 architecture, random weights)")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each contender (default 3; medians)")
    parser.add_argument("--memory", action="store_true", help="also measure peak RSS on video files")
    parser.add_argument("--memory-frames", type=int, default=30, help="frames of the short video (default 30)")
    parser.add_argument("--fast", action="store_true", help="memory runs in fast mode (quicker)")
    parser.add_argument("--profile", action="store_true", help="also show where the time of a frame goes")
    parser.add_argument("--memory-run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.memory_run:
        print(json.dumps(memory_run(args.memory_run, args.fast)))
        return
    report = speed(args)
    if args.profile:
        profile(args)
    if args.memory:
        report.update(memory(args))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
