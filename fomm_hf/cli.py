"""The ``fomm`` command line: ``fomm convert ...`` (and ``python -m fomm_hf``)."""

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
    from .conversion import convert_original_checkpoint, push_folder_to_hub, save_converted

    converted = convert_original_checkpoint(args.config, args.checkpoint, align_corners=args.align_corners)
    name = Path(args.checkpoint).name.split(".")[0]
    folder = save_converted(converted, args.output, repo_id=args.push_to_hub, source_name=name)
    print(f"Saved pipeline to {folder}")
    if args.push_to_hub:
        url = push_folder_to_hub(folder, args.push_to_hub, private=args.private)
        print(f"Pushed to {args.push_to_hub}: {url}")


COMMANDS = {
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
