"""fomm prepare-data: raw videos cut into square clips of their subject, split by identity, resumable."""

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import cv2
import numpy as np
import PIL.Image
import pytest

from fomm_hf.errors import InvalidInputError
from fomm_hf.framing import face_detector
from fomm_hf.framing.detection import SQUARE_RULES
from fomm_hf.framing.squares import Box, Detection, Square
from fomm_hf.preparation import PreparationSettings, find_tubes, prepare_dataset
from fomm_hf.procedural import get_category
from fomm_hf.training import Trainer, TrainingArguments, load_training_config
from fomm_hf.training.frames_dataset import FramesDataset, dataset_category
from fomm_hf.video import VideoWriter, open_video

from .helpers import MEDIA, REPO_ROOT, modes_under, needs

pytestmark = needs(MEDIA / "carphone.mp4")
SIZE = 64
SETTINGS = ["--category", "face", "--size", str(SIZE), "--min-side", "64", "--test-fraction", "0.3"]


def carphone_frames() -> np.ndarray:
    with open_video(MEDIA / "carphone.mp4") as video:
        return np.stack(list(video.frames()))  # (120, 144, 176, 3)


def procedural_face_clip(height: int, width: int) -> np.ndarray:
    """A procedural cartoon face (held-out clip 3, which the frontal-face detector finds) in a frame of the size of
    carphone.mp4's, (64, height, width, 3)."""
    kind = get_category("cartoon-face")
    frames, _ = kind.render(*kind.sample_clip("test", 3, 64, 0), height)
    side = (width - height) // 2
    return np.pad(frames, ((0, 0), (0, 0), (side, width - height - side), (0, 0)), mode="edge")


def write_video(path: Path, frames: np.ndarray) -> None:
    with VideoWriter(path, fps=30000 / 1001) as writer:
        writer.write(frames)


@pytest.fixture(scope="module")
def raw_videos(tmp_path_factory) -> Path:
    """Four identities: carphone.mp4; a longer video of it, reversed, then a procedural face; a blurred copy; a
    file that is not a video."""
    raw = tmp_path_factory.mktemp("raw")
    frames = carphone_frames()
    write_video(raw / "anna#carphone.mp4", frames)
    (raw / "ben").mkdir()
    write_video(raw / "ben" / "long.mp4", np.concatenate([frames, frames[::-1], procedural_face_clip(144, 176)]))
    write_video(raw / "carl#blurred.mp4", np.stack([cv2.GaussianBlur(f, (0, 0), 3) for f in frames]))
    (raw / "dana#broken.mp4").write_text("not a video")
    return raw


