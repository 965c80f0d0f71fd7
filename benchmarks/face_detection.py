"""How often the face detectors of framing find the face, and what a detection costs.

    python benchmarks/face_detection.py
    python benchmarks/face_detection.py --repeats 5 --json face_detection.json

Two detectors (``fomm_hf.framing.face_detector``): the detector of real faces (``face_detector()``: OpenCV's
frontal-face cascade on the picture's luma, upright, then in copies turned by ``ROLL_ANGLES``) and the detector
of drawn faces (``face_detector(FACE_RENDERINGS["cartoon-face"])``: the same, then the drawn-face renderings).
On:

- ../shared/media/carphone.mp4 (120 frames, 176x144; ``$FOMM_SHARED_DIR`` replaces ../shared): frames where
  the real-face detector finds a face in the whole frame, upright only (``ROLL_ANGLES`` emptied) and with the
  turned copies, after the local contrast equalisation it uses (CLAHE) and after OpenCV's global one
  (``cv2.equalizeHist``) instead; no ground truth: a frame counts where a face is found;
- procedural cartoon faces (``fomm_hf.procedural``, 24 test clips of 32 frames at 128 px, every 4th frame),
  split by the luma of the identity's skin colour (dark: under 110) and
  examples/cartoon-face/driving.mp4 (test clip 7, 64 frames, dark skin): frames where each detector finds the
  drawn face (the largest detection's centre within 0.3 of its width of the face's centre, its width between
  half and twice the face's);
- 40 procedural puppet frames, which hold no face: frames where something is found all the same.

Then whether ``SubjectFramer`` follows the face through each video (found in N of the M frames it looked at),
and the detectors' milliseconds per frame: in the whole frame, and following (``near=`` the face found in the
frame before), the best of ``--repeats`` passes over the frames, in one process.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from fomm_hf.framing import SubjectFramer, detection, face_detector, follow_subject
from fomm_hf.procedural import FACE_LANDMARKS, get_category
from fomm_hf.video import open_video

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOMM_SHARED_DIR", REPO.parent / "shared"))
CARPHONE = SHARED / "media" / "carphone.mp4"
CARTOON_DRIVING = REPO / "examples" / "cartoon-face" / "driving.mp4"
CARTOON_DRIVING_CLIP = 7  # scripts/bundle_demo_model.py: the driving clip is test clip 7
DARK_SKIN = 110  # luma of the skin colour under which a face counts as dark
CENTRE = FACE_LANDMARKS.index("face_centre")


class GlobalEqualisation:
    """Stands in for the detector's CLAHE: OpenCV's global histogram equalisation."""

    def apply(self, grey: np.ndarray) -> np.ndarray:
        import cv2

        return cv2.equalizeHist(grey)


def with_global_equalisation(detector):
    """A detector like ``detector`` (its cascade and renderings) that evens out contrast globally instead."""
    import cv2

    other = detection.FaceDetector(Path(cv2.data.haarcascades) / detection.FACE_CASCADE, detector.renderings)
    other._contrast = GlobalEqualisation()
    return other


class UprightOnly:
    """While in use, the detectors look for upright faces only (no turned copies)."""

    def __enter__(self):
        self.angles, detection.ROLL_ANGLES = detection.ROLL_ANGLES, ()

    def __exit__(self, *exc):
        detection.ROLL_ANGLES = self.angles


def video(path: Path):
    with open_video(path) as opened:
        return list(opened.frames()), opened.fps


def at_face(detections, centre, width: float) -> bool:
    """Whether the largest detection is the drawn face centred at ``centre``, ``width`` pixels wide."""
    if not detections:
        return False
    box = detections[0].box
    return bool(np.hypot(*(np.array(box.centre) - centre)) < 0.3 * box.width and 0.5 * width < box.width < 2 * width)


def skin_luma(identity) -> float:
    red, green, blue = identity.skin
    return 0.299 * red + 0.587 * green + 0.114 * blue


def cartoon_frames(size: int = 128, clips: int = 24, num_frames: int = 32, every: int = 4):
    """[(frame, face centre, face width in px, dark skin)] of every ``every``-th frame of the test clips."""
    faces = get_category("cartoon-face")
    samples = []
    for index in range(clips):
        identity, poses = faces.sample_clip("test", index, num_frames)
        frames, landmarks = faces.render(identity, poses[::every], size)
        luma = skin_luma(identity)
        samples += [(frame, points[CENTRE], 2 * identity.face_width * size, luma < DARK_SKIN)
                    for frame, points in zip(frames, landmarks)]
    return samples


def driving_faces(frames):
    """(face centre, face width in px) in each frame of the cartoon example's driving video."""
    faces = get_category("cartoon-face")
    size = frames[0].shape[0]
    identity, poses = faces.sample_clip("test", CARTOON_DRIVING_CLIP, len(frames))
    _, landmarks = faces.render(identity, poses, size)
    return [(points[CENTRE], 2 * identity.face_width * size) for points in landmarks], skin_luma(identity)


