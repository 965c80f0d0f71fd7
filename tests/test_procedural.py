"""Procedural videos: determinism, rendering quality, exact ground truth of "A driven by B", files, datasets."""

import json
from dataclasses import replace

import numpy as np
import PIL.Image
import pytest
import torch

from fomm_hf.cli import main
from fomm_hf.errors import InvalidInputError
from fomm_hf.procedural import (
    BONES,
    FACE_LANDMARKS,
    FacePose,
    clip_seeds,
    get_category,
    render_face,
    sample_face_identity,
    sample_face_motion,
    sample_grid,
    write_dataset,
)
from fomm_hf.procedural.backgrounds import Background
from fomm_hf.procedural.cartoon_faces import HEAD_CENTRE, head_transform
from fomm_hf.procedural.drawn_categories import DRAWN
from fomm_hf.procedural.rasterizer import coverage
from fomm_hf.procedural.shapes import ellipse, stroke, transform


def clip(category: str, index: int, num_frames: int = 8, size: int = 64, split: str = "test"):
    kind = DRAWN[category]
    identity, poses = kind.sample_clip(split, index, num_frames)
    return kind.render(identity, poses, size)


def landmark(category: str, landmarks: np.ndarray, name: str) -> np.ndarray:
    return landmarks[:, DRAWN[category].landmark_names.index(name)]


@pytest.mark.parametrize("category", sorted(DRAWN))
def test_same_seed_same_pixels_other_seeds_differ(category):
    frames, landmarks = clip(category, 0)
    again, landmarks_again = clip(category, 0)
    assert np.array_equal(frames, again) and np.array_equal(landmarks, landmarks_again)
    other, _ = clip(category, 1)
    assert np.abs(frames.astype(int) - other).mean() > 10
    assert (
        len({clip_seeds(category, split, i, seed) for split in ("train", "test") for i in range(3) for seed in (0, 1)})
        == 12
    )


@pytest.mark.parametrize("category", sorted(DRAWN))
@pytest.mark.parametrize("size", [32, 64])
def test_frames_and_landmarks_shapes(category, size):
    frames, landmarks = clip(category, 2, num_frames=3, size=size)
    assert frames.shape == (3, size, size, 3) and frames.dtype == np.uint8
    assert landmarks.shape == (3, len(DRAWN[category].landmark_names), 2) and landmarks.dtype == np.float64
    assert frames.min() < frames.max()


@pytest.mark.parametrize("category", sorted(DRAWN))
def test_motion_is_smooth_and_landmarks_stay_inside_the_frame(category):
    kind = DRAWN[category]
    for index in range(20):
        identity, poses = kind.sample_clip("train", index, 64)
        landmarks = np.stack([kind.scene(identity, pose)[1] for pose in poses])  # frame units
        assert landmarks.min() > 0.03 and landmarks.max() < 0.97
        step = np.linalg.norm(np.diff(landmarks, axis=0), axis=-1)
        steady = [i for i, name in enumerate(kind.landmark_names) if not name.endswith("upper_lid")]  # blinks are fast
        assert step[:, steady].max() < 0.04  # under 5 pixels per frame at 128 x 128


def test_faces_blink_and_talk():
    poses = [sample_face_motion(seed, 64) for seed in range(10)]
    assert all(min(p.eye_openness for p in clip_poses) < 0.2 for clip_poses in poses)  # a blink in each clip
    assert all(max(p.mouth_opening for p in clip_poses) > 0.2 for clip_poses in poses)


def test_rasterizer_coverage_is_exact():
    """Pixel (i, j) spans [j, j + 1] x [i, i + 1]: area and centroid of a rendered ellipse are the true ones."""
    outline = ellipse((20.3, 17.8), (9.1, 6.2), angle=30, num_points=512)
    top, left, alpha = coverage([outline], 40, 40)
    rows, columns = np.mgrid[top : top + alpha.shape[0], left : left + alpha.shape[1]] + 0.5
    assert alpha.sum() == pytest.approx(np.pi * 9.1 * 6.2, rel=1e-3)
    assert (alpha * columns).sum() / alpha.sum() == pytest.approx(20.3, abs=0.01)
    assert (alpha * rows).sum() / alpha.sum() == pytest.approx(17.8, abs=0.01)
    top, left, ring = coverage(stroke(ellipse((20, 20), (10, 10), num_points=256), 2.0, closed=True), 40, 40)
    assert ring.sum() == pytest.approx(2 * np.pi * 10 * 2.0, rel=1e-3) and ring[20 - top, 20 - left] == 0


