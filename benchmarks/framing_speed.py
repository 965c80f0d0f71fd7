"""What framing costs: ``fomm animate`` with ``--framing auto`` (the face found, followed and pasted back into the
whole source) against ``--framing none`` (the centre square, the model's 64x64 result), as whole processes.

    python benchmarks/framing_speed.py                   # 3 runs of each, alternating
    python benchmarks/framing_speed.py --repeats 5 --json framing.json

The bundled model, ../shared/media/astronaut.png (512x512) as the source and all 120 frames of
../shared/media/carphone.mp4 as the driving video. Framing adds: a first pass over the driving video (decoding
and face detection every few frames), the source's face detection, pasting every frame back into the source,
and encoding a 512x512 video instead of a 64x64 one. Also printed: how steady the followed square is (the
frame-to-frame movement of its centre, against that of the raw detections).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"


def animate(framing: str, output: Path) -> float:
    command = [sys.executable, "-m", "fomm_hf", "animate", "--source", str(MEDIA / "astronaut.png"), "--driving",
               str(MEDIA / "carphone.mp4"), "--output", str(output), "--framing", framing]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def steadiness() -> dict:
    from fomm_hf.framing import SubjectFramer
    from fomm_hf.video import open_video

    with open_video(MEDIA / "carphone.mp4") as video:
        track = SubjectFramer("face").follow(video.frames(), video.fps)
    smoothed = np.array([square.centre for square in track.squares])
    return {
        "frames": len(track.squares),
        "looked_at": track.looked_at,
        "found": track.found,
        "raw_movement_px_per_frame": float(np.abs(np.diff(track.raw_centres, axis=0)).sum(1).mean() / track.stride),
        "smoothed_movement_px_per_frame": float(np.abs(np.diff(smoothed, axis=0)).sum(1).mean()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()

    times = {"none": [], "auto": []}
    with tempfile.TemporaryDirectory() as folder:
        animate("none", Path(folder) / "warm-up.mp4")  # file caches
        for _ in range(args.repeats):
            for framing in times:
                times[framing].append(animate(framing, Path(folder) / f"{framing}.mp4"))
    medians = {framing: statistics.median(values) for framing, values in times.items()}
    results = {"seconds": times, "median_seconds": medians, "framing_cost": medians["auto"] / medians["none"] - 1,
               "steadiness": steadiness()}
    print(f"fomm animate, bundled model, carphone.mp4 (120 frames), median of {args.repeats} whole processes:")
    print(f"  --framing none: {medians['none']:.2f} s   --framing auto: {medians['auto']:.2f} s   "
          f"framing adds {100 * results['framing_cost']:.1f}%")
    steady = results["steadiness"]
    print(f"Followed square: face found in {steady['found']} of {steady['looked_at']} frames looked at; centre "
          f"movement {steady['raw_movement_px_per_frame']:.2f} px/frame raw, "
          f"{steady['smoothed_movement_px_per_frame']:.2f} px/frame smoothed")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
