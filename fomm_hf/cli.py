"""The ``fomm`` command (also ``python -m fomm_hf``): parse, call the package, print.

Each command checks its inputs (files readable and of the right kind, outputs writable, options in range, the
device present) before it loads a model, and reports a person's mistake as one line on standard error with
exit status 2. Modules are imported by the command that needs them: ``fomm --help`` imports neither torch nor
diffusers.
"""

import argparse
import signal
import sys
import time
import warnings
from pathlib import Path

from .categories import CATEGORIES, DRAWN_CATEGORIES, category_argument
from .errors import FOMMError, OneLineErrorParser
from .option_values import number_argument, yes_no_argument

POSITIVE = number_argument(int, minimum=1)
NON_NEGATIVE = number_argument(int, minimum=0)


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        help="pipeline folder, registered name (fomm models lists them; the original models are downloaded and "
        "converted on first use) or Hub repo id, looked for in this order (default: $FOMM_MODEL, else the bundled "
        "demo model)",
    )


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: the best available)")


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    from .export.backends import BACKENDS

    parser.add_argument("--backend", choices=BACKENDS, default="pytorch",
                        help="run the networks with PyTorch (default), or their exported graphs with ONNX Runtime or "
                        "OpenVINO, on the CPU (exported on first use and cached; pip install 'fomm_hf[onnx]' or "
                        "'fomm_hf[openvino]')")
    parser.add_argument("--int8", action="store_true",
                        help="with --backend openvino: int8 graphs (made on first use, calibrated on the first "
                        "driving frames, and cached)")


def check_backend_arguments(args) -> None:
    """The backend's package is installed, and the options go together; before any model is loaded."""
    import importlib.util

    from .export.backends import install_hint, is_exported_folder

    if args.int8 and args.backend != "openvino":
        raise FOMMError("--int8 runs on --backend openvino.")
    if getattr(args, "graphs", None) and args.backend == "pytorch":
        raise FOMMError("--graphs goes with --backend onnxruntime or openvino.")
    if getattr(args, "graphs", None) and not is_exported_folder(args.graphs):
        raise FOMMError(f"--graphs {args.graphs} is not a folder of exported graphs (fomm export --output writes one).")
    if args.backend != "pytorch":
        if args.device not in (None, "cpu"):
            raise FOMMError(f"--backend {args.backend} runs on the CPU; got --device {args.device}.")
        if importlib.util.find_spec(args.backend) is None:
            raise FOMMError(f"--backend {args.backend} needs the {args.backend} package: {install_hint(args.backend)}.")
        if args.int8 and importlib.util.find_spec("nncf") is None:
            raise FOMMError(f"--int8 quantizes with NNCF: {install_hint('nncf')}.")


# fomm animate --------------------------------------------------------------------------------------------------


def add_animate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, help="source image to animate (png, jpg, webp, ...)")
    parser.add_argument("--driving", required=True,
                        help="driving video (mp4, mov, webm, avi, gif, ...) or folder of frames")
    parser.add_argument("--output", required=True, help="result video (.mp4, .mov, .mkv, .webm or .gif)")
    add_model_argument(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--relative", dest="relative", action="store_true", default=True,
                      help="transfer the driving motion onto the source's own pose (default)")
    mode.add_argument("--absolute", dest="relative", action="store_false", help="use the driving keypoints as they are")
    parser.add_argument("--adapt-scale", action="store_true", help="scale the motion by the objects' relative size")
    parser.add_argument("--find-best-frame", action="store_true",
                        help="start relative motion from the driving frame whose pose is closest to the source's")
    parser.add_argument("--framing", choices=["auto", "none"], default="auto",
                        help="auto (default): crop the source around its subject (the face for face models; a "
                        "body, a cartoon animal or the robot arm by zero-shot detection) and follow it through the "
                        "driving video (what is not found goes by --fit); none: --fit only")
    parser.add_argument("--no-paste-back", dest="paste_back", action="store_false",
                        help="write the animated square only, at the model's size (default: pasted back into the "
                        "whole source picture, at its size, when the source was framed)")
    parser.add_argument("--fit", choices=["crop", "pad", "stretch"], default="crop",
                        help="make non-square inputs square by centre crop (default), black padding, or stretching")
    parser.add_argument("--fast", action="store_true",
                        help="the quickest reduced-precision variant this machine has: bfloat16 (OpenVINO where "
                        "installed) or float16 where the hardware computes it, else OpenVINO int8 (its graphs made "
                        "from the first driving frames on first use, then cached)")
    add_backend_arguments(parser)
    parser.add_argument("--graphs", metavar="DIR", help="with --backend: the exported graphs in DIR (what fomm export "
                        "--output DIR wrote; default: those fomm export writes without --output, else exported now)")
    parser.add_argument("--batch-size", type=POSITIVE, default=4, help="frames processed together (default 4)")
    parser.add_argument("--max-frames", type=POSITIVE, help="animate at most this many driving frames")
    add_device_argument(parser)
    parser.add_argument("--keypoints", action="store_true",
                        help="also write OUTPUT_keypoints.EXT: source | driving with keypoints | result")