def test_face_edges_are_anti_aliased():
    """The top of a bald head covers part of a pixel row: that pixel blends background and skin in proportion."""
    identity = replace(sample_face_identity(3), hair_style="none", hat=None,
                       background=Background("plain", (40, 60, 200), (40, 60, 200), 0.0, 0.1))  # fmt: skip
    background, skin = np.array(identity.background.colour, dtype=float), np.array(identity.skin, dtype=float)
    for dy in np.linspace(0, 1 / 64, 5, endpoint=False):
        image, _ = render_face(identity, FacePose(dy=dy), 64)
        top = (HEAD_CENTRE[1] + dy - identity.face_height) * 64  # pixels, on the middle column
        row = int(np.floor(top))
        column = image[:, 32].astype(float)  # x in [32, 33]: right of the middle
        assert np.abs(column[:row] - background).max() < 1 and np.abs(column[row + 1 : row + 4] - skin).max() < 2
        covered = (column[row] - background) @ (skin - background) / np.sum((skin - background) ** 2)
        assert covered == pytest.approx(row + 1 - top, abs=0.08)


def test_puppet_edges_are_anti_aliased():
    frames, _ = clip("puppet", 0, num_frames=1, size=64)
    colours = np.unique(frames[0].reshape(-1, 3), axis=0)
    assert len(colours) > 60  # a few flat colours, plus the blends along every edge


def colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a.reshape(-1, 3).mean(0) - b.reshape(-1, 3).mean(0)))


@pytest.mark.parametrize("category", sorted(DRAWN))
def test_a_driven_by_b_looks_like_a(category):
    kind = DRAWN[category]
    identity_a, poses_a = kind.sample_clip("test", 0, 8)
    video_a, _ = kind.render(identity_a, poses_a, 64)
    for index in range(1, 10):  # B: the first clip that looks clearly different
        identity_b, poses_b = kind.sample_clip("test", index, 8)
        video_b, _ = kind.render(identity_b, poses_b, 64)
        if colour_distance(video_a, video_b) > 40:
            break
    a_by_b, _ = kind.render(identity_a, poses_b, 64)
    assert colour_distance(a_by_b, video_a) < 0.2 * colour_distance(a_by_b, video_b)


def a_driven_by_b(category: str):
    """Test clips 0 (A) and 1 (B): (kind, identity A, identity B, B's poses, B's landmarks, A-by-B landmarks)."""
    kind = DRAWN[category]
    identity_a, _ = kind.sample_clip("test", 0, 16)
    identity_b, poses_b = kind.sample_clip("test", 1, 16)
    _, b = kind.render(identity_b, poses_b, 64)
    _, a_by_b = kind.render(identity_a, poses_b, 64)
    return kind, identity_a, identity_b, poses_b, b, a_by_b


def test_faces_a_driven_by_b_follows_b_head():
    kind, identity_a, identity_b, poses_b, b, a_by_b = a_driven_by_b("cartoon-face")
    def centre(lm):
        return landmark("cartoon-face", lm, "face_centre")

    def eye_line(lm):
        return landmark("cartoon-face", lm, "right_eye") - landmark("cartoon-face", lm, "left_eye")

    def angle(v):
        return np.arctan2(v[:, 1], v[:, 0])

    def spacing(identity):
        return identity.eye_spacing * identity.face_width

    assert np.allclose(centre(a_by_b), centre(b), atol=1e-9)
    assert np.allclose(angle(eye_line(a_by_b)), angle(eye_line(b)), atol=1e-9)
    ratio = np.linalg.norm(eye_line(a_by_b), axis=1) / np.linalg.norm(eye_line(b), axis=1)
    assert np.allclose(ratio, spacing(identity_a) / spacing(identity_b))
    # Everything else is A's own face with B's expression, moved by B's head transform.
    still = [replace(p, dx=0.0, dy=0.0, angle=0.0, scale=1.0) for p in poses_b]
    _, a_still = kind.render(identity_a, still, 64)
    rest = np.linalg.inv(head_transform(FacePose()))
    for t, pose in enumerate(poses_b):
        expected = transform(head_transform(pose) @ rest, a_still[t] / 64) * 64
        assert np.allclose(a_by_b[t], expected, atol=1e-9)


