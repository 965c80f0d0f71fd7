"""Speed of each backend and precision on vox-256, and the quality of the reduced precisions on real content.

    python benchmarks/backend_speed.py
    python benchmarks/backend_speed.py --repeats 10 --batch-size 4

Speed: the vox-256 architecture (random weights, random BatchNorm statistics) at 256x256; per driving frame, the
keypoints of a batch of ``--batch-size`` frames and the frames generated from an encoded source, as the engine
streams a video; the best of ``--repeats`` batches after a warm-up, in one process. Variants: PyTorch exact
(float32) and fast (bfloat16 where the CPU has it), ONNX Runtime float32, OpenVINO float32, bfloat16 (where
the CPU has it) and int8 (NNCF, calibrated on carphone.mp4 with the astronaut portrait).

Quality: the bundled model animating real content, the astronaut portrait driven by carphone.mp4 (120 frames),
and its own cartoon example; per-frame PSNR of each variant against PyTorch float32, mean and worst frame. The
int8 graphs are calibrated on the other clip (examples/cartoon-face/driving.mp4 for carphone, carphone for the
cartoon), so that the figures are not measured on the calibration frames.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import MEDIA, REPO, vox_256_random

from fomm_hf import FOMMPipeline
from fomm_hf.animation.device import reduced_precision_dtype
from fomm_hf.animation.exported import openvino_has_bf16
from fomm_hf.images import prepare_image, prepare_images, read_image
from fomm_hf.motion import transfer_motion
from fomm_hf.video import open_video

CARTOON = REPO / "examples" / "cartoon-face"


def video_frames(path: Path, count=None) -> np.ndarray:
    with open_video(path) as video:
        return np.stack(list(video.frames())[:count])


def engines(pipe: FOMMPipeline, calibration_source, calibration_frames) -> dict:
    """{variant: the pipeline's engine} for every backend and precision this machine has; the graphs are exported
    into $FOMM_CACHE and the int8 ones calibrated on ``calibration_source`` animated by ``calibration_frames``."""
    found = {"PyTorch exact (float32)": pipe.engine()}
    if reduced_precision_dtype(torch.device("cpu")) is not None:
        found["PyTorch fast (bfloat16)"] = pipe.engine(fast=True)
    found["ONNX Runtime float32"] = pipe.engine(backend="onnxruntime")
    found["OpenVINO float32"] = pipe.engine(backend="openvino")
    if openvino_has_bf16():
        found["OpenVINO bfloat16"] = pipe.engine(fast=True, backend="openvino")
    pipe.quantize(calibration_source, calibration_frames)
    found["OpenVINO int8"] = pipe.engine(backend="openvino", int8=True)
    return found


def milliseconds_per_frame(engine, source_image, frames, repeats: int) -> float:
    source = engine.encode_source(source_image)
    kp_initial = engine.detect(frames[:1])
    times = []
    for _ in range(repeats + 1):  # the first is a warm-up
        start = time.perf_counter()
        engine.generate(source, transfer_motion(source.keypoints, engine.detect(frames), kp_initial))
        times.append(time.perf_counter() - start)
    return 1000 * min(times[1:]) / len(frames)


def animate(engine, source_image, frames, batch_size) -> torch.Tensor:
    """The frames of the engine's stream (relative motion from the first frame's pose)."""
    kp_batches = (engine.detect(batch) for batch in frames.split(batch_size))
    return torch.cat(list(engine.animate(engine.encode_source(source_image), kp_batches)))


def psnr(frames: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    return 10 * torch.log10(1 / ((frames.clamp(0, 1) - reference) ** 2).mean(dim=(1, 2, 3)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()
    carphone, astronaut = video_frames(MEDIA / "carphone.mp4"), read_image(MEDIA / "astronaut.png")
    cartoon, cartoon_face = video_frames(CARTOON / "driving.mp4"), read_image(CARTOON / "face.png")
    bfloat16 = reduced_precision_dtype(torch.device("cpu")) is not None
    print(f"{torch.get_num_threads()} threads; bfloat16 arithmetic for PyTorch: {bfloat16}, for OpenVINO: "
          f"{openvino_has_bf16()}")

    with tempfile.TemporaryDirectory() as folder:
        os.environ["FOMM_CACHE"] = folder  # graphs exported and quantized for this run only
        print("\nSpeed: vox-256 at 256x256, random weights, batch", args.batch_size)
        source, frames = prepare_image(astronaut, 256), prepare_images(carphone[:32], 256)
        variants = engines(vox_256_random(), astronaut, carphone[:32])
        speed = {name: milliseconds_per_frame(engine, source, frames[8:8 + args.batch_size], args.repeats)
                 for name, engine in variants.items()}
        exact, fast = speed["PyTorch exact (float32)"], speed.get("PyTorch fast (bfloat16)")
        print("| variant | ms per frame | vs PyTorch exact |" + (" vs PyTorch fast |" if fast else ""))
        print("| --- | --- | --- |" + (" --- |" if fast else ""))
        for name, ms in speed.items():
            print(f"| {name} | {ms:.0f} | {exact / ms:.2f}x |" + (f" {fast / ms:.2f}x |" if fast else ""))

        print("\nQuality: the bundled model, per-frame PSNR against PyTorch float32 (dB), mean / worst frame")
        pipe = FOMMPipeline.from_pretrained()
        size = pipe.image_size
        contents = {  # name: (source, driving frames, int8 calibration source and frames: the other content)
            "astronaut by carphone.mp4": (astronaut, carphone, cartoon_face, cartoon),
            "cartoon example": (cartoon_face, cartoon, astronaut, carphone[:32]),
        }
        table = {}
        for content, (image, driving, calibration_image, calibration_frames) in contents.items():
            image, driving = prepare_image(image, size), prepare_images(driving, size)
            variants = engines(pipe, calibration_image, calibration_frames)
            reference = animate(variants.pop("PyTorch exact (float32)"), image, driving, args.batch_size)
            for name, engine in variants.items():
                quality = psnr(animate(engine, image, driving, args.batch_size), reference)
                table.setdefault(name, {})[content] = f"{quality.mean():.1f} / {quality.min():.1f}"
        print("| variant | " + " | ".join(contents) + " |")
        print("| --- |" + " --- |" * len(contents))
        for name, row in table.items():
            print(f"| {name} | " + " | ".join(row[c] for c in contents) + " |")


if __name__ == "__main__":
    main()
