"""The original repository's ``demo.py``, step by step, with this package's models: the baseline of startup.py.

    python benchmarks/original_demo.py --config configs/vox-256.yaml --checkpoint vox-cpk.pth.tar \\
        --source_image source.png --driving_video driving.mp4 --result_video result.mp4 [--relative] [--adapt_scale]

What it keeps of the original (first-order-model's demo.py, CPU): the whole driving video read into memory,
then every frame and the source resized to 256x256 one by one (stretched, not cropped); the checkpoint loaded
with ``torch.load``, with the optimizer states that the published .pth.tar files hold; the keypoint detector and
the whole generator run on every frame, one frame at a time, in float32; all frames written at the end.

What differs: the models are this package's classes (the original's code is not part of this project; the
arithmetic is the same, see tests/test_parity.py), so this script imports torch and diffusers' model mixins
where the original imports torch, scikit-image, imageio and matplotlib. Frames are read and written by this
package's ffmpeg pipes (the original's imageio pipes ffmpeg too) and resized by torch's antialiased bilinear
resize (the original's by scikit-image).

Prints one JSON line of its own timings (seconds): read_and_resize, load_checkpoint, first_frame (the first
iteration of the loop), animate (the whole loop), write; and frames.
"""

import argparse
import json
import time

import numpy as np
import torch

from fomm_hf.conversion.original import load_original_state_dict
from fomm_hf.images import read_image, resize
from fomm_hf.models import ModelConfig
from fomm_hf.motion import transfer_motion
from fomm_hf.video import VideoWriter, open_video


def resize_frame(frame: np.ndarray, size: int = 256) -> np.ndarray:
    """uint8 (H, W, 3) -> float32 (size, size, 3) in [0, 1], as the original's skimage ``resize``."""
    tensor = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255
    return resize(tensor, size)[0].permute(1, 2, 0).numpy()


def load_checkpoints(config_path, checkpoint_path):
    config = ModelConfig.from_yaml(config_path)
    generator, kp_detector = config.build_generator(), config.build_kp_detector()
    checkpoint = torch.load(checkpoint_path, map_location=torch.device("cpu"), weights_only=True)
    load_original_state_dict(generator, "generator", checkpoint["generator"])
    load_original_state_dict(kp_detector, "kp_detector", checkpoint["kp_detector"])
    return generator.eval(), kp_detector.eval()


def make_animation(source_image, driving_video, generator, kp_detector, relative=True, adapt_movement_scale=False):
    """The original's make_animation; also returns the seconds its first frame took."""
    with torch.no_grad():
        predictions = []
        source = torch.tensor(source_image[np.newaxis].astype(np.float32)).permute(0, 3, 1, 2)
        driving = torch.tensor(np.array(driving_video)[np.newaxis].astype(np.float32)).permute(0, 4, 1, 2, 3)
        start = time.perf_counter()
        kp_source = kp_detector(source)
        kp_driving_initial = kp_detector(driving[:, :, 0])
        for frame_idx in range(driving.shape[2]):
            driving_frame = driving[:, :, frame_idx]
            kp_driving = kp_detector(driving_frame)
            kp_norm = transfer_motion(kp_source, kp_driving, kp_driving_initial, relative=relative,
                                      adapt_scale=adapt_movement_scale)
            out = generator(source, kp_source=kp_source, kp_driving=kp_norm)
            predictions.append(np.transpose(out.prediction.data.cpu().numpy(), [0, 2, 3, 1])[0])
            if frame_idx == 0:
                first_frame = time.perf_counter() - start
    return predictions, first_frame


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--source_image", required=True)
    parser.add_argument("--driving_video", required=True)
    parser.add_argument("--result_video", required=True)
    parser.add_argument("--relative", action="store_true")
    parser.add_argument("--adapt_scale", action="store_true")
    args = parser.parse_args()
    timings = {}

    start = time.perf_counter()
    source_image = read_image(args.source_image)
    with open_video(args.driving_video) as reader:
        fps = reader.fps
        driving_video = list(reader.frames())
    source_image = resize_frame(source_image)
    driving_video = [resize_frame(frame) for frame in driving_video]
    timings["read_and_resize"] = time.perf_counter() - start

    start = time.perf_counter()
    generator, kp_detector = load_checkpoints(args.config, args.checkpoint)
    timings["load_checkpoint"] = time.perf_counter() - start

    start = time.perf_counter()
    predictions, timings["first_frame"] = make_animation(source_image, driving_video, generator, kp_detector,
                                                         relative=args.relative, adapt_movement_scale=args.adapt_scale)
    timings["animate"] = time.perf_counter() - start

    start = time.perf_counter()
    with VideoWriter(args.result_video, fps) as writer:
        writer.write(np.stack([(frame.clip(0, 1) * 255).round().astype(np.uint8) for frame in predictions]))
    timings["write"] = time.perf_counter() - start
    print(json.dumps({**timings, "frames": len(predictions)}))


if __name__ == "__main__":
    main()
