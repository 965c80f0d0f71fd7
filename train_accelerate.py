"""Train a First Order Motion Model with accelerate (``--mode reconstruction``: ``fomm reconstruct``, as the
original's run.py had it).

    accelerate launch train_accelerate.py --config configs/vox-256.yaml --data-dir data/vox --output-dir runs/vox
    torchrun --nproc_per_node 2 train_accelerate.py ...          # several CPU processes (gloo)

See docs/training.md for multi-GPU and multi-node launches.
"""

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from fomm_hf.errors import FOMMError, OneLineErrorParser
from fomm_hf.training.arguments import add_training_arguments, training_arguments

PROG = "train_accelerate.py"
# Under torchrun or accelerate launch, the first process to fail makes the launcher stop the others: the ones
# that do not print wait this long, so that the one that prints (local rank 0) is the first to exit.
LAUNCHER_GRACE_SECONDS = 5


def main(argv=None) -> int:
    parser = OneLineErrorParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_training_arguments(parser)
    args = parser.parse_args(argv)
    from fomm_hf.evaluation import reconstruction_summary
    from fomm_hf.training import Trainer, load_training_config, reconstruct_test_videos

    try:
        config = load_training_config(args.config)  # checked before any data is read or any process group starts
        if args.mode == "reconstruction":
            model = args.model or str(Path(args.output_dir) / "pipeline")
            print(reconstruction_summary(reconstruct_test_videos(config, model, args.data_dir, args.output_dir)))
            return 0
        trainer = Trainer(config, training_arguments(args, command=shlex.join(["python", *sys.argv])))
        folder = trainer.train()
    except FOMMError as error:
        if os.environ.get("LOCAL_RANK", "0") == "0":  # once, not once per process
            print(f"{PROG}: error: {' '.join(str(error).split())}", file=sys.stderr)
        else:  # the other processes meet the same error: the launcher stops them when the first one exits
            time.sleep(LAUNCHER_GRACE_SECONDS)
        return 2
    if trainer.accelerator.is_main_process:
        print(f"Saved the trained pipeline to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
