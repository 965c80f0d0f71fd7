"""Framing: the face found in real pictures, followed through real and synthetic videos, pasted back whole.

Truth comes from a box marked by hand on the real portrait, and from the procedural renderer's landmarks for
a cartoon face moved across a larger canvas.
"""

import subprocess
import sys

import numpy as np
import PIL.Image
import pytest

from fomm_hf import FOMMPipeline
from fomm_hf.framing import Box, PasteBack, Square, SubjectFramer, face_detector, feather_mask
from fomm_hf.images import read_image
from fomm_hf.procedural import get_category
from fomm_hf.video import VideoWriter, open_video

from .helpers import MEDIA, REPO_ROOT, needs, run_fomm_here

# Marked by hand on astronaut.png (512x512): cheek to cheek, brows to chin; and the eyes, nose tip and mouth.
ASTRONAUT_FACE = Box(181, 85, 271, 173)
ASTRONAUT_FEATURES = [(203, 101), (250, 103), (225, 126), (225, 146)]


@pytest.fixture(scope="module")
def bundled():
    pipe = FOMMPipeline.from_pretrained()
    pipe.set_progress_bar_config(disable=True)
    return pipe


@needs(MEDIA)
def test_the_face_found_in_the_portrait_is_the_one_marked_by_hand():
    image = read_image(MEDIA / "astronaut.png")
    detections = face_detector()(image)
    assert len(detections) == 1
    box = detections[0].box
    assert box.iou(ASTRONAUT_FACE) > 0.5, box
    assert all(box.left < x < box.right and box.top < y < box.bottom for x, y in ASTRONAUT_FEATURES), box
    square = SubjectFramer("face").frame_source(image).square  # head, hair and neck, as in VoxCeleb's crops
    assert square.left < ASTRONAUT_FACE.left and square.top < ASTRONAUT_FACE.top - 40
    assert square.left + square.side > ASTRONAUT_FACE.right and square.top + square.side > ASTRONAUT_FACE.bottom


def test_a_picture_framed_closely_already_is_animated_whole():
    """The cartoon example is a 128 px crop around its face; the model's framing (1.8 face widths) would be 135 px:
    the whole picture is animated, not a square padded with its repeated edges."""
    image = read_image(REPO_ROOT / "examples" / "cartoon-face" / "face.png")
    framed = SubjectFramer("cartoon-face").frame_source(image)
    assert framed.square == Square(0, 0, 128) and "larger than the picture" in framed.note
    assert Square(-20, 30, 100).fitted(400, 300) == Square(-20, 30, 100)  # within the picture's size: as it is
    assert Square(-20, 30, 350).fitted(400, 300) == Square(5, 0, 300)  # about its centre (155, 205), inside


@needs(MEDIA)
@pytest.mark.parametrize("tilt", [-40, 60])
def test_a_tilted_face_is_found_where_it_is(tilt, monkeypatch):
    """The portrait turned about a point off the face (so the face moves too): the upright cascade alone finds
    nothing; the turned searches find the face at its new place, at its size."""
    from fomm_hf.framing import detection

    image = PIL.Image.open(MEDIA / "astronaut.png").convert("RGB")
    pivot = (300, 300)
    turned = np.asarray(image.rotate(tilt, resample=PIL.Image.BILINEAR, center=pivot, fillcolor=(128, 128, 128)))
    angle = np.radians(tilt)  # PIL turns anticlockwise: where the marked face's centre went
    (x, y), (px, py) = ASTRONAUT_FACE.centre, pivot
    expected = (px + (x - px) * np.cos(angle) + (y - py) * np.sin(angle),
                py - (x - px) * np.sin(angle) + (y - py) * np.cos(angle))
    detections = face_detector()(turned)
    assert detections, "the tilted face was not found"
    box = detections[0].box  # the cascade's box sits about 0.2 face widths above the marked one, upright too
    assert np.hypot(box.centre[0] - expected[0], box.centre[1] - expected[1]) < 0.25 * ASTRONAUT_FACE.width, box
    assert 0.8 < box.width / ASTRONAUT_FACE.width < 1.35, box
    monkeypatch.setattr(detection, "ROLL_ANGLES", ())
    assert face_detector()(turned) == []