def test_puppets_a_driven_by_b_follows_b_skeleton():
    kind, identity_a, identity_b, poses_b, b, a_by_b = a_driven_by_b("puppet")
    assert np.allclose(landmark("puppet", a_by_b, "pelvis"), landmark("puppet", b, "pelvis"), atol=1e-9)
    def unit(v):
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    for start, end in BONES:
        bone_a = landmark("puppet", a_by_b, end) - landmark("puppet", a_by_b, start)
        bone_b = landmark("puppet", b, end) - landmark("puppet", b, start)
        assert np.allclose(unit(bone_a), unit(bone_b), atol=1e-9)
    assert not np.allclose(a_by_b, b, atol=0.5)  # A's proportions, not B's


def changed_region(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(rows, columns) of the pixels that differ."""
    return np.argwhere(np.abs(before.astype(int) - after).max(axis=-1) > 8)


def test_blinks_change_the_eyes_only():
    identity = sample_face_identity(5)
    open_eyes, landmarks = render_face(identity, FacePose(), 128)
    closed_eyes, _ = render_face(identity, FacePose(eye_openness=0.0), 128)
    changed = changed_region(open_eyes, closed_eyes)[:, ::-1]  # (x, y)
    eyes = landmarks[[FACE_LANDMARKS.index("left_eye"), FACE_LANDMARKS.index("right_eye")]]
    eye_width = np.linalg.norm(landmarks[FACE_LANDMARKS.index("left_eye_outer")] - eyes[0])
    distance_to_eyes = np.linalg.norm(changed[:, None] + 0.5 - eyes[None], axis=-1).min(axis=1)
    assert len(changed) > 30 and distance_to_eyes.max() < 1.5 * eye_width + 2


def test_mouth_opening_changes_the_mouth():
    identity = sample_face_identity(5)
    closed, landmarks = render_face(identity, FacePose(), 128)
    opened, opened_landmarks = render_face(identity, FacePose(mouth_opening=1.0), 128)
    changed = changed_region(closed, opened)[:, ::-1]
    left, right = landmarks[FACE_LANDMARKS.index("mouth_left")], landmarks[FACE_LANDMARKS.index("mouth_right")]
    assert len(changed) > 50
    inside = (changed[:, 0] >= left[0] - 2) & (changed[:, 0] <= right[0] + 2)
    assert inside.mean() > 0.5  # mostly the mouth; the rest is the dropping jaw
    chin = FACE_LANDMARKS.index("chin")
    assert opened_landmarks[chin, 1] > landmarks[chin, 1] + 1  # the jaw drops


def test_write_dataset_layout_and_determinism(tmp_path):
    arguments = {"category": "cartoon-face", "num_train": 2, "num_test": 1, "num_frames": 4, "size": 32, "seed": 7}
    metadata = write_dataset(tmp_path / "a", **arguments)
    write_dataset(tmp_path / "b", **arguments)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    expected = ["metadata.json"] + [f"{split}/{i:05d}.{ext}" for split, n in (("test", 1), ("train", 2))
                                    for i in range(n) for ext in ("json", "png")]  # fmt: skip
    assert [str(p) for p in files] == expected
    assert all((tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes() for p in files)
    assert metadata == json.loads((tmp_path / "a" / "metadata.json").read_text())
    assert metadata["landmark_names"] == list(FACE_LANDMARKS)

    strip = np.asarray(PIL.Image.open(tmp_path / "a" / "train" / "00001.png"))
    record = json.loads((tmp_path / "a" / "train" / "00001.json").read_text())
    assert strip.shape == (32, 4 * 32, 3) and np.array(record["landmarks"]).shape == (4, len(FACE_LANDMARKS), 2)
    kind = get_category("cartoon-face")
    identity = kind.sample_identity(record["identity_seed"])
    poses = kind.sample_motion(record["motion_seed"], 4)
    frames, landmarks = kind.render(identity, poses, 32)  # re-rendered from the seeds alone
    assert np.array_equal(np.concatenate(list(frames), axis=1), strip)
    assert np.allclose(record["landmarks"], landmarks, atol=1e-4)
    assert np.allclose(record["poses"]["yaw"], [p.yaw for p in poses], atol=1e-6)

    with pytest.raises(InvalidInputError, match="not empty"):
        write_dataset(tmp_path / "a", **arguments)


def test_written_dataset_loads_with_frames_dataset(tmp_path):
    from fomm_hf.training.frames_dataset import read_clip

    write_dataset(tmp_path / "strips", "puppet", num_train=1, num_test=1, num_frames=3, size=32)
    write_dataset(tmp_path / "folders", "puppet", num_train=1, num_test=1, num_frames=3, size=32, layout="frames")
    assert sorted(p.name for p in (tmp_path / "folders" / "train" / "00000").iterdir()) == [
        "0000.png",
        "0001.png",
        "0002.png",
    ]
    from_strip = read_clip(tmp_path / "strips" / "train" / "00000.png", (32, 32, 3))
    from_folder = read_clip(tmp_path / "folders" / "train" / "00000", (32, 32, 3))
    frames, _ = clip("puppet", 0, num_frames=3, size=32, split="train")
    assert from_strip.shape == (3, 3, 32, 32) and torch.equal(from_strip, from_folder)
    assert torch.equal(from_strip, torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255)


def test_invalid_arguments(tmp_path):
    with pytest.raises(InvalidInputError, match="cartoon-face, puppet"):
        get_category("cats")
    with pytest.raises(InvalidInputError, match="size"):
        DRAWN["cartoon-face"].render(sample_face_identity(0), [FacePose()], 8)
    with pytest.raises(InvalidInputError, match="seed"):
        clip_seeds("faces", "train", 0, -1)
    with pytest.raises(InvalidInputError, match="layout"):
        write_dataset(tmp_path, layout="mp4")
    with pytest.raises(InvalidInputError, match="num_frames"):
        write_dataset(tmp_path, num_frames=0)


def test_command(tmp_path, capsys):
    root = tmp_path / "data"
    arguments = [
        "procedural-data",
        "--root",
        str(root),
        "--category",
        "puppet",
        "--train",
        "2",
        "--test",
        "1",
        "--frames",
        "3",
        "--size",
        "32",
    ]
    assert main(arguments + ["--preview", str(tmp_path / "preview.gif")]) == 0
    assert "Wrote 2 train and 1 test puppet clips" in capsys.readouterr().out
    assert (root / "train" / "00001.png").is_file() and (tmp_path / "preview.gif").stat().st_size > 0
    assert main(arguments) == 2
    error = capsys.readouterr().err
    assert error.startswith("fomm procedural-data: error:") and "not empty" in error


def test_sample_grid_holds_each_clip_at_each_moment():
    """sample_grid (the preview of a category): row i, column j is training clip i rendered at moment j, and the
    cells differ along a row (the clip moves) and down a column (other identities)."""
    frame_indices, size = (0, 12, 24), 48
    for category, rows in (("cartoon-face", 2), ("puppet", 2)):
        grid = sample_grid(category, rows, frame_indices, size)
        assert grid.shape == (rows * size, len(frame_indices) * size, 3)
        kind = get_category(category)
        cells = grid.reshape(rows, size, len(frame_indices), size, 3).transpose(0, 2, 1, 3, 4)
        for row in range(rows):
            identity, poses = kind.sample_clip("train", row, max(frame_indices) + 1)
            expected, _ = kind.render(identity, [poses[t] for t in frame_indices], size)
            assert np.array_equal(cells[row], expected), (category, row)
            assert all(not np.array_equal(cells[row, 0], cells[row, j]) for j in range(1, len(frame_indices)))
        assert not np.array_equal(cells[0, 0], cells[1, 0])
