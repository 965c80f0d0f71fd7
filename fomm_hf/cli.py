"""The ``fomm`` command line (also ``python -m fomm_hf``): ``fomm animate`` and ``fomm convert``."""

import argparse
import sys
from pathlib import Path

from .errors import FOMMError


def str_to_bool(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="original yaml config (e.g. config/vox-256.yaml)")
    parser.add_argument("--checkpoint", required=True, help="original checkpoint (e.g. vox-cpk.pth.tar)")
    parser.add_argument("--output", required=True, help="pipeline folder to write")
    parser.add_argument(
        "--align-corners",
        type=str_to_bool,
        default=True,
        metavar="true|false",
        help="grid_sample convention: true reproduces torch 1.0, which the public checkpoints were trained with "
        "(default); false reproduces the original code run on torch >= 1.3",
    )
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="also upload the folder to this Hub repository")
    parser.add_argument("--private", action="store_true", help="create the Hub repository as private")


def run_convert(args) -> None:
    from .conversion import convert_original_checkpoint
    from .model_card import render_model_card
    from .pipelines.export import push_folder_to_hub, write_pipeline_folder

    converted = convert_original_checkpoint(args.config, args.checkpoint, align_corners=args.align_corners)
    name = Path(args.checkpoint).name.split(".")[0]
    card = render_model_card(
        converted.kp_detector,
        converted.generator,
        converted.image_size,
        repo_id=args.push_to_hub or str(args.output),
        model_name=f"First Order Motion Model ({name})",
        training_description=(
            f"Converted from the original implementation's checkpoint `{name}` with `fomm convert`; "
            "weights and architecture are the original's."
        ),
        evaluation_table="See the paper (arXiv 2003.00196) for the original checkpoints' results.",
        tags=["converted"],
    )
    folder = write_pipeline_folder(
        args.output, converted.kp_detector, converted.generator, converted.image_size,
        discriminator=converted.discriminator, model_card=card,
    )
    print(f"Saved pipeline to {folder}")
    if args.push_to_hub:
        url = push_folder_to_hub(folder, args.push_to_hub, private=args.private)
        print(f"Pushed to {args.push_to_hub}: {url}")


def add_animate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, help="source image to animate")
    parser.add_argument("--driving", required=True, help="driving video (mp4/mov/webm/avi/gif) or folder of frames")
    parser.add_argument("--output", required=True, help="result video (.mp4, .webm, .gif, ...)")
    parser.add_argument("--model", help="pipeline folder or Hub repo id (default: $FOMM_MODEL, else the bundled model)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--relative", dest="relative", action="store_true", default=True,
                      help="transfer the driving motion onto the source's own pose (default)")
    mode.add_argument("--absolute", dest="relative", action="store_false",
                      help="use the driving keypoints as they are")
    parser.add_argument("--adapt-scale", action="store_true", help="scale the motion by the objects' relative size")
    parser.add_argument("--find-best-frame", action="store_true",
                        help="start relative motion from the driving frame whose pose is closest to the source's")
    parser.add_argument("--fast", action="store_true", help="bfloat16/float16 convolutions where supported")
    parser.add_argument("--batch-size", type=int, default=4, help="frames processed together (default 4)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: the best available)")
    parser.add_argument("--fit", choices=["crop", "pad"], default="crop",
                        help="make non-square inputs square by centre crop (default) or padding")
    parser.add_argument("--keypoints", action="store_true",
                        help="also write OUTPUT_keypoints.EXT: source | driving with keypoints | result")


def keypoints_path_for(output: Path) -> Path:
    return output.with_name(f"{output.stem}_keypoints{output.suffix}")


def run_animate(args) -> None:
    from .animation import AnimationEngine, MotionOptions
    from .animation.render import animate_video
    from .pipelines import load_pipeline

    pipe = load_pipeline(args.model)
    engine = AnimationEngine(pipe.kp_detector, pipe.generator, device=args.device, fast=args.fast,
                             batch_size=args.batch_size)
    output = Path(args.output)
    result = animate_video(
        engine,
        pipe.image_size,
        args.source,
        args.driving,
        output,
        motion=MotionOptions(relative=args.relative, adapt_scale=args.adapt_scale),
        find_best_frame=args.find_best_frame,
        fit=args.fit,
        keypoints_path=keypoints_path_for(output) if args.keypoints else None,
    )
    print(
        f"Wrote {result.output}: {result.num_frames} frames at {result.fps:.5g} fps in {result.seconds:.1f} s "
        f"({result.frames_per_second:.2f} frames/s on {result.device})"
    )
    if args.find_best_frame:
        print(f"Relative motion from driving frame {result.initial_frame}")
    if result.keypoints_output:
        print(f"Wrote {result.keypoints_output}")


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    from .evaluate import add_arguments

    add_arguments(parser)


def run_evaluate(args) -> None:
    from .evaluate import run

    run(args)


COMMANDS = {
    "animate": (add_animate_arguments, run_animate, "animate a source image with a driving video"),
    "evaluate": (add_evaluate_arguments, run_evaluate, "evaluate a model on the procedural set with ground truth"),
    "convert": (add_convert_arguments, run_convert, "convert an original .pth.tar checkpoint to a pipeline folder"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fomm", description="First Order Motion Model for image animation.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (add_arguments, _, help_text) in COMMANDS.items():
        add_arguments(subparsers.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command][1](args)
    except FOMMError as error:
        print(f"fomm {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0