@needs(MEDIA)
def test_every_frame_of_the_talking_face_gets_a_steady_square():
    framer = SubjectFramer("face")
    with open_video(MEDIA / "carphone.mp4") as video:
        track = framer.follow(video.frames(), video.fps).track
        num_frames = video.num_frames
    assert len(track.squares) == num_frames == 120 and track.found > track.looked_at / 2
    assert track.found == track.looked_at  # the tilted head of the second half included
    # Steady: at the frames looked at, the crop's jitter (second difference of its centre) is well below the
    # detections'; the head's own movement (first difference) is followed.
    smoothed = np.array([square.centre for square in track.squares])
    raw_jitter = np.abs(np.diff(track.raw_centres, 2, axis=0)).sum(1).mean()
    smoothed_jitter = np.abs(np.diff(smoothed[:: track.stride], 2, axis=0)).sum(1).mean()
    assert smoothed_jitter < 0.6 * raw_jitter, (smoothed_jitter, raw_jitter)
    face_side = np.mean([square.side for square in track.squares]) / 2.2
    assert np.abs(smoothed - smoothed.mean(0)).max() < face_side  # the head stays in the car's frame


def moving_face_video(path, num_frames=50, canvas=(480, 320)):
    """A procedural face (one the cascade finds) moved across a larger canvas: the video, and the true centre
    of the face (the mean of its landmarks) in every frame."""
    faces = get_category("cartoon-face")
    identity, poses = faces.sample_clip("test", 3, num_frames)
    renders, landmarks = faces.render(identity, poses, 128)
    width, height = canvas
    lefts = np.linspace(20, width - 148, num_frames).round().astype(int)
    tops = (height / 2 - 64 + 60 * np.sin(np.linspace(0, 2 * np.pi, num_frames))).round().astype(int)
    frames = np.full((num_frames, height, width, 3), 235, np.uint8)
    for frame, render, left, top in zip(frames, renders, lefts, tops):
        frame[top : top + 128, left : left + 128] = render
    with VideoWriter(path, fps=25) as writer:
        writer.write(frames)
    return landmarks.mean(axis=1) + np.stack([lefts, tops], axis=1)


def test_the_driving_square_follows_a_face_moving_across_the_frame(tmp_path):
    truth = moving_face_video(tmp_path / "moving.mp4")
    with open_video(tmp_path / "moving.mp4") as video:
        track = SubjectFramer("cartoon-face").follow(video.frames(), video.fps).track
    centres = np.array([square.centre for square in track.squares])
    error = np.hypot(*(centres - truth).T)
    face_side = np.mean([square.side for square in track.squares]) / 1.8
    assert track.found == track.looked_at and error.max() < 0.2 * face_side, (error.max(), face_side)


def test_a_source_off_centre_in_a_large_canvas_comes_back_at_its_size(tmp_path, bundled):
    faces = get_category("cartoon-face")
    identity, poses = faces.sample_clip("test", 11, 1)
    canvas = np.full((360, 640, 3), 200, np.uint8)
    canvas[20:148, 460:588] = faces.render(identity, poses, 128)[0][0]
    PIL.Image.fromarray(canvas).save(tmp_path / "canvas.png")
    moving_face_video(tmp_path / "moving.mp4", num_frames=12)
    result = bundled.animate_video(tmp_path / "canvas.png", tmp_path / "moving.mp4", tmp_path / "out.mp4")
    assert result.framing_notes[0].startswith("Source: face found at") and "640x360" in result.framing_notes[0]
    with open_video(tmp_path / "out.mp4") as video:
        frames = np.stack(list(video.frames()))
    assert frames.shape == (12, 360, 640, 3)
    outside = np.ones((360, 640), bool)
    outside[:200, 400:] = False  # the square around the face (and its feathered edge) is in here
    assert np.abs(frames[:, outside].astype(int) - canvas[outside]).mean() < 2  # the source, through H.264
    cropped = bundled.animate_video(tmp_path / "canvas.png", tmp_path / "moving.mp4", tmp_path / "crop.mp4",
                                    paste_back=False)
    with open_video(cropped.output) as video:
        assert video.size == (64, 64)


