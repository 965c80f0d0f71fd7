"""Does the data loader keep training fed? Items per second of each on-disk format, against the training step.

    python benchmarks/data_speed.py                  # vox-256 at 256x256, batch 8
    python benchmarks/data_speed.py --steps 0        # the loader only

The data: ``fomm prepare-data`` run on four videos made from ``../shared/media/carphone.mp4`` (as it is, reversed,
mirrored, both), at 256x256, once per clip format (folders of .png frames, folders of .jpg frames, .mp4 clips),
and the .png clips also as strips (one image, frames side by side). Each is read as training reads it: a
``FramesDataset`` with the vox-256 config's augmentation (flips, colour jitter), two random frames per item,
through a ``DataLoader`` at batch 8, with no worker process (the rate of one worker) and with ``--workers``.

The training step: this package's ``training_step`` on the vox-256 config at 256x256, batch 8 (bfloat16 autocast
where the CPU has bf16 arithmetic, else float32), random VGG weights, one warm-up step and ``--steps`` timed. A
loader keeps up when its items per second are at least ``8 / step seconds``; the table gives the margin.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from fomm_hf.preparation import PreparationSettings, prepare_dataset
from fomm_hf.training import load_training_config
from fomm_hf.training.frames_dataset import FramesDataset
from fomm_hf.video import VideoWriter, open_video

MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"
SIZE, BATCH = 256, 8


def raw_videos(folder: Path) -> Path:
    with open_video(MEDIA / "carphone.mp4") as video:
        frames, fps = np.stack(list(video.frames())), video.fps
    for name, variant in (("a", frames), ("b", frames[::-1]), ("c", frames[:, :, ::-1]), ("d", frames[::-1, :, ::-1])):
        with VideoWriter(folder / f"{name}.mp4", fps=fps) as writer:
            writer.write(np.ascontiguousarray(variant))
    return folder


def strips_from(png_root: Path, root: Path) -> None:
    """The .png frame folders of ``png_root`` as strips (frames side by side) in ``root``."""
    import PIL.Image

    for split in ("train", "test"):
        (root / split).mkdir(parents=True)
        for clip in (png_root / split).iterdir():
            frames = [np.asarray(PIL.Image.open(f)) for f in sorted(clip.iterdir())]
            PIL.Image.fromarray(np.concatenate(frames, axis=1)).save(root / split / f"{clip.name}.png")


def items_per_second(dataset, workers: int, seconds: float) -> float:
    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers, drop_last=True,
                        persistent_workers=workers > 0)
    batches = iter(loader)
    next(batches)  # start-up (worker processes, first files)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        try:
            count += len(next(batches)["source"])
        except StopIteration:
            batches = iter(loader)
    return count / (time.perf_counter() - start)


def training_step_seconds(config, steps: int) -> float:
    from accelerate import Accelerator

    from fomm_hf.training.builders import build_models, build_optimizers
    from fomm_hf.training.objective import FOMMObjective
    from fomm_hf.training.trainer import training_step
    from fomm_hf.training.vgg import Vgg19Features

    bf16 = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    accelerator = Accelerator(mixed_precision="bf16" if bf16 else "no", cpu=True)
    models = accelerator.prepare(*build_models(config.model, config.train_params))
    optimizers = accelerator.prepare(*build_optimizers(models, config.train_params))
    objective = FOMMObjective(*models, Vgg19Features(), config.train_params)
    batch = {k: torch.rand(BATCH, 3, SIZE, SIZE) for k in ("source", "driving")}
    training_step(accelerator, objective, optimizers, models, batch)  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        training_step(accelerator, objective, optimizers, models, batch)
    print(f"training step: vox-256 at {SIZE}x{SIZE}, batch {BATCH}, {'bf16' if bf16 else 'float32'}, "
          f"{torch.get_num_threads()} threads")
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/vox-256.yaml")
    parser.add_argument("--seconds", type=float, default=10.0, help="time each loader this long (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the second run (default 2)")
    parser.add_argument("--steps", type=int, default=1, help="timed training steps; 0: none (default 1)")
    args = parser.parse_args()
    config = load_training_config(args.config)
    augmentation = config.dataset_params.augmentation_params

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "raw").mkdir()
        raw = raw_videos(folder / "raw")
        roots = {}
        for clip_format in ("png", "jpg", "mp4"):
            roots[clip_format] = folder / clip_format
            prepare_dataset(raw, roots[clip_format], PreparationSettings(size=SIZE, clip_format=clip_format,
                                                                         min_side=64), progress=False)
        roots["png strip"] = folder / "strip"
        strips_from(roots["png"], roots["png strip"])

        rates = {}
        for name, root in roots.items():
            dataset = FramesDataset(root, (SIZE, SIZE, 3), augmentation=augmentation, num_repeats=100)
            megabytes = sum(f.stat().st_size for f in (root / "train").rglob("*") if f.is_file()) / 2**20
            rates[name] = (items_per_second(dataset, 0, args.seconds),
                           items_per_second(dataset, args.workers, args.seconds), megabytes / len(dataset.entries))
            print(f"{name:10s}: {rates[name][0]:7.1f} items/s in one process, {rates[name][1]:7.1f} with "
                  f"{args.workers} workers; {rates[name][2]:.1f} MB per clip")

    needed = None
    if args.steps:
        step = training_step_seconds(config, args.steps)
        needed = BATCH / step
        print(f"training step: {step:.2f} s, so it consumes {needed:.2f} items/s")
    print()
    print(f"| format | items/s, 1 worker | items/s, {args.workers} workers | MB per clip | workers per GPU step/s |"
          + (" 1 worker vs this CPU's training |" if needed else ""))
    print("| --- | --- | --- | --- | --- |" + (" --- |" if needed else ""))
    for name, (one, several, megabytes) in rates.items():
        print(f"| {name} | {one:.1f} | {several:.1f} | {megabytes:.1f} | {4 * BATCH / one:.2f} |"
              + (f" {one / needed:.0f}x |" if needed else ""))
    print(f"\nworkers per GPU step/s: the workers that give 4x the {BATCH} items a step consumes, for each step per "
          "second the GPU runs (round up).")


if __name__ == "__main__":
    main()
