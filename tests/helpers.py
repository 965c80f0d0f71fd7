"""What the tests share: where the shared data is, media made with ffmpeg, the app served on a local port, the
``fomm`` command in a real process, a cache of converted models, and a small training dataset.

Fixtures built from these live in conftest.py; test modules import from here, never from each other.
"""

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import PIL.Image
import pytest
import torch

from fomm_hf.video import open_video

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOMM_SHARED_DIR", REPO_ROOT.parent / "shared"))
REFERENCE = SHARED / "reference" / "original-tiny"
MEDIA = SHARED / "media"
EXAMPLES = REPO_ROOT / "examples"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's (apt-get install chromium); Playwright never downloads one here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

TINY_KP = dict(num_kp=4, block_expansion=4, max_features=16, num_blocks=2, scale_factor=0.5)
TINY_GENERATOR = dict(
    num_kp=4,
    block_expansion=4,
    max_features=16,
    num_down_blocks=2,
    num_bottleneck_blocks=1,
    dense_motion_params=dict(block_expansion=4, max_features=16, num_blocks=2, scale_factor=0.5),
)


def modes_under(folder: Path) -> dict:
    """The permission bits of the folders and files under ``folder`` (itself included)."""
    paths = [folder, *folder.rglob("*")]
    return {"folders": {p.stat().st_mode & 0o777 for p in paths if p.is_dir()},
            "files": {p.stat().st_mode & 0o777 for p in paths if p.is_file()}}


def needs(*paths: Path):
    """Marks a test that needs these files (shared test data, Chromium): where one is missing the test is skipped,
    and fails in CI (FOMM_TESTS_REQUIRE_ALL=1, see conftest.py), which must have them all."""
    return pytest.mark.needs(*paths)


# Media made with ffmpeg


H264 = ("-c:v", "libx264", "-pix_fmt", "yuv420p")


def ffmpeg(*args) -> bytes:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *map(str, args)]
    return subprocess.run(command, capture_output=True, check=True).stdout


def make_clip(path, size="96x64", rate=25, seconds=2, audio_seconds=None, output_args=H264) -> Path:
    """A testsrc clip, with a sine-wave audio track of ``audio_seconds`` if given."""
    inputs = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}"]
    if audio_seconds:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={audio_seconds}"]
    ffmpeg(*inputs, *output_args, path)
    return Path(path)


def audio_seconds(path) -> float:
    """Duration of the audio track itself (moviepy's AudioFileClip reports the container's), from its samples."""
    samples = ffmpeg("-i", path, "-map", "0:a:0", "-f", "s16le", "-ac", "1", "-ar", "8000", "pipe:")
    return len(samples) / 2 / 8000


def read_all(path) -> np.ndarray:
    with open_video(path) as video:
        return np.stack(list(video.frames()))