def test_pixels_outside_the_square_are_the_sources_own(bundled):
    faces = get_category("cartoon-face")
    identity, poses = faces.sample_clip("test", 11, 4)
    renders = faces.render(identity, poses, 128)[0]
    source = np.full((300, 500, 3), 90, np.uint8)
    source[100:228, 40:168] = renders[0]
    square = SubjectFramer("cartoon-face").frame_source(source).square
    animated = bundled(square.crop(source), renders, output_type="pt").frames  # the bundled model's frames
    frames = PasteBack(source, square, feather=0.1)(animated)
    assert frames.shape == (4, 300, 500, 3)
    inside = np.zeros((300, 500), bool)
    inside[max(square.top, 0) : square.top + square.side, max(square.left, 0) : square.left + square.side] = True
    assert np.array_equal(frames[:, ~inside], np.broadcast_to(source[~inside], frames[:, ~inside].shape))
    assert not np.array_equal(frames[:, inside], np.broadcast_to(source[inside], frames[:, inside].shape))


def test_the_feathered_mask_fades_to_the_edges():
    mask = feather_mask(100, 0.1)
    assert mask[50, 50] == 1 and mask[0, 50] == mask[50, 99] == pytest.approx(0.05)
    assert np.all(np.diff(mask[:10, 50]) > 0) and np.all(mask[10:90, 10:90] == 1)


def test_squares_reaching_past_the_edges_are_padded_with_edge_pixels():
    image = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    crop = Square(-2, 3, 4).crop(image)
    assert crop.shape == (4, 4, 3)
    assert np.array_equal(crop[0, 2], image[3, 0]) and np.array_equal(crop[0, 0], image[3, 0])
    assert np.array_equal(crop[3, 3], image[4, 1])  # row 6 is past the bottom: row 4 repeated
    assert Square(1, 1, 3).crop(image).base is not None  # inside: a view, not a copy


# Bad inputs: each works, and says what was done


def test_a_driving_video_whose_face_leaves_the_frame_keeps_the_last_square(tmp_path):
    faces = get_category("cartoon-face")
    identity, poses = faces.sample_clip("test", 3, 40)
    renders = faces.render(identity, poses, 128)[0]
    frames = np.full((40, 240, 320, 3), 235, np.uint8)
    for index in range(20):  # the face for half a second, then an empty room
        frames[index, 50:178, 100:228] = renders[index]
    with VideoWriter(tmp_path / "leaves.mp4", fps=25) as writer:
        writer.write(frames)
    with open_video(tmp_path / "leaves.mp4") as video:
        track = SubjectFramer("cartoon-face").follow(video.frames(), video.fps).track
    assert len(track.squares) == 40 and track.squares[-1] == track.squares[25]
    assert "where it was not found (first at frame 2" in track.summary()


def test_of_two_faces_the_largest_is_followed_and_the_summary_says_so(tmp_path):
    faces = get_category("cartoon-face")
    small, poses_small = faces.sample_clip("test", 11, 20)
    large, poses_large = faces.sample_clip("test", 3, 20)
    frames = np.full((20, 300, 480, 3), 235, np.uint8)
    frames[:, 20:116, 20:116] = faces.render(small, poses_small, 96)[0]
    frames[:, 60:220, 260:420] = faces.render(large, poses_large, 160)[0]
    with VideoWriter(tmp_path / "two.mp4", fps=25) as writer:
        writer.write(frames)
    with open_video(tmp_path / "two.mp4") as video:
        track = SubjectFramer("cartoon-face").follow(video.frames(), video.fps).track
    assert all(260 < square.centre[0] < 420 for square in track.squares)
    assert "up to 2 faces in a frame: the largest at the start was followed" in track.summary()