def puppet_frames(count: int = 40, size: int = 128):
    puppets = get_category("puppet")
    return [puppets.render(*puppets.sample_clip("test", index, 1), size)[0][0] for index in range(count)]


def milliseconds(cases: dict, repeats: int) -> dict:
    """{case: ms per frame} for {case: (detector, frames, with a face)}: the whole frame searched, and, in frames
    with a face, the face followed (``near=`` the face found in the frame before, on the frames after one where it
    was found); the best of ``repeats`` passes, the cases taking turns, so that another process's load falls on
    all of them alike."""
    pairs = {}
    for case, (detector, frames, with_face) in cases.items():
        found = [detector(frame) for frame in frames]  # also a warm-up
        pairs[case] = [(frame, before[0]) for frame, before in zip(frames[1:], found) if before and with_face]
    whole, near = {case: [] for case in cases}, {case: [] for case in cases}
    for _ in range(repeats):
        for case, (detector, frames, _) in cases.items():
            start = time.perf_counter()
            for frame in frames:
                detector(frame)
            whole[case].append((time.perf_counter() - start) / len(frames))
            start = time.perf_counter()
            for frame, before in pairs[case]:
                detector(frame, near=before)
            near[case].append((time.perf_counter() - start) / max(1, len(pairs[case])))
    return {case: {"whole_frame_ms": 1000 * min(whole[case]),
                   "near_ms": 1000 * min(near[case]) if pairs[case] else None, "near_frames": len(pairs[case])}
            for case in cases}


