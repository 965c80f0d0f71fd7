"""Start-up and whole-process times: how long the ``fomm`` command takes to answer, and to animate a short clip.

    python benchmarks/startup.py                      # both parts, the second on 32 frames of vox-256
    python benchmarks/startup.py --help-only          # only the first part (a few seconds)
    python benchmarks/startup.py --frames 32 --repeats 3 --json startup.json

1. ``fomm --help``, ``fomm animate --help`` and ``python -c "import fomm_hf"``, against ``python -c "import
   torch"``: the median wall time of --repeats runs of each, as fresh processes.
2. A 32-frame vox-256 animation, as whole processes (process start to exit, model loading included):
   ``benchmarks/original_demo.py`` (the original demo's steps and per-frame loop, with this package's models,
   from an original-format checkpoint with its optimizer states) against ``fomm animate`` (from the same
   weights, converted to a pipeline folder), exact and fast. Weights are random (the vox-256 architecture,
   configs/vox-256.yaml; no trained checkpoint can be downloaded on the project's machines), the driving video
   is the first frames of ../shared/media/carphone.mp4 and the source ../shared/media/astronaut.png. Every
   process stretches its inputs to 256x256 (as the original demo; ``--fit stretch``).
   For each: start-up = process start to the first animated frame (imports, model loading, reading the inputs
   and the first frame or batch); per frame = the time of the remaining frames, per frame.

All the runs of a report are made in one invocation, alternating between the contenders, so their ratios are
comparable on a noisy machine.
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
LAYOUTS = REPO.parent / "shared" / "reference" / "original-checkpoint-layouts.json"
VOX_CONFIG = REPO / "configs" / "vox-256.yaml"


def wall_time(command: list, cwd=REPO) -> tuple:
    """(seconds, stdout) of a fresh process running ``command``."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{result.stderr[-3000:]}")
    return seconds, result.stdout


def fomm_command() -> list:
    script = shutil.which("fomm")
    return [script] if script else [sys.executable, "-m", "fomm_hf"]


def help_times(repeats: int) -> dict:
    commands = {
        'python -c "import torch"': [sys.executable, "-c", "import torch"],
        'python -c "import fomm_hf"': [sys.executable, "-c", "import fomm_hf"],
        "fomm --help": fomm_command() + ["--help"],
        "fomm animate --help": fomm_command() + ["animate", "--help"],
    }
    times = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            times[name].append(wall_time(command)[0])
    medians = {name: statistics.median(values) for name, values in times.items()}
    torch_seconds = medians['python -c "import torch"']
    print(f"{'command':30s} {'median s':>9s} {'vs import torch':>16s}")
    for name, seconds in medians.items():
        print(f"{name:30s} {seconds:9.3f} {seconds / torch_seconds:15.3f}x")
    return medians


# The contenders' inputs -----------------------------------------------------------------------------------------


def write_inputs(folder: Path, num_frames: int) -> dict:
    """A vox-256 original-format checkpoint (random weights, with optimizer states), the same weights as a
    pipeline folder, and the driving clip."""
    from fomm_hf.conversion import convert_original_checkpoint
    from fomm_hf.model_store.folders import write_pipeline_folder
    from fomm_hf.video.ffmpeg import run_ffmpeg

    checkpoint = folder / "vox-cpk.pth.tar"
    torch.save(original_checkpoint(), checkpoint)
    converted = convert_original_checkpoint(VOX_CONFIG, checkpoint)
    pipeline = write_pipeline_folder(folder / "vox-256", converted.kp_detector, converted.generator,
                                     converted.image_size)
    driving = folder / "driving.mp4"
    run_ffmpeg("-i", MEDIA / "carphone.mp4", "-frames:v", str(num_frames), "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-y", driving)
    return {"checkpoint": checkpoint, "pipeline": pipeline, "driving": driving, "source": MEDIA / "astronaut.png"}