@needs(MEDIA)
def test_a_photo_of_4000x3000_comes_back_at_its_size_from_the_command_line(tmp_path, capsys):
    portrait = PIL.Image.open(MEDIA / "astronaut.png").convert("RGB")
    large = PIL.Image.new("RGB", (4000, 3000), (180, 170, 160))
    large.paste(portrait.resize((1536, 1536)), (2200, 300))
    large.save(tmp_path / "large.jpg", quality=90)
    result = run_fomm_here(capsys, "animate", "--source", tmp_path / "large.jpg", "--driving", MEDIA / "carphone.mp4",
                           "--output", tmp_path / "large.mp4", "--max-frames", "3")
    assert result.returncode == 0, result.stderr
    assert "Source: face found at" in result.stdout and "of the 4000x3000 picture" in result.stdout
    assert "Driving video: the face was followed" in result.stdout
    with open_video(tmp_path / "large.mp4") as video:
        assert video.size == (4000, 3000) and video.num_frames == 3


# Subjects other than faces: zero-shot detection with OWLv2 (transformers)


def bytes_to_unicode() -> dict:
    """GPT-2's byte-level alphabet, which CLIP's tokenizer (OWLv2's) uses."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [byte for byte in range(256) if byte not in printable]
    return {**{byte: chr(byte) for byte in printable}, **{byte: chr(256 + n) for n, byte in enumerate(others)}}


@pytest.fixture(scope="module")
def tiny_owlv2(tmp_path_factory):
    """A tiny OWLv2 with random weights and a character-level CLIP tokenizer, saved as a checkpoint folder: the
    class and files of the real checkpoint, none of its knowledge (the tests below test plumbing only)."""
    import json

    import torch
    import transformers

    folder = tmp_path_factory.mktemp("owlv2")
    symbols = list(bytes_to_unicode().values())
    vocab = {symbol: index for index, symbol in enumerate(symbols + [s + "</w>" for s in symbols])}
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = transformers.CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    special = dict(bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
                   pad_token_id=vocab["<|endoftext|>"])
    config = transformers.Owlv2Config(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=16, **special),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=96, patch_size=16),
        projection_dim=32,
    )
    torch.manual_seed(0)
    transformers.Owlv2ForObjectDetection(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_bodies_are_framed_by_zero_shot_detection(tiny_owlv2, monkeypatch, tmp_path, tiny_pipeline):
    from fomm_hf.framing import zero_shot
    from fomm_hf.framing.detection import zero_shot_detector

    monkeypatch.setenv("FOMM_ZERO_SHOT_CHECKPOINT", str(tiny_owlv2))
    monkeypatch.setattr(zero_shot, "INPUT_SIDE", 64)  # smaller than the model's 96: position embeddings interpolated
    zero_shot_detector.cache_clear()
    framer = SubjectFramer("body")
    assert framer.available and framer.detect.prompt == "a person" and framer.detect.detections_per_second < 1
    assert framer.detect.interpolate
    picture = np.random.default_rng(0).integers(0, 255, (90, 160, 3), dtype=np.uint8)
    pixels = framer.detect.pixel_values(picture)  # padded to a square with grey below, resized, normalised
    assert pixels.shape == (1, 3, 64, 64)
    grey = (0.5 - framer.detect.mean) / framer.detect.std
    assert torch_close(pixels[0, :, -1, :], grey[0, :, 0].expand(3, 64))  # the last row: all padding
    detections = framer.detect(picture)
    assert all(detection.score > 0.2 and np.isfinite(detection.box.area) for detection in detections)
    assert all(a.box.area >= b.box.area for a, b in zip(detections, detections[1:]))
    # Through the pipeline: the tiny random detector finds random boxes; the run completes and says what it did.
    tiny_pipeline.register_to_config(category="body")
    PIL.Image.fromarray(picture).save(tmp_path / "body.png")
    with VideoWriter(tmp_path / "driving.mp4", fps=25) as writer:
        writer.write(np.repeat(picture[None], 6, axis=0))
    result = tiny_pipeline.animate_video(tmp_path / "body.png", tmp_path / "driving.mp4", tmp_path / "out.mp4")
    assert result.num_frames == 6 and result.framing_notes[0].startswith("Source: ")
    zero_shot_detector.cache_clear()


def test_without_the_zero_shot_checkpoint_nothing_is_framed_and_the_note_says_so(monkeypatch, tmp_path,
                                                                                 tiny_pipeline):
    from fomm_hf.framing.detection import zero_shot_detector

    monkeypatch.setenv("FOMM_ZERO_SHOT_CHECKPOINT", "nobody/no-such-owlv2")  # the Hub is offline in the tests
    zero_shot_detector.cache_clear()
    framer = SubjectFramer("cartoon animal")
    assert not framer.available and "nobody/no-such-owlv2 is not in the Hub cache" in framer.note
    tiny_pipeline.register_to_config(category="cartoon animal")
    picture = np.full((40, 60, 3), 128, np.uint8)
    PIL.Image.fromarray(picture).save(tmp_path / "animal.png")
    with VideoWriter(tmp_path / "driving.mp4", fps=25) as writer:
        writer.write(np.repeat(picture[None], 3, axis=0))
    result = tiny_pipeline.animate_video(tmp_path / "animal.png", tmp_path / "driving.mp4", tmp_path / "out.mp4")
    assert result.framing_notes == [
        "Source: the zero-shot detector nobody/no-such-owlv2 is not in the Hub cache and could not be downloaded: "
        "the centre square is animated.",
        "Driving video: the zero-shot detector nobody/no-such-owlv2 is not in the Hub cache and could not be "
        "downloaded: the centre square of each frame is animated.",
    ]
    with open_video(result.output) as video:
        assert video.size == (32, 32)  # the model's size: nothing framed, nothing pasted back


def torch_close(a, b) -> bool:
    import torch

    return bool(torch.allclose(a, b, atol=1e-5))


CORE_INSTALL_CHECK = """
import importlib.abc, importlib.metadata, re, sys
from packaging.requirements import Requirement