def run_animate(args) -> None:
    from .images import read_image
    from .model_store import resolve_model
    from .pipelines import keypoints_video_path
    from .video import check_output_path, open_video

    # The files first, with the image and video modules only (torch): a mistake is reported before diffusers loads.
    source = read_image(args.source)
    with open_video(args.driving):  # it opens: a video (or folder of frames) with a frame that decodes
        pass
    inputs = {"the source image": args.source, "the driving video": args.driving}
    output = check_output_path(args.output, keep=inputs)
    keypoints_output = check_output_path(keypoints_video_path(output), keep=inputs) if args.keypoints else None
    check_backend_arguments(args)
    from .animation import resolve_device
    from .pipelines import FOMMPipeline

    device = resolve_device(args.device)
    pipe = FOMMPipeline.from_pretrained(resolve_model(args.model)).to(device)
    result = pipe.animate_video(
        source, args.driving, output, relative=args.relative, adapt_scale=args.adapt_scale,
        find_best_frame=args.find_best_frame, fit=args.fit, fast=args.fast, backend=args.backend, int8=args.int8,
        graphs=args.graphs, batch_size=args.batch_size, keypoints_path=keypoints_output, max_frames=args.max_frames,
        framing=args.framing, paste_back=args.paste_back,
    )
    print(f"Wrote {result.output}" + (f" and {result.keypoints_output}" if result.keypoints_output else ""))
    for line in result.summary(limit=f"--max-frames {args.max_frames}"):
        print(line)


# fomm convert --------------------------------------------------------------------------------------------------


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", metavar="NAME",
                       help="a registered original model (fomm models lists them): its config is known, and the "
                       "result goes where --model NAME finds it (unless --output)")
    which.add_argument("--config", help="original yaml config (e.g. config/vox-256.yaml)")
    parser.add_argument("--checkpoint", required=True, help="original checkpoint (e.g. vox-cpk.pth.tar)")
    parser.add_argument("--output", help="pipeline folder to write (required with --config)")
    parser.add_argument("--align-corners", type=yes_no_argument, default=True, metavar="true|false",
                        help="grid_sample convention: true reproduces torch 1.0, which the public checkpoints were "
                        "trained with (default); false reproduces the original code run on torch >= 1.3")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="also upload the folder to this Hub repository")
    parser.add_argument("--private", action="store_true", help="create the Hub repository as private")
    parser.add_argument("--category", type=category_argument(), metavar="{" + ",".join(CATEGORIES) + "}",
                        help="what the model animates, for framing (default: the registered model's, or that of the "
                        "original config of the same name)")