def original_checkpoint() -> dict:
    """The published checkpoints' layout (../shared/reference), filled with the weights of freshly initialised models
    with non-trivial BatchNorm statistics, and Adam states as the published files hold them."""
    from fomm_hf.conversion.original import DERIVED_KERNELS, rename_key
    from fomm_hf.models import ModelConfig

    torch.manual_seed(0)
    config = ModelConfig.from_yaml(VOX_CONFIG)
    models = {"kp_detector": config.build_kp_detector(), "generator": config.build_generator(),
              "discriminator": config.build_discriminator()}
    layout = json.loads(LAYOUTS.read_text())["vox-256"]
    checkpoint = {}
    for part, model in models.items():
        ours = {**model.state_dict(), **dict(model.named_buffers())}
        state = {}
        for key in layout[part]:
            name = DERIVED_KERNELS[part].get(key) or rename_key(part, key)
            tensor = ours[name].clone()
            if key.endswith("running_var"):
                tensor.uniform_(0.5, 2.0)
            elif key.endswith("running_mean"):
                tensor.uniform_(-0.2, 0.2)
            state[key] = tensor
        checkpoint[part] = state
        parameters = list(model.parameters())
        checkpoint[f"optimizer_{part}"] = {
            "state": {i: {"step": torch.tensor(1.0), "exp_avg": torch.randn_like(p) * 1e-3,
                          "exp_avg_sq": torch.rand_like(p) * 1e-6} for i, p in enumerate(parameters)},
            "param_groups": [{"lr": 2e-4, "betas": (0.5, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                              "params": list(range(len(parameters)))}],
        }
    checkpoint["epoch"] = 99
    return checkpoint


# Whole processes ------------------------------------------------------------------------------------------------


def run_original(inputs: dict, output: Path) -> dict:
    command = [sys.executable, str(REPO / "benchmarks" / "original_demo.py"), "--config", str(VOX_CONFIG),
               "--checkpoint", str(inputs["checkpoint"]), "--source_image", str(inputs["source"]),
               "--driving_video", str(inputs["driving"]), "--result_video", str(output), "--relative"]
    wall, stdout = wall_time(command)
    timings = json.loads(stdout.strip().splitlines()[-1])
    after_first = timings["animate"] - timings["first_frame"] + timings["write"]
    return {"wall": wall, "startup": wall - after_first,
            "per_frame": (timings["animate"] - timings["first_frame"]) / (timings["frames"] - 1),
            "checkpoint_load": timings["load_checkpoint"]}


FOMM_LINE = re.compile(r"Wrote .*: (\d+) frames .* in ([\d.]+) s .*first frames written after ([\d.]+) s")


def run_fomm(inputs: dict, output: Path, fast: bool, batch_size: int) -> dict:
    command = fomm_command() + ["animate", "--model", str(inputs["pipeline"]), "--source", str(inputs["source"]),
                                "--driving", str(inputs["driving"]), "--output", str(output), "--fit", "stretch",
                                "--batch-size", str(batch_size)] + (["--fast"] if fast else [])
    wall, stdout = wall_time(command)
    frames, seconds, first = FOMM_LINE.search(stdout).groups()
    frames, seconds, first = int(frames), float(seconds), float(first)
    after_first = seconds - first
    return {"wall": wall, "startup": wall - after_first, "per_frame": after_first / (frames - batch_size)}


def whole_process_times(frames: int, repeats: int, batch_size: int) -> dict:
    contenders = {
        "original demo (per-frame loop)": lambda inputs, out: run_original(inputs, out),
        "fomm animate (exact)": lambda inputs, out: run_fomm(inputs, out, False, batch_size),
        "fomm animate --fast": lambda inputs, out: run_fomm(inputs, out, True, batch_size),
    }
    runs = {name: [] for name in contenders}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        inputs = write_inputs(folder, frames)
        print(f"{frames} frames of carphone.mp4 driving astronaut.png, vox-256 architecture (random weights); "
              f"original-format checkpoint {inputs['checkpoint'].stat().st_size / 2**20:.0f} MiB; "
              f"{torch.get_num_threads()} threads; bf16 on this CPU: "
              f"{torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()}")
        for repeat in range(repeats):
            for name, run in contenders.items():
                runs[name].append(run(inputs, folder / f"out-{repeat}.mp4"))
    report = {name: {key: statistics.median(run[key] for run in values) for key in values[0]}
              for name, values in runs.items()}
    baseline = report["original demo (per-frame loop)"]["wall"]
    print(f"{'process':32s} {'wall s':>7s} {'start-up s':>11s} {'per frame ms':>13s} {'vs original':>12s}")
    for name, figures in report.items():
        figures["speedup"] = baseline / figures["wall"]
        print(f"{name:32s} {figures['wall']:7.1f} {figures['startup']:11.1f} {1000 * figures['per_frame']:13.0f} "
              f"{figures['speedup']:11.2f}x")
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=32, help="driving frames (default 32)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each process (default 3; medians reported)")
    parser.add_argument("--batch-size", type=int, default=4, help="fomm animate's batch size (default 4)")
    parser.add_argument("--help-only", action="store_true", help="only time the help commands")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    report = {"help": help_times(max(args.repeats, 5))}
    if not args.help_only:
        report["animate"] = whole_process_times(args.frames, args.repeats, args.batch_size)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