def closure(names):
    seen, todo = set(), list(names)
    while todo:
        requirement = Requirement(todo.pop())
        name = requirement.name.lower().replace("_", "-")
        if name in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            todo += importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            pass
    return seen

core = closure(sys.argv[1:])
installed = {dist.metadata["Name"].lower().replace("_", "-") for dist in importlib.metadata.distributions()}
provided = importlib.metadata.packages_distributions()
refused = {module for module, dists in provided.items()
           if not any(d.lower().replace("_", "-") in core | {"fomm-hf"} for d in dists)}

class OnlyTheCoreInstall(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in refused:
            raise ModuleNotFoundError(f"{name} is not in the core install", name=name)

sys.meta_path.insert(0, OnlyTheCoreInstall())
from fomm_hf.framing import SubjectFramer
from fomm_hf.images import read_image
framed = SubjectFramer("face").frame_source(read_image("examples/face/astronaut.png"))
print(len(refused), framed.note)
"""


def test_the_core_install_frames_a_face():
    """``pip install fomm_hf`` without extras frames faces: with every module that no core dependency (nor a
    dependency of one) provides refused at import, the face of the portrait is found."""
    import tomllib

    core = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    result = subprocess.run([sys.executable, "-c", CORE_INSTALL_CHECK, *core], capture_output=True, text=True,
                            cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    refused, note = result.stdout.split(" ", 1)
    assert int(refused) > 10  # gradio, transformers, onnx, openvino, ... are not imported
    assert note.startswith("Source: face found at"), note
