"""``python -m fomm_hf.data.procedural``: writes a procedural video dataset in the original FOMM layout.

Example::

    python -m fomm_hf.data.procedural --root data/faces --category faces --train 200 --test 20 \\
        --frames 64 --size 128 --seed 0
"""

import argparse
import sys
import time

from ..errors import FOMMError
from .categories import CATEGORIES, get_category
from .export import LAYOUTS, write_dataset
from .previews import write_preview

__all__ = ["main", "write_dataset"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fomm_hf.data.procedural", description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="folder to write (its train/ and test/ must be empty)")
    parser.add_argument("--category", default="faces", choices=sorted(CATEGORIES))
    parser.add_argument("--train", type=int, default=200, help="number of training clips")
    parser.add_argument("--test", type=int, default=20, help="number of test clips")
    parser.add_argument("--frames", type=int, default=64, help="frames per clip")
    parser.add_argument("--size", type=int, default=128, help="frame width and height, pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--layout",
        default="strip",
        choices=LAYOUTS,
        help="strip: one .png per clip, frames side by side; frames: a folder of .png per clip",
    )
    parser.add_argument("--preview", help="also write the first test clips side by side as this video (.mp4, .gif)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        write_dataset(args.root, args.category, args.train, args.test, args.frames, args.size, args.seed, args.layout)
        if args.preview:
            kind = get_category(args.category)
            clips = [
                kind.render(*kind.sample_clip("test", i, args.frames, args.seed), args.size)[0]
                for i in range(min(args.test, 4))
            ]
            write_preview(args.preview, clips)
    except FOMMError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    entry = "<index>.png" if args.layout == "strip" else "<index>/<frame>.png"
    print(
        f"Wrote {args.train} train and {args.test} test {args.category} clips of {args.frames} frames, "
        f"{args.size}x{args.size}, seed {args.seed}, to {args.root} in {time.perf_counter() - start:.1f} s:"
    )
    print(
        f"  {args.root}/{{train,test}}/{entry}: frames; {args.root}/{{train,test}}/<index>.json: seeds, identity, "
        f"poses and landmarks; {args.root}/metadata.json"
    )
    if args.preview:
        print(f"  preview of the first test clips: {args.preview}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