def run_convert(args) -> None:
    from .errors import InvalidInputError
    from .model_store.conversion_cache import conversion_destination
    from .model_store.registry import registered_original
    from .models.model_config import read_yaml

    registered = registered_original(args.model) if args.model else None
    if registered is None and not args.output:
        raise InvalidInputError("--output is required with --config (the pipeline folder to write).")
    config = registered.config if registered else args.config
    read_yaml(config)
    checkpoint = Path(args.checkpoint)
    if not checkpoint.is_file():
        raise InvalidInputError(f"The checkpoint file {checkpoint} does not exist.")
    destination = conversion_destination(registered, args.output, args.align_corners)
    if args.push_to_hub:
        from .model_store.hub_access import check_hub_upload

        check_hub_upload(args.push_to_hub)

    from .model_store.conversion_cache import convert_local_checkpoint

    folder = convert_local_checkpoint(checkpoint, destination, registered, config, args.align_corners,
                                      args.category, repo_id=args.push_to_hub)
    if destination is None:
        print(f"Converted {registered.name} into {folder}: --model {registered.name} loads it from now on")
    else:
        print(f"Saved pipeline to {folder}")
    if args.push_to_hub:
        from .model_store.folders import push_folder_to_hub

        url = push_folder_to_hub(folder, args.push_to_hub, private=args.private)
        print(f"Pushed to {args.push_to_hub}: {url}")


# fomm models ---------------------------------------------------------------------------------------------------


def run_models(args) -> None:
    from .model_store.conversion_cache import cache_dir, converted_folder, is_converted
    from .model_store.registry import MODELS

    rows = [("name", "category", "download", "here", "what it animates")]
    for model in MODELS.values():
        if not model.is_original:
            here, download = "bundled", "-"
        else:
            here = f"converted ({folder_megabytes(converted_folder(model))} MB)" if is_converted(model) else "-"
            download = f"{model.checkpoint_megabytes} MB" if model.mirrors else "no copy known"
        rows.append((model.name, model.category, download, here, model.description))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    print(f"\nConverted models are kept in {cache_dir()} ($FOMM_CACHE); downloads in the Hub cache (hf cache ls).")
    print("The original models are downloaded and converted the first time they are used, e.g. "
          "fomm animate --model vox-adv-256 ...")


def folder_megabytes(folder) -> int:
    return round(sum(file.stat().st_size for file in folder.rglob("*") if file.is_file()) / 1e6)


# fomm evaluate -------------------------------------------------------------------------------------------------


def add_drawn_category_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", type=category_argument(DRAWN_CATEGORIES), default=DRAWN_CATEGORIES[0],
                        metavar="{" + ",".join(DRAWN_CATEGORIES) + "}",
                        help=f"what the procedural clips show (default {DRAWN_CATEGORIES[0]})")


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_argument(parser)
    add_drawn_category_argument(parser)
    parser.add_argument("--num-test", type=POSITIVE, default=30, help="held-out clips (default 30)")
    parser.add_argument("--frames", type=POSITIVE, default=64, help="frames per clip (default 64)")
    parser.add_argument("--seed", type=NON_NEGATIVE, default=0,
                        help="dataset seed (the one the training set was written with)")
    parser.add_argument("--batch-size", type=POSITIVE, default=8, help="frames processed together (default 8)")
    add_device_argument(parser)
    parser.add_argument("--json", help="also write the results to this JSON file")


def run_evaluate(args) -> None:
    import json

    from .animation import resolve_device
    from .errors import InvalidInputError
    from .evaluation import ProceduralEvaluation, markdown_table
    from .model_store import resolve_model
    from .pipelines import FOMMPipeline

    if args.json and not Path(args.json).resolve().parent.is_dir():
        raise InvalidInputError(f"Cannot write {args.json}: its folder does not exist.")
    device = resolve_device(args.device)
    pipe = FOMMPipeline.from_pretrained(resolve_model(args.model)).to(device)
    results = ProceduralEvaluation(pipe, args.category, args.num_test, args.frames, args.seed,
                                   batch_size=args.batch_size).run()
    print(markdown_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


# fomm procedural-data ------------------------------------------------------------------------------------------


def add_procedural_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True, help="folder to write (its train/ and test/ must be empty)")
    add_drawn_category_argument(parser)
    parser.add_argument("--train", type=NON_NEGATIVE, default=200, help="number of training clips (default 200)")
    parser.add_argument("--test", type=NON_NEGATIVE, default=20, help="number of test clips (default 20)")
    parser.add_argument("--frames", type=POSITIVE, default=64, help="frames per clip (default 64)")
    parser.add_argument("--size", type=POSITIVE, default=128, help="frame width and height in pixels (default 128)")
    parser.add_argument("--seed", type=NON_NEGATIVE, default=0)
    parser.add_argument("--layout", default="strip", choices=["strip", "frames"],
                        help="strip: one .png per clip, frames side by side (default); frames: a folder of .png "
                        "per clip")
    parser.add_argument("--preview", help="also write the first test clips side by side as this video (.mp4, .gif)")


