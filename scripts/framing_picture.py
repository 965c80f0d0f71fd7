"""Draws docs/framing.png: a frame of ``fomm animate`` with framing (pasted back into the whole source) beside the
same frame without it (the animated square alone, at the model's 64x64, enlarged for display), with the bundled
model.

    python scripts/framing_picture.py

Rows: a cartoon face off-centre in a 640x360 picture driven by a cartoon clip (the bundled model's own kind of
face), and ../shared/media/astronaut.png driven by ../shared/media/carphone.mp4 (a real face, which the
bundled model, trained on cartoons only, smears: the real-face models are ``--model vox-adv-256``).
"""

import tempfile
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageDraw

from fomm_hf import FOMMPipeline
from fomm_hf.procedural import get_category
from fomm_hf.video import VideoWriter, open_video

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
FRAME = 20  # the frame shown
ROW_HEIGHT = 360


def cartoon_inputs(folder: Path):
    faces = get_category("cartoon-face")
    identity, poses = faces.sample_clip("test", 11, 1)
    canvas = np.full((360, 640, 3), 205, np.uint8)
    canvas[40:168, 440:568] = faces.render(identity, poses, 128)[0][0]
    PIL.Image.fromarray(canvas).save(folder / "canvas.png")
    driver, driver_poses = faces.sample_clip("test", 3, 40)
    with VideoWriter(folder / "driving.mp4", fps=25) as writer:
        writer.write(faces.render(driver, driver_poses, 128)[0])
    return folder / "canvas.png", folder / "driving.mp4"


def frame_of(video: Path, index: int) -> np.ndarray:
    with open_video(video) as opened:
        for position, frame in enumerate(opened.frames()):
            if position == index:
                return frame
    raise ValueError(f"{video} has no frame {index}")


def fitted(image: np.ndarray, height: int, resample=PIL.Image.Resampling.LANCZOS) -> PIL.Image.Image:
    picture = PIL.Image.fromarray(image)
    return picture.resize((round(picture.width * height / picture.height), height), resample)


def main():
    pipe = FOMMPipeline.from_pretrained()
    pipe.set_progress_bar_config(disable=True)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for name, (source, driving) in {
            "cartoon": cartoon_inputs(folder),
            "astronaut": (MEDIA / "astronaut.png", MEDIA / "carphone.mp4"),
        }.items():
            pasted = pipe.animate_video(source, driving, folder / f"{name}-pasted.mp4", max_frames=FRAME + 1)
            alone = pipe.animate_video(source, driving, folder / f"{name}-alone.mp4", max_frames=FRAME + 1,
                                       paste_back=False)
            print(name, "|", " ".join(pasted.framing_notes))
            left = fitted(frame_of(pasted.output, FRAME), ROW_HEIGHT)
            right = fitted(frame_of(alone.output, FRAME), ROW_HEIGHT, PIL.Image.Resampling.NEAREST)
            row = PIL.Image.new("RGB", (left.width + 16 + right.width, ROW_HEIGHT), "white")
            row.paste(left, (0, 0))
            row.paste(right, (left.width + 16, 0))
            rows.append(row)
    width = max(row.width for row in rows)
    picture = PIL.Image.new("RGB", (width, sum(row.height + 28 for row in rows)), "white")
    draw = PIL.ImageDraw.Draw(picture)
    top = 0
    for row, caption in zip(rows, ["pasted back into the 640x360 source  |  the 64x64 square alone",
                                   "pasted back into the 512x512 source  |  the 64x64 square alone"]):
        draw.text((4, top + 6), caption, fill="black")
        picture.paste(row, (0, top + 28))
        top += row.height + 28
    output = REPO / "docs" / "framing.png"
    picture.save(output, optimize=True)
    print(f"Wrote {output.relative_to(REPO)}")


if __name__ == "__main__":
    main()
