"""Load test of the Gradio app: concurrent clients get correct results, and the server's memory comes back.

Starts ``python app.py`` with a tiny random-weight model (configs/test-tiny.yaml), has CLIENTS gradio_client
clients submit an animation at once, checks every result (frame count and size), and compares the server's
resident memory before (after one warm-up request, which loads the model) and after (once it has settled).
Prints PASS or FAIL, and exits with 0 or 1.

    python benchmarks/app_load_test.py [--clients 8] [--concurrency 2] [--seconds 2] [--tolerance 0.15]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import PIL.Image
import psutil
import torch
from gradio_client import Client, handle_file

from fomm_hf import FOMMPipeline, ModelConfig
from fomm_hf.video import open_video
from fomm_hf.video.ffmpeg import run_ffmpeg

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY_CONFIG = ModelConfig.from_yaml(REPO_ROOT / "configs" / "test-tiny.yaml")
FPS = 25
IMAGE_SIZE = TINY_CONFIG.image_size


def make_inputs(folder: Path, seconds: float):
    """A tiny model folder, a source image and a driving clip with sound."""
    torch.manual_seed(0)
    model = folder / "tiny-model"
    kp_detector, generator = TINY_CONFIG.build_kp_detector().eval(), TINY_CONFIG.build_generator().eval()
    FOMMPipeline(kp_detector, generator, IMAGE_SIZE).save_pretrained(model)
    source = folder / "source.png"
    PIL.Image.fromarray(np.linspace(0, 255, 64 * 64 * 3).reshape(64, 64, 3).astype(np.uint8)).save(source)
    driving = folder / "driving.mp4"
    run_ffmpeg(
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size=96x64:rate={FPS}:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={seconds}",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-shortest",
        driving,
    )
    return model, source, driving


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(folder: Path, model: Path, concurrency: int) -> tuple:
    port = free_port()
    env = dict(
        os.environ,
        FOMM_MODEL=str(model),
        FOMM_APP_CONCURRENCY_LIMIT=str(concurrency),
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        GRADIO_TEMP_DIR=str(folder / "gradio"),
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
    )
    log = open(folder / "server.log", "w")
    server = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"The app exited with {server.returncode}; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, url
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"The app did not start within 120 s; see {log.name}")


def animate(url: str, source: Path, driving: Path) -> tuple:
    """One client's request: (seconds it took, (frames, height, width, has audio) of the result or the error)."""
    start = time.perf_counter()
    try:
        result, _, _ = Client(url, verbose=False).predict(
            source_image=handle_file(str(source)), driving_video=handle_file(str(driving)), api_name="/animate"
        )
        with open_video(result) as video:
            outcome = (sum(1 for _ in video.frames()), *video.size[::-1], video.has_audio)
    except Exception as error:  # reported as a failed request
        outcome = f"{type(error).__name__}: {error}"
    return time.perf_counter() - start, outcome


def settled_rss(process: psutil.Process, seconds: float = 5) -> int:
    """Resident memory once the server has been idle for ``seconds``."""
    time.sleep(seconds)
    return process.memory_info().rss


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="clients submitting at once (default 8)")
    parser.add_argument("--concurrency", type=int, default=2, help="the app's concurrency limit (default 2)")
    parser.add_argument("--seconds", type=float, default=2, help="length of the driving clip (default 2)")
    parser.add_argument("--tolerance", type=float, default=0.15, help="allowed memory growth (default 0.15)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        model, source, driving = make_inputs(folder, args.seconds)
        expected = (round(args.seconds * FPS), IMAGE_SIZE, IMAGE_SIZE, True)
        server, url = start_server(folder, model, args.concurrency)
        try:
            process = psutil.Process(server.pid)
            warm_up = animate(url, source, driving)
            before = settled_rss(process)
            start = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                requests = list(pool.map(lambda _: animate(url, source, driving), range(args.clients)))
            wall = time.perf_counter() - start
            after = settled_rss(process)
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"warm-up: {warm_up[0]:.1f} s, {warm_up[1]}")
    for client, (seconds, outcome) in enumerate(requests):
        verdict = "ok" if outcome == expected else f"WRONG (expected {expected})"
        print(f"client {client}: {seconds:.1f} s, (frames, height, width, audio) = {outcome} {verdict}")
    print(f"{args.clients} clients, concurrency {args.concurrency}: {wall:.1f} s in all")
    growth = after / before - 1
    print(f"server RSS before: {before / 2**20:.0f} MiB, after: {after / 2**20:.0f} MiB ({growth:+.1%})")
    correct = all(outcome == expected for _, outcome in [warm_up, *requests])
    memory_ok = growth <= args.tolerance
    if not correct:
        print("FAIL: some results are wrong")
    if not memory_ok:
        print(f"FAIL: memory grew by more than {args.tolerance:.0%}")
    if correct and memory_ok:
        print("PASS")
    return 0 if correct and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