def run_procedural_data(args) -> None:
    from .procedural import get_category, write_dataset, write_preview
    from .video import check_output_path

    if args.preview:
        check_output_path(args.preview)
    start = time.perf_counter()
    write_dataset(args.root, args.category, args.train, args.test, args.frames, args.size, args.seed, args.layout)
    if args.preview:
        kind = get_category(args.category)
        clips = [
            kind.render(*kind.sample_clip("test", i, args.frames, args.seed), args.size)[0]
            for i in range(min(args.test, 4))
        ]
        write_preview(args.preview, clips)
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


# fomm reconstruct ----------------------------------------------------------------------------------------------


def add_reconstruct_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the training config (its dataset_params)")
    parser.add_argument("--model", required=True, help="pipeline folder or Hub repo id to evaluate")
    parser.add_argument("--data-dir", help="dataset root with test/ (default: the config's dataset_params.root_dir)")
    parser.add_argument("--output-dir", help="also write reconstruction.json (the metrics per video) here")
    parser.add_argument("--batch-size", type=POSITIVE, default=4, help="frames processed together (default 4)")
    parser.add_argument("--face-metrics", choices=["auto", "yes", "no"], default="auto",
                        help="also the paper's AKD, MKR and AED, with dlib's faces (the extra fomm_hf[faces]): auto "
                        "(default) for face models where the extra is installed")


def run_reconstruct(args) -> None:
    from .evaluation import reconstruction_summary
    from .training import load_training_config, reconstruct_test_videos

    config = load_training_config(args.config)
    face_metrics = {"auto": None, "yes": True, "no": False}[args.face_metrics]
    results = reconstruct_test_videos(config, args.model, args.data_dir, args.output_dir, args.batch_size,
                                      face_metrics)
    print(reconstruction_summary(results))


# fomm score -----------------------------------------------------------------------------------------------------


def add_score_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, help="the picture that was animated")
    parser.add_argument("--driving", required=True, help="the driving video")
    parser.add_argument("--result", required=True, help="the animation (what fomm animate wrote)")
    parser.add_argument("--json", help="also write the scores to this JSON file")


def run_score(args) -> None:
    import json

    from .errors import InvalidInputError
    from .evaluation.face_metrics import score_animation
    from .faces import require_extra
    from .images import read_image
    from .video import open_video

    require_extra()  # before anything is read
    if args.json and not Path(args.json).resolve().parent.is_dir():
        raise InvalidInputError(f"Cannot write {args.json}: its folder does not exist.")
    source = read_image(args.source)
    with open_video(args.driving) as driving, open_video(args.result) as result:
        scores = score_animation(source, driving.frames(), result.frames())
    for line in scores.summary():
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(scores.as_dict(), indent=2))


# fomm export ---------------------------------------------------------------------------------------------------


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_argument(parser)
    parser.add_argument("--format", dest="export_format", choices=["onnx", "openvino"], required=True,
                        help="ONNX graphs (ONNX Runtime, OpenVINO, other runtimes) or OpenVINO IR")
    parser.add_argument("--output", help="folder to write, for other runtimes or fomm animate --graphs (default: "
                        "where fomm animate --backend finds them: the onnx/, openvino/ or openvino-int8/ subfolder "
                        "of the model's folder where it is yours, else the cache)")
    parser.add_argument("--int8", action="store_true",
                        help="OpenVINO int8 graphs (post-training quantization with NNCF), calibrated on --calibration")
    parser.add_argument("--calibration", help="with --int8: a driving video of real content (its first 32 frames)")
    parser.add_argument("--calibration-source", help="with --int8: the source image (default: the video's first frame)")