def start_prepare_data(raw: Path, output: Path) -> subprocess.Popen:
    """``fomm prepare-data`` in a process of its own (to be killed)."""
    return subprocess.Popen([sys.executable, "-m", "fomm_hf", "prepare-data", "--input", raw, "--output", output,
                             *SETTINGS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def prepare_data_here(raw: Path, output: Path) -> tuple:
    """``fomm prepare-data`` run in this process (no interpreter to start): (exit status, stdout, stderr)."""
    from fomm_hf.cli import main

    with redirect_stdout(io.StringIO()) as stdout, redirect_stderr(io.StringIO()) as stderr:
        try:
            status = main(["prepare-data", "--input", str(raw), "--output", str(output), *SETTINGS])
        except SystemExit as exit:  # argparse's own errors
            status = exit.code
    return status, stdout.getvalue(), stderr.getvalue()


def tree_digest(root: Path) -> dict:
    """{relative path: sha256} of every file under ``root``."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def prepared(raw_videos, tmp_path_factory):
    """(output folder, the command's standard output) of one uninterrupted run."""
    output = tmp_path_factory.mktemp("prepared") / "data"
    status, stdout, stderr = prepare_data_here(raw_videos, output)
    assert status == 0, stderr
    return output, stdout


def detected_face_offsets(clip: Path, every: int = 3) -> tuple:
    """The face detector (fomm_hf.framing.face_detector, the one prepare-data uses for faces) run on every
    ``every``-th frame of a written clip: (number of frames searched, [(distance from the clip's centre to the
    detected face's centre, to the centre of the square the face models animate around it)], each / the clip's
    side). Each frame is searched at twice its size: the faces of 64-pixel clips are about 28 pixels wide, at the
    detector's smallest size (24)."""
    detector = face_detector()
    frames = sorted(clip.iterdir())[::every]
    offsets = []
    for path in frames:
        frame = np.asarray(PIL.Image.open(path).convert("RGB"))
        side = frame.shape[0]
        found = detector(cv2.resize(frame, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
        if found:
            face = found[0].box.scaled(0.5)
            square = SQUARE_RULES["face"].square(face)
            offsets.append((np.hypot(face.centre[0] - side / 2, face.centre[1] - side / 2) / side,
                            np.hypot(square.centre[0] - side / 2, square.centre[1] - side / 2) / side))
    return len(frames), offsets


def test_real_videos_become_centred_clips_split_by_identity_with_their_index(prepared):
    output, stdout = prepared
    rows = list(csv.DictReader((output / "index.csv").open()))
    summary = json.loads((output / "preparation.json").read_text())["summary"]
    print(stdout)

    # carphone.mp4: the face is followed through the clip, its tilted second half included (the detector looks
    # every third frame, so the tube ends after frame 117). The long video: carphone and its reversed copy are one
    # steady shot (frames 0-239), then the cut to the cartoon face at 240 starts another tube. The blurred copy is
    # dropped.
    by_video = {}
    for row in rows:
        by_video.setdefault(row["video"], []).append(row)
    assert sorted(by_video) == ["anna#carphone.mp4", "ben/long.mp4"]
    assert [(r["start_frame"], r["end_frame"]) for r in by_video["anna#carphone.mp4"]] == [("0", "118")]
    long_clips = [(int(r["start_frame"]), int(r["end_frame"])) for r in by_video["ben/long.mp4"]]
    assert long_clips[0] == (0, 238) and len(long_clips) == 2 and 240 <= long_clips[1][0] < long_clips[1][1] <= 304
    assert summary["dropped"]["too blurred"] == 1
    assert list(summary["unreadable"]) == ["dana#broken.mp4"] and str(output.parent) not in str(summary["unreadable"])
    assert "skipped dana#broken.mp4: Cannot read dana#broken.mp4 as a video" in stdout

    # Identities never cross the split; each split has clips (here the hash put only dana, whose file is not a
    # video, in test/: the clips of one of the identities that gave some moved there).
    splits = {row["identity"]: row["split"] for row in rows}
    assert all(splits[row["identity"]] == row["split"] for row in rows)
    assert set(summary["identities"]["train"]).isdisjoint(summary["identities"]["test"])
    assert summary["identities"]["test"] and summary["identities"]["train"]

    # The files are what the index says: one folder of SIZE x SIZE frames per clip, in its split.
    for row in rows:
        frames = sorted((output / row["split"] / row["clip"]).iterdir())
        assert len(frames) == int(row["frames"]) == int(row["end_frame"]) - int(row["start_frame"])
        assert PIL.Image.open(frames[0]).size == (SIZE, SIZE)
    assert sum(int(row["frames"]) for row in rows) == summary["frames"]

    # Centred, as the face detector finds the faces in the written clips: in every clip a face is found in at least
    # 90% of the frames searched, its centre is on average less than 15% of the clip's side from the clip's centre,
    # and so is the centre of the square the face models animate around it (the framing they expect: it holds hair
    # and neck, so its centre is above the face's); in carphone.mp4 (176x144) the head fills the frame, so that
    # square cannot be centred on it without padding, which clips never hold. The centre error that prepare-data
    # records for each clip (its own account of where it cropped) is what the detector measures, within 0.03.
    for row in rows:
        searched, offsets = detected_face_offsets(output / row["split"] / row["clip"])
        assert len(offsets) >= 0.9 * searched, f"{row['clip']}: a face in {len(offsets)} of {searched} frames"
        face_offset, square_offset = np.mean(offsets, axis=0)
        assert face_offset < 0.15 and square_offset < 0.15, (row["clip"], face_offset, square_offset)
        assert abs(square_offset - float(row["centre_error_mean"])) < 0.03, (row["clip"], square_offset)
    assert summary["centre_error"]["mean"] < 0.15
    assert "centre is" in stdout and "dropped: " in stdout

    # The trainer reads the result, with identity sampling; under umask 022 everything is 755 / 644.
    dataset = FramesDataset(output, (SIZE, SIZE, 3), is_train=True, id_sampling=True)
    assert dataset[0]["source"].shape == (3, SIZE, SIZE)
    assert FramesDataset(output, (SIZE, SIZE, 3), is_train=False)[0]["video"].shape[1:] == (3, SIZE, SIZE)
    assert modes_under(output) == {"folders": {0o755}, "files": {0o644}}


def test_a_killed_run_continues_to_the_same_files_as_an_uninterrupted_one(raw_videos, prepared, tmp_path):
    output = tmp_path / "data"
    process = start_prepare_data(raw_videos, output)
    deadline = time.monotonic() + 120
    while not any((output / ".partial").glob("*/*")) and time.monotonic() < deadline:  # writing a clip
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    assert not (output / "index.csv").exists()
    assert any((output / ".partial").glob("*/*")), "killed while a clip was being written"

    status, _, stderr = prepare_data_here(raw_videos, output)  # run again, in this process: it is not killed
    assert status == 0, stderr
    assert tree_digest(output) == tree_digest(prepared[0])


def test_mp4_clips_and_settings_that_differ_from_the_folders_are_refused(tmp_path):
    frames = carphone_frames()  # two identities of 40 frames: a clip in train/, one in test/
    raw = tmp_path / "raw"
    raw.mkdir()
    write_video(raw / "anna#first.mp4", frames[:40])
    write_video(raw / "ben#second.mp4", frames[40:80])
    output = tmp_path / "data"
    summary = prepare_dataset(raw, output, PreparationSettings(size=SIZE, clip_format="mp4", min_side=64,
                                                               min_frames=16), progress=False)
    clips = sorted((output / "train").glob("*.mp4")) + sorted((output / "test").glob("*.mp4"))
    assert len(clips) == summary["clips"]["train"] + summary["clips"]["test"] == 2
    dataset = FramesDataset(output, (SIZE, SIZE, 3), is_train=False)
    index_frames = {int(row["frames"]) for row in csv.DictReader((output / "index.csv").open())}
    assert {len(dataset[i]["video"]) for i in range(len(dataset))} <= index_frames
    with pytest.raises(InvalidInputError, match="other settings"):
        prepare_dataset(raw, output, PreparationSettings(size=SIZE, min_side=64, min_frames=16), progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match="holds no videos"):
        prepare_dataset(tmp_path / "empty", tmp_path / "other", progress=False)


def test_videos_whose_names_differ_by_separators_are_all_prepared(tmp_path):
    """alice#x.mp4 (identity alice) and alice_x.mp4 (identity alice_x), henry/clip.mp4 and henry_clip.mp4: four
    videos, four clips (their progress records once shared a name, and two videos were skipped as done)."""
    frames = carphone_frames()[:40]
    names = ["alice#x.mp4", "alice_x.mp4", "henry/clip.mp4", "henry_clip.mp4"]
    for name in names:
        (tmp_path / "raw" / name).parent.mkdir(parents=True, exist_ok=True)
        write_video(tmp_path / "raw" / name, frames)
    settings = PreparationSettings(size=32, min_frames=16, min_side=32, test_fraction=0.3)
    summary = prepare_dataset(tmp_path / "raw", tmp_path / "data", settings, progress=False)
    rows = list(csv.DictReader((tmp_path / "data" / "index.csv").open()))
    assert sorted(row["video"] for row in rows) == sorted(names)
    assert len({row["clip"] for row in rows}) == 4 == summary["clips"]["train"] + summary["clips"]["test"]
    assert dataset_category(tmp_path / "data") == "face"  # what the trainer records in the pipeline


def test_training_on_clips_smaller_than_the_config_warns(prepared, tmp_path):
    output, _ = prepared
    config = tmp_path / "larger.yaml"
    config.write_text((REPO_ROOT / "configs" / "test-tiny.yaml").read_text().replace("frame_shape: [64, 64, 3]",
                                                                                    "frame_shape: [128, 128, 3]"))
    arguments = TrainingArguments(output_dir=str(tmp_path / "run"), data_dir=str(output), batch_size=1,
                                  perceptual_backbone="random")
    with pytest.warns(UserWarning, match="are 64 px and the config trains at 128x128: every frame is upscaled"):
        trainer = Trainer(load_training_config(config), arguments)
    assert trainer.category == "face"


def fake_detector(boxes_per_frame):
    def detect(frame, near=None):
        return [Detection(box, 1.0) for box in boxes_per_frame[int(frame[0, 0, 0])]]
    return detect


def test_tubes_follow_each_subject_bridge_short_misses_and_end_when_it_moves_away():
    """Two subjects; the first is missed for 5 frames (bridged: less than 0.5 s at 25 fps), then jumps away
    (a new tube); the second leaves for a second (its tube ends, and a new one starts when it is back)."""
    left, right, moved = Box(10, 10, 40, 40), Box(100, 10, 130, 40), Box(50, 50, 80, 80)
    boxes = []
    for t in range(100):
        frame_boxes = [] if 20 <= t < 25 else [left if t < 60 else moved]
        frame_boxes += [] if 40 <= t < 65 else [right]
        boxes.append(frame_boxes)
    frames = [np.full((160, 160, 3), t, dtype=np.uint8) for t in range(100)]
    tubes, num_frames = find_tubes(frames, fake_detector(boxes), lambda box: Square.around(box, 1.5), 1, fps=25)
    assert num_frames == 100
    spans = sorted(((tube.start, tube.end, tube.first_box) for tube in tubes), key=lambda span: span[:2])
    assert spans == [(0, 40, right), (0, 60, left), (60, 100, moved), (65, 100, right)]
    assert next(t for t in tubes if t.start == 0 and t.first_box == left).found_fraction == pytest.approx(55 / 60)
