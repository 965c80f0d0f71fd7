"""Bundles a trained procedural-faces run as the package's demo model, with its evaluation, examples and GIF.

    python scripts/bundle_demo_model.py --run runs/procedural-faces-64 --command "python train_accelerate.py ..." \
        --run runs/procedural-faces-64-finetune --command "python train_accelerate.py ... --init_from ..." \
        --wall-time "2 h 5 min"

``--run`` and ``--command`` name the training's stages in order; the last stage's pipeline is bundled.

1. evaluates the last run's pipeline on the held-out procedural faces (the same as `fomm evaluate --json`);
2. copies the pipeline to fomm_hf/bundled/procedural-faces-64 with a model card that includes the table;
3. writes examples/cartoon-face/ (two source images, a driving clip) and docs/demo.gif (source | driving | result).
"""

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import PIL.Image
import torch

from fomm_hf import FOMMPipeline
from fomm_hf.evaluation import ProceduralEvaluation, markdown_table
from fomm_hf.model_store.model_card import render_model_card
from fomm_hf.model_store.registry import BUNDLED_MODEL
from fomm_hf.procedural import get_category
from fomm_hf.video import VideoWriter

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SIZE = 128  # examples are rendered larger than the model's 64 px; the app and CLI resize them


def write_examples(folder: Path, num_frames: int = 64) -> dict:
    """examples/cartoon-face/: two held-out faces and a driving clip of a third (the bundled model's category)."""
    folder.mkdir(parents=True, exist_ok=True)
    faces = get_category("cartoon-face")
    driver_identity, driver_poses = faces.sample_clip("test", 7, num_frames)
    paths = {"face": folder / "face.png", "face-2": folder / "face-2.png", "driving": folder / "driving.mp4"}
    # The sources show their faces in the driving clip's first pose, as relative motion expects.
    for name, index in (("face", 3), ("face-2", 11)):
        identity, _ = faces.sample_clip("test", index, 1)
        PIL.Image.fromarray(faces.render(identity, driver_poses[:1], EXAMPLE_SIZE)[0][0]).save(paths[name])
    with VideoWriter(paths["driving"], fps=25) as writer:
        writer.write(faces.render(driver_identity, driver_poses, EXAMPLE_SIZE)[0])
    return paths


def write_demo_gif(pipe: FOMMPipeline, path: Path, num_frames: int = 48) -> None:
    """Rows of source | driving | result for three held-out identities driven by one held-out clip."""
    faces = get_category("cartoon-face")
    driver_identity, driver_poses = faces.sample_clip("test", 7, num_frames)
    driving = faces.render(driver_identity, driver_poses, EXAMPLE_SIZE)[0]
    rows = []
    for index in (3, 11, 19):
        identity, _ = faces.sample_clip("test", index, 1)
        source = faces.render(identity, driver_poses[:1], EXAMPLE_SIZE)[0][0]
        result = pipe(source, driving, relative=True, output_type="pt").frames  # 64 px
        result = torch.nn.functional.interpolate(result, size=EXAMPLE_SIZE, mode="bilinear", antialias=False)
        result = (result.permute(0, 2, 3, 1).clamp(0, 1) * 255).round().byte().numpy()
        rows.append(np.concatenate([np.repeat(source[None], num_frames, 0), driving, result], axis=2))
    frames = np.concatenate(rows, axis=1)
    images = [PIL.Image.fromarray(frame) for frame in frames]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=40, loop=0, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, action="append",
                        help="training output dir (with pipeline/ and train_log.txt); once per stage, in order")
    parser.add_argument("--command", required=True, action="append", help="each stage's command, for the model card")
    parser.add_argument("--wall-time", required=True, help="the whole training's wall time, for the model card")
    args = parser.parse_args()
    if len(args.run) != len(args.command):
        parser.error("give one --command per --run")
    runs = [Path(run) for run in args.run]

    pipe = FOMMPipeline.from_pretrained(runs[-1] / "pipeline")
    pipe.set_progress_bar_config(disable=True)
    results = ProceduralEvaluation(pipe, "faces").run()
    write_bundle(pipe, runs, results, args)

    paths = write_examples(REPO / "examples" / "cartoon-face")
    print("Examples:", ", ".join(str(p.relative_to(REPO)) for p in paths.values()))
    write_demo_gif(pipe, REPO / "docs" / "demo.gif")
    print("README GIF: docs/demo.gif")


def logged_steps(run: Path) -> int:
    steps = [line for line in (run / "train_log.txt").read_text().splitlines() if line.startswith("step ")]
    return int(steps[-1].split()[1])


def write_bundle(pipe: FOMMPipeline, runs: list, results: dict, args) -> None:
    """Copies the pipeline into the package, with its evaluation and a model card that includes it."""
    table = markdown_table(results)
    print(table)

    if BUNDLED_MODEL.exists():
        shutil.rmtree(BUNDLED_MODEL)
    pipe.save_pretrained(BUNDLED_MODEL)
    (BUNDLED_MODEL / "evaluation.json").write_text(json.dumps(results, indent=2))
    steps = [logged_steps(run) for run in runs]
    stages = "; ".join(f"stage {i + 1}, {count} steps: `{command}`"
                       for i, (count, command) in enumerate(zip(steps, args.command)))
    card = render_model_card(
        pipe.kp_detector, pipe.generator, pipe.image_size,
        repo_id="",  # bundled: FOMMPipeline.from_pretrained() with no argument
        model_name="First Order Motion Model: procedural cartoon faces, 64x64 (the fomm_hf demo model)",
        training_description=(
            "Trained on 300 procedural cartoon-face clips (64 frames, 64x64; `fomm procedural-data --root "
            "data/procedural-faces-64 --category cartoon-face --train 300 --test 30 --frames 64 --size 64 --seed 0`) "
            f"on a 2-core CPU, {sum(steps)} steps in {args.wall_time} ({stages}). Losses: L1 between prediction "
            "and driving frame on an image pyramid (`loss_weights.pixel`) in place of the paper's VGG19 perceptual "
            "loss, whose ImageNet weights cannot be downloaded on the machines this model was trained on, and the "
            "keypoint equivariance losses. The second stage keeps the first stage's keypoint detector and "
            "fine-tunes the generator at full resolution with BatchNorm statistics frozen, saving an exponential "
            "moving average of its weights (`freeze_batchnorm`, `ema_decay`)."
        ),
        evaluation_table=(
            "Held-out procedural faces (30 clips, 64 frames; `fomm evaluate --category cartoon-face`). Reconstruction: "
            "a clip from its own first frame; animation: identity A driven by clip B against the rendered ground "
            "truth; AKD in pixels.\n\n" + table
        ),
        tags=["procedural", "cartoon-faces", "demo"],
        license="mit",
    )
    card.save(BUNDLED_MODEL / "README.md")
    size = sum(f.stat().st_size for f in BUNDLED_MODEL.rglob("*") if f.is_file())
    print(f"Bundled model: {BUNDLED_MODEL} ({size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