def random_frames(num_frames, height=64, width=96, seed=0) -> np.ndarray:
    """Smooth random frames (N, H, W, 3) uint8, which survive lossy compression well enough to compare."""
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand(num_frames, 3, height // 8, width // 8, generator=generator)
    smooth = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
    return (smooth * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


# The command and the app


def run_fomm(*args, **env):
    return subprocess.run([sys.executable, "-m", "fomm_hf", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **env})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_app(files: Path, settings, model=None, cache: Path = None):
    """Serves app.py (``settings``: an AppSettings) on a free local port; ``model`` is its default model (None:
    the bundled one); ``cache``: its $FOMM_CACHE."""
    with pytest.MonkeyPatch.context() as env:
        if model is None:
            env.delenv("FOMM_MODEL", raising=False)
        else:
            env.setenv("FOMM_MODEL", str(model))
        if cache is not None:
            env.setenv("FOMM_CACHE", str(cache))
        env.setenv("GRADIO_TEMP_DIR", str(files / "gradio"))
        env.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        import app

        demo = app.build_demo(settings)
        port = free_port()
        demo.launch(prevent_thread_lock=True, server_port=port, quiet=True, max_file_size=settings.max_file_size)
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            demo.close()


# Models and data


def fill_converted_cache(cache: Path, names=("vox-256", "vox-adv-256", "nemo-256")) -> Path:
    """``cache`` as a $FOMM_CACHE where the registered models ``names`` are converted already: a local fake of
    their download and conversion, with the bundled model's weights under each name and the registry's category
    (``$FOMM_CACHE/<name>/model_index.json`` makes a registered model converted)."""
    import json
    import shutil

    from fomm_hf.model_store import BUNDLED_MODEL, registered_model

    for name in names:
        shutil.copytree(BUNDLED_MODEL, cache / name)
        index = json.loads((cache / name / "model_index.json").read_text())
        index["category"] = registered_model(name).category
        (cache / name / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return cache



def moving_disc_clip(seed: int, num_frames: int, size: int) -> np.ndarray:
    """(T, size, size, 3) uint8: a coloured disc moving along a line on a coloured background."""
    rng = np.random.default_rng(seed)
    background, colour = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    start, end = rng.uniform(0.25, 0.75, 2) * size, rng.uniform(0.25, 0.75, 2) * size
    radius = rng.uniform(0.12, 0.25) * size
    yy, xx = np.mgrid[:size, :size] + 0.5
    frames = []
    for t in np.linspace(0, 1, num_frames):
        cx, cy = start + t * (end - start)
        inside = np.clip(radius - np.hypot(xx - cx, yy - cy) + 0.5, 0, 1)[..., None]  # antialiased edge
        frames.append((inside * colour + (1 - inside) * background).astype(np.uint8))
    return np.stack(frames)


def write_dataset(root, num_train: int = 6, num_test: int = 2, num_frames: int = 6, size: int = 64) -> Path:
    """root/train and root/test; even clips as horizontal .png strips, odd clips as folders of frames."""
    root = Path(root)
    for split, count, offset in (("train", num_train, 0), ("test", num_test, 1000)):
        (root / split).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            clip = moving_disc_clip(offset + index, num_frames, size)
            if index % 2 == 0:
                PIL.Image.fromarray(np.concatenate(list(clip), axis=1)).save(root / split / f"{index:03d}.png")
            else:
                folder = root / split / f"{index:03d}"
                folder.mkdir()
                for t, frame in enumerate(clip):
                    PIL.Image.fromarray(frame).save(folder / f"{t:04d}.png")
    return root


# Content checks: the bundled model's frames, computed without the engines


def reference_animation(pipe, source: torch.Tensor, driving: torch.Tensor, relative: bool = True) -> torch.Tensor:
    """The original demo's algorithm on the pipeline's own modules, not on an engine (no inference copies, no
    BatchNorm folding, no fused upsampling): ``source`` (1, 3, S, S) moved by each driving frame (N, 3, S, S),
    relative to the first, all in one batch: frames (N, 3, S, S) float in [0, 1]."""
    from fomm_hf import transfer_motion

    with torch.no_grad():
        kp_source, kp_driving = pipe.kp_detector(source), pipe.kp_detector(driving)
        kp_target = transfer_motion(kp_source, kp_driving, kp_driving.select(0), relative=relative)
        count = len(driving)
        return pipe.generator(source.expand(count, -1, -1, -1), kp_driving=kp_target,
                              kp_source=kp_source.expand(count)).prediction


def psnr(frames: torch.Tensor, reference: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB of float frames in [0, 1] against ``reference``."""
    return float(10 * torch.log10(1 / ((frames.float() - reference.float()) ** 2).mean()))


def as_float_frames(frames: np.ndarray) -> torch.Tensor:
    """uint8 frames (N, H, W, 3), as read from a video -> float (N, 3, H, W) in [0, 1]."""
    return torch.from_numpy(np.asarray(frames)).permute(0, 3, 1, 2).float() / 255


def assert_frames_match(written: np.ndarray, expected: torch.Tensor, min_psnr: float = 28.0) -> None:
    """Each written frame (uint8 (N, H, W, 3), through a lossy codec) is the expected frame of the same index
    (float (N, 3, H, W)): at least ``min_psnr`` dB against it. A flat grey video, the source frozen, or the frames
    in another order are far below (about 15, 23 and 17 dB on the bundled example)."""
    written = as_float_frames(written)
    assert written.shape == expected.shape, (written.shape, expected.shape)
    worst = min((psnr(frame, truth), index) for index, (frame, truth) in enumerate(zip(written, expected)))
    assert worst[0] >= min_psnr, f"frame {worst[1]} is {worst[0]:.1f} dB from the expected frame"


# Export, model registry, conversion, evaluation: a command run in this process


def run_fomm_here(capsys, *args) -> subprocess.CompletedProcess:
    """``fomm ARGS...`` run in this process (no interpreter to start, nor torch and diffusers to import), where
    the test is not about a process: its exit status (argparse's own errors included) and what it printed
    (captured by ``capsys``), as :func:`run_fomm` gives them for a real process."""
    from fomm_hf.cli import main

    capsys.readouterr()  # what was printed before is not the command's
    try:
        status = main([str(arg) for arg in args])
    except SystemExit as exit:  # argparse's own errors
        status = exit.code
    stdout, stderr = capsys.readouterr()
    return subprocess.CompletedProcess(["fomm", *map(str, args)], status, stdout, stderr)