def run_export(args) -> None:
    import itertools

    from .export import export_graphs
    from .export.backends import check_export_destination
    from .images import read_image
    from .model_store import resolve_model
    from .pipelines import FOMMPipeline
    from .pipelines.engine_cache import CALIBRATION_FRAMES
    from .video import open_video

    if args.output:
        check_export_destination(args.output)
    if (args.calibration or args.calibration_source) and not args.int8:
        raise FOMMError("--calibration and --calibration-source go with --int8 (float32 graphs need no calibration).")
    if args.int8 and (args.export_format != "openvino" or not args.calibration):
        raise FOMMError("--int8 needs --format openvino and --calibration VIDEO (real content, like the videos to "
                        "animate).")
    args.backend, args.device = {"onnx": "onnxruntime", "openvino": "openvino"}[args.export_format], None
    if args.int8:
        check_backend_arguments(args)
        with open_video(args.calibration) as video:
            frames = list(itertools.islice(video.frames(), CALIBRATION_FRAMES))
        source = read_image(args.calibration_source) if args.calibration_source else frames[0]
    start = time.perf_counter()
    model = resolve_model(args.model)
    pipe = FOMMPipeline.from_pretrained(model)
    output = Path(args.output or pipe.engines.export_destination(args.export_format, args.int8))
    if args.int8:
        pipe.quantize(source, frames, output=output)
    else:
        export_graphs(pipe.kp_detector, pipe.generator, pipe.image_size, output, args.export_format)
    kind = "int8 OpenVINO" if args.int8 else {"onnx": "ONNX", "openvino": "OpenVINO"}[args.export_format]
    print(f"Wrote {kind} graphs (keypoints, source_encoder, frame_generator) to {output} in "
          f"{time.perf_counter() - start:.1f} s")
    found = pipe.engines.find_exported_graphs(args.export_format, args.int8)
    use = f"fomm animate --model {model.name} --backend {args.backend}" + " --int8" * args.int8
    print(f"{use} uses them" if found == output else f"{use} --graphs {output} uses them")


# fomm prepare-data ---------------------------------------------------------------------------------------------


def add_prepare_data_arguments(parser: argparse.ArgumentParser) -> None:
    from .preparation.preparation_settings import CLIP_FORMATS, PreparationSettings

    defaults = PreparationSettings()
    parser.add_argument("--input", required=True, help="folder of raw videos (any depth; ID#name.mp4 or ID/.../x.mp4 "
                        "name the identity, which decides the train/test split)")
    parser.add_argument("--output", required=True,
                        help="dataset folder to write, or to resume (train/, test/, index.csv, preparation.json)")
    parser.add_argument("--category", type=category_argument(), default=defaults.category,
                        metavar="{" + ",".join(CATEGORIES) + "}",
                        help=f"the subject to find (default {defaults.category})")
    parser.add_argument("--size", type=POSITIVE, default=defaults.size,
                        help=f"side of the clips' frames in pixels (default {defaults.size})")
    parser.add_argument("--format", dest="clip_format", default=defaults.clip_format, choices=CLIP_FORMATS,
                        help=f"a folder of png or jpg frames per clip, or an mp4 file (default {defaults.clip_format})")
    parser.add_argument("--min-frames", type=POSITIVE, default=defaults.min_frames,
                        help=f"shortest clip kept, in frames (default {defaults.min_frames})")
    parser.add_argument("--min-side", type=POSITIVE,
                        help="smallest crop kept, in the video's pixels (default: half of --size)")
    parser.add_argument("--min-sharpness", type=float, default=defaults.min_sharpness,
                        help=f"least sharpness kept (variance of the Laplacian; default {defaults.min_sharpness:g})")
    parser.add_argument("--test-fraction", type=number_argument(float, minimum=0, below=1),
                        default=defaults.test_fraction,
                        help=f"fraction of the identities for test/ (default {defaults.test_fraction:g})")