def followed(category: str, frames, fps: float) -> dict:
    """What ``SubjectFramer(category).follow`` does with the video (its note, whether it follows the face), and
    its first pass's figures: the frames it looks at (one in ``stride``) and those where it finds the face."""
    framer = SubjectFramer(category)
    stride = max(1, round(fps / framer.detect.detections_per_second))  # as SubjectFramer.follow
    track = follow_subject(iter(frames), framer.detect, framer.rule.square, stride, fps)
    result = framer.follow(iter(frames), fps)
    return {"stride": stride, "found": track.found if track else 0, "looked_at": len(range(0, len(frames), stride)),
            "followed": result.track is not None, "note": result.note}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over each video (the best is kept)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    start = time.perf_counter()
    real = face_detector()
    drawn = face_detector(detection.FACE_RENDERINGS["cartoon-face"])
    if real is None:
        raise SystemExit("No face detector is installed (opencv-python-headless<5)")
    detectors = {"real faces": real, "drawn faces": drawn}
    results = {"machine": f"{cpu_name()}, {os.cpu_count()} cores"}
    print(f"Machine: {results['machine']}")

    # carphone: the real-face detector, upright or turned, CLAHE or global equalisation
    carphone, carphone_fps = video(CARPHONE)
    contrasts = {"CLAHE": real, "global equalisation": with_global_equalisation(real)}
    table = {}
    for name, detector in contrasts.items():
        with UprightOnly():
            upright = sum(bool(detector(frame)) for frame in carphone)
        turned = sum(bool(detector(frame)) for frame in carphone)
        table[name] = {"upright only": upright, "upright, then turned": turned}
    results["carphone_found"] = {"frames": len(carphone), **table}
    print(f"\ncarphone.mp4: frames where the detector of real faces finds a face (of {len(carphone)}, whole frame)")
    print("| contrast | upright only | upright, then turned |")
    print("| --- | --- | --- |")
    for name, row in table.items():
        print(f"| {name} | {row['upright only']} | {row['upright, then turned']} |")

    # procedural cartoon faces, by skin, and the cartoon example's driving video
    samples = cartoon_frames()
    driving, driving_fps = video(CARTOON_DRIVING)
    driving_truth, driving_luma = driving_faces(driving)
    puppets = puppet_frames()
    variants = {"real faces (CLAHE)": real, "real faces, global equalisation": contrasts["global equalisation"],
                "drawn faces": drawn}
    columns = {"dark": [s for s in samples if s[3]], "light": [s for s in samples if not s[3]]}
    table = {}
    for name, detector in variants.items():
        row = {skin: sum(at_face(detector(frame), centre, width) for frame, centre, width, _ in chosen)
               for skin, chosen in columns.items()}
        row["driving.mp4"] = sum(at_face(detector(frame), centre, width)
                                 for frame, (centre, width) in zip(driving, driving_truth))
        row["puppets, something found"] = sum(bool(detector(frame)) for frame in puppets)
        table[name] = row
    results["cartoon_found"] = {"frames": {skin: len(chosen) for skin, chosen in columns.items()},
                                "driving_frames": len(driving), "driving_skin_luma": driving_luma,
                                "puppet_frames": len(puppets), **table}
    print(f"\nCartoon faces found (24 procedural test clips, every 4th frame, 128 px; skin luma under {DARK_SKIN}: "
          f"dark), the cartoon example's driving video (skin luma {driving_luma:.0f}), and puppet frames without a "
          "face where something is found")
    print(f"| detector | dark skin (of {len(columns['dark'])}) | light skin (of {len(columns['light'])}) | "
          f"driving.mp4 (of {len(driving)}) | puppets (of {len(puppets)}) |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in table.items():
        print(f"| {name} | {row['dark']} | {row['light']} | {row['driving.mp4']} | {row['puppets, something found']} |")

    # following, as fomm animate does
    follows = {"carphone.mp4, SubjectFramer('face')": followed("face", carphone, carphone_fps),
               "driving.mp4, SubjectFramer('face')": followed("face", driving, driving_fps),
               "driving.mp4, SubjectFramer('cartoon-face')": followed("cartoon-face", driving, driving_fps)}
    results["followed"] = follows
    print("\nFollowed through the video (fomm animate's first pass)")
    print("| video, framer | found / looked at | followed |")
    print("| --- | --- | --- |")
    for name, row in follows.items():
        print(f"| {name} | {row['found']} / {row['looked_at']} (one in {row['stride']}) | "
              f"{'yes' if row['followed'] else 'no'} |")

    # cost
    videos = {"carphone.mp4": (carphone, True), "driving.mp4": (driving, True), "puppets (no face)": (puppets, False)}
    timings = milliseconds({(video_name, name): (detector, frames, with_face)
                            for video_name, (frames, with_face) in videos.items()
                            for name, detector in detectors.items()}, args.repeats)
    results["milliseconds"] = {f"{video_name}, {name}": row for (video_name, name), row in timings.items()}
    print(f"\nMilliseconds per frame (best of {args.repeats} passes)")
    print("| frames | detector | whole frame | following (near=) |")
    print("| --- | --- | --- | --- |")
    for (video_name, name), row in timings.items():
        near = "-" if row["near_ms"] is None else f"{row['near_ms']:.1f} ({row['near_frames']} frames)"
        print(f"| {video_name} | {name} | {row['whole_frame_ms']:.1f} | {near} |")

    results["seconds"] = time.perf_counter() - start
    print(f"\n{results['seconds']:.0f} s in all")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
