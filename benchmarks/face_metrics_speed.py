"""What the face metrics cost (the optional extra fomm_hf[faces]), and how closely following a face agrees with
searching every frame for it.

    python benchmarks/face_metrics_speed.py
    python benchmarks/face_metrics_speed.py --repeats 5 --json face_metrics.json

With ../shared/media/carphone.mp4 (120 frames, 176x144, a talking face) and astronaut.png (512x512), in one process:

1. the astronaut animated by all of carphone with the bundled model (``pipe.animate_video``, framing on, as
   ``fomm animate``; its own time, model loading left out), then that animation scored
   (``score_animation``: landmarks of the driving video and of the result, embeddings of the source and of
   every result frame with a face), dlib's models loaded first (once a process) and counted;
2. landmarks (``face_landmarks``) in milliseconds per frame, following the face (the default) and searching
   every frame whole (``follow=False``): carphone at its own size and resized to 256x256, and the animation;
3. how far following's landmarks are from searching every frame's, in pixels at 256x256: the mean over the frames
   where both found the face, and the per-frame mean's 95th percentile and maximum; and, for scale, how far
   searching every frame is from itself on the same frames moved by one pixel (right and down, the shift taken
   off);
4. identity embeddings in milliseconds per face: dlib's own (``compute_face_descriptor``, one face at a time)
   against ``EmbeddingNetwork`` (PyTorch, batches of 16), on carphone's faces, and their largest difference.

1 is one run (a process scores once); the timings of 2 and 4 are the best of ``--repeats`` passes.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from common import MEDIA
from face_detection import cpu_name

from fomm_hf.faces.finding import (
    EMBEDDING_MODEL,
    FaceFinder,
    dlib_model,
    embedding_network,
    face_landmarks,
    models_folder,
)
from fomm_hf.images import prepare_images, to_uint8
from fomm_hf.video import open_video


def read(path) -> np.ndarray:
    with open_video(path) as video:
        return np.stack(list(video.frames()))


def best_ms_per_frame(function, frames, repeats: int):
    """(milliseconds per frame of the fastest of ``repeats`` calls, what the last call returned)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(frames)
        times.append(time.perf_counter() - start)
    return 1000 * min(times) / len(frames), result


def animate_and_score(workdir: Path) -> dict:
    from fomm_hf import FOMMPipeline
    from fomm_hf.evaluation.face_metrics import score_animation

    pipe = FOMMPipeline.from_pretrained()
    pipe.set_progress_bar_config(disable=True)
    output = workdir / "astronaut.mp4"
    animation = pipe.animate_video(MEDIA / "astronaut.png", MEDIA / "carphone.mp4", output, progress=False)
    start = time.perf_counter()
    dlib_model("detector")
    dlib_model("landmarks")
    embedding_network()
    loading = time.perf_counter() - start
    with open_video(MEDIA / "carphone.mp4") as driving, open_video(output) as result:
        scores = score_animation(MEDIA / "astronaut.png", driving.frames(), result.frames())
    seconds = time.perf_counter() - start
    return {"frames": animation.num_frames, "animation_s": animation.seconds, "score_s": seconds,
            "models_s": loading, "ratio": seconds / animation.seconds, "scores": scores.as_dict(),
            "result": str(output)}


def embeddings(frames: np.ndarray, repeats: int) -> dict:
    """dlib's embedding network against its PyTorch copy, on 32 faces of ``frames``."""
    import dlib

    finder, chips = FaceFinder(), []
    for frame in frames[:32]:
        if (shape := finder(frame)) is not None:
            chips.append(dlib.get_face_chip(frame, shape, size=150, padding=0.25))
    chips = np.stack(chips)
    dlibs = dlib.face_recognition_model_v1(str(models_folder() / EMBEDDING_MODEL))
    network = embedding_network()
    dlib_ms, expected = best_ms_per_frame(
        lambda faces: np.stack([np.array(dlibs.compute_face_descriptor(chip)) for chip in faces]), chips, repeats)
    pytorch_ms, result = best_ms_per_frame(lambda faces: np.concatenate([network(faces[:16]), network(faces[16:])]),
                                           chips, repeats)
    return {"faces": len(chips), "dlib_ms": dlib_ms, "pytorch_ms": pytorch_ms,
            "max_difference": float(np.abs(result - expected).max())}


def agreement(followed, searched) -> dict:
    """How far followed landmarks are from those of a search in every frame, in px at 256x256."""
    both = followed.found & searched.found
    per_frame = np.abs(followed.scaled(256) - searched.scaled(256))[both].mean(axis=(1, 2))
    return {"frames_both": int(both.sum()), "found_followed": int(followed.found.sum()),
            "found_searched": int(searched.found.sum()), "mean_px": float(per_frame.mean()),
            "p95_px": float(np.percentile(per_frame, 95)), "max_px": float(per_frame.max())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes of each measurement (the best is kept)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    results = {"machine": f"{cpu_name()}, {os.cpu_count()} cores"}
    print(f"Machine: {results['machine']}")
    with tempfile.TemporaryDirectory() as workdir:
        results["score"] = score = animate_and_score(Path(workdir))
        print(f"\nAnimation of {score['frames']} frames: {score['animation_s']:.2f} s; its score: "
              f"{score['score_s']:.2f} s ({score['ratio']:.2f}x; dlib's models loaded in {score['models_s']:.2f} s "
              f"of it): {score['scores']}")
        carphone = read(MEDIA / "carphone.mp4")
        videos = {"carphone 176x144": carphone,
                  "carphone 256x256": to_uint8(prepare_images(carphone, 256, fit="stretch")),
                  "animation 512x512": read(score["result"])}
    results["landmarks"] = {}
    print("\n| frames | following ms/frame | searching every frame ms/frame | mean px | 95th pct px | max px | "
          "found (following / searching, of N) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, frames in videos.items():
        followed_ms, followed = best_ms_per_frame(face_landmarks, frames, args.repeats)
        searched_ms, searched = best_ms_per_frame(lambda f: face_landmarks(f, follow=False), frames, args.repeats)
        row = {"following_ms": followed_ms, "searching_ms": searched_ms, **agreement(followed, searched)}
        results["landmarks"][name] = row
        print(f"| {name} | {followed_ms:.1f} | {searched_ms:.1f} | {row['mean_px']:.2f} | {row['p95_px']:.2f} | "
              f"{row['max_px']:.2f} | {row['found_followed']} / {row['found_searched']} of {len(frames)} |")
    frames = videos["carphone 256x256"]
    searched = face_landmarks(frames, follow=False)
    moved = face_landmarks(np.pad(frames, ((0, 0), (1, 0), (1, 0), (0, 0)), mode="edge")[:, :256, :256], follow=False)
    moved.points -= 1
    results["searching_moved_by_1px"] = row = agreement(moved, searched)
    print(f"\nSearching every frame of carphone 256x256, against the same moved by 1 px: mean {row['mean_px']:.2f} px, "
          f"95th percentile {row['p95_px']:.2f}, max {row['max_px']:.2f}")
    results["embeddings"] = embeddings(frames, args.repeats)
    print("Identity embeddings, ms per face: dlib {dlib_ms:.1f}, PyTorch (batches of 16) {pytorch_ms:.1f}; largest "
          "difference {max_difference:.1e}".format(**results["embeddings"]))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