def run_prepare_data(args) -> None:
    from .preparation import PreparationSettings, prepare_dataset

    settings = PreparationSettings(args.category, args.size, args.clip_format, args.min_frames, args.min_side,
                                   args.min_sharpness, args.test_fraction)
    start = time.perf_counter()
    summary = prepare_dataset(args.input, args.output, settings)
    dropped = ", ".join(f"{count} {reason}" for reason, count in summary["dropped"].items())
    print(f"Prepared {args.output} from {summary['videos']} videos in {time.perf_counter() - start:.1f} s: "
          f"{summary['clips']['train']} train and {summary['clips']['test']} test clips ({summary['frames']} frames) "
          f"of {summary['tubes']} subject tubes found; dropped: {dropped}.")
    if summary["centre_error"]["mean"] is not None:
        print(f"  The subject's centre is {summary['centre_error']['mean']:.1%} of the clip's side from its centre on "
              f"average ({summary['centre_error']['worst']:.1%} at worst).")
    for video, message in summary["unreadable"].items():
        print(f"  skipped {video}: {message}")
    if not summary["clips"]["train"] and not summary["clips"]["test"]:
        found = "every subject tube found was dropped" if summary["tubes"] else "no subject was found in any video"
        print(f"  warning: no clips were kept: {found}; add videos, or relax --min-frames, --min-side or "
              "--min-sharpness")
    for empty, full in (("train", "test"), ("test", "train")):
        if summary["clips"][full] and not summary["clips"][empty] and (empty == "train" or args.test_fraction):
            identities = ", ".join(summary["identities"][full])
            print(f"  warning: {empty}/ has no clips: they all come from {identities}, and an identity is never in "
                  "both splits; add videos of other identities, or change --test-fraction")
    print(f"  where each clip came from: {args.output}/index.csv; settings and summary: {args.output}/preparation.json")


# ---------------------------------------------------------------------------------------------------------------

COMMANDS = {  # name -> (add_arguments or None, run, help)
    "animate": (add_animate_arguments, run_animate, "animate a source image with the motion of a driving video"),
    "models": (None, run_models, "list the models known by name, and which are converted here"),
    "convert": (add_convert_arguments, run_convert, "convert an original .pth.tar checkpoint to a pipeline folder"),
    "evaluate": (add_evaluate_arguments, run_evaluate,
                 "evaluate a model on held-out procedural clips with exact ground truth"),
    "reconstruct": (add_reconstruct_arguments, run_reconstruct,
                    "evaluate a model by reconstructing a dataset's test videos (the paper's protocol)"),
    "procedural-data": (add_procedural_data_arguments, run_procedural_data,
                        "write a dataset of procedural videos with ground truth, in the original layout"),
    "score": (add_score_arguments, run_score, "score an animation: how well it keeps the source's identity and "
              "follows the driving face's motion (needs the extra fomm_hf[faces])"),
    "export": (add_export_arguments, run_export, "export the networks to ONNX or OpenVINO (int8 too), for the "
               "--backend option or other runtimes"),
    "prepare-data": (add_prepare_data_arguments, run_prepare_data,
                     "cut raw videos into square training clips of their subject, split by identity"),
}


def build_parser() -> OneLineErrorParser:
    parser = OneLineErrorParser(prog="fomm", description="First Order Motion Model for image animation.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (add_arguments, _, help_text) in COMMANDS.items():
        command_parser = subparsers.add_parser(name, help=help_text, description=help_text)
        if add_arguments is not None:
            add_arguments(command_parser)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, ``timeout``, ``docker stop``), raised like Ctrl-C so that the same clean-up runs: files
    being written are removed."""


def terminate(signum, frame):
    raise Terminated


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    warnings.showwarning = lambda message, *_: print(f"fomm {args.command}: warning: {message}", file=sys.stderr)
    on_terminate = signal.signal(signal.SIGTERM, terminate)
    try:
        COMMANDS[args.command][1](args)
    except FOMMError as error:
        message = " ".join(str(error).split())  # one line
        print(f"fomm {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        print(f"fomm {args.command}: stopped", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, on_terminate)
    return 0
