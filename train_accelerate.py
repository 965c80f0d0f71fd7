"""Train a First Order Motion Model with accelerate, or evaluate one by reconstruction.

    accelerate launch train_accelerate.py --config configs/vox-256.yaml --data_dir data/vox --output_dir runs/vox
    torchrun --nproc_per_node 2 train_accelerate.py ...          # several CPU processes (gloo)
    python train_accelerate.py --mode reconstruction --config ... --data_dir ... --output_dir runs/vox

See README.md ("Training") for multi-GPU and multi-node launches.
"""

import argparse
import shlex
import sys

from fomm_hf.errors import FOMMError
from fomm_hf.training import Trainer, TrainingArguments, load_training_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="yaml config (configs/*.yaml, or an original one)")
    parser.add_argument("--data_dir", help="dataset root with train/ and test/ (overrides dataset_params.root_dir)")
    parser.add_argument("--output_dir", required=True, help="checkpoints, logs, pictures and the final pipeline")
    parser.add_argument("--mode", choices=["train", "reconstruction"], default="train")
    parser.add_argument("--max_steps", type=int, help="stop after this many optimizer steps")
    parser.add_argument("--batch_size", type=int, help="per process (default: the config's)")
    parser.add_argument("--gradient_accumulation_steps", type=int, default=1)
    parser.add_argument("--checkpoint_every", type=int, default=500, help="steps between checkpoints (0: only at the end)")
    parser.add_argument("--checkpoints_to_keep", type=int, default=3)
    parser.add_argument("--image_every", type=int, default=250, help="steps between reconstruction pictures")
    parser.add_argument("--log_every", type=int, default=10)
    parser.add_argument("--resume", action="store_true", help="continue from the latest complete checkpoint")
    parser.add_argument("--init_from", metavar="MODEL",
                        help="start from this pipeline's weights (folder or Hub id): fine-tuning")
    parser.add_argument("--mixed_precision", choices=["no", "fp16", "bf16"], default="no")
    parser.add_argument("--perceptual-backbone", "--perceptual_backbone", dest="perceptual_backbone",
                        choices=["vgg19", "random"], default="vgg19",
                        help="vgg19: ImageNet weights (default); random: untrained, for offline tests only")
    parser.add_argument("--vgg-weights", "--vgg_weights", dest="vgg_weights", default="timm/vgg19.tv_in1k",
                        help="VGG19 weights: a safetensors file or a Hub repo holding model.safetensors")
    parser.add_argument("--num_workers", type=int, default=0, help="data loading processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cpu", action="store_true", help="train on the CPU even where a GPU is available")
    parser.add_argument("--channels_last", action="store_true",
                        help="NHWC activations (see benchmarks/train_speed.py for when it helps)")
    parser.add_argument("--push_to_hub", metavar="REPO_ID", help="upload the final pipeline folder to this repo")
    parser.add_argument("--model", help="reconstruction mode: pipeline to evaluate (default: OUTPUT_DIR/pipeline)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        config = load_training_config(args.config)
        if args.mode == "reconstruction":
            return reconstruction(args, config)
        training_args = TrainingArguments(
            **{k: v for k, v in vars(args).items() if k in TrainingArguments.__dataclass_fields__},
            command=shlex.join(["python", *sys.argv]),
        )
        trainer = Trainer(config, training_args)
        folder = trainer.train()
    except FOMMError as error:
        print(f"train_accelerate.py: error: {error}", file=sys.stderr)
        return 2
    if trainer.accelerator.is_main_process:
        print(f"Saved the trained pipeline to {folder}")
    return 0


def reconstruction(args, config) -> int:
    from pathlib import Path

    from fomm_hf.pipelines import load_pipeline
    from fomm_hf.training import FramesDataset, evaluate_reconstruction

    pipe = load_pipeline(args.model or str(Path(args.output_dir) / "pipeline"))
    dataset = FramesDataset(
        args.data_dir or config.dataset_params.get("root_dir"),
        frame_shape=config.dataset_params.get("frame_shape", (pipe.image_size, pipe.image_size, 3)),
        is_train=False,
    )
    results = evaluate_reconstruction(pipe, dataset, output_dir=args.output_dir)
    print(f"Reconstruction L1: {results['mean_l1']:.4f} over {results['num_frames']} frames of "
          f"{results['num_videos']} videos (per video: {Path(args.output_dir) / 'reconstruction.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
