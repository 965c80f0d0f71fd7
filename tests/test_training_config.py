"""The typed training configuration, the training command line and the builders the trainer and benchmark share."""

import argparse
import dataclasses
import importlib.util
import re
import subprocess
import sys

import pytest
import torch
import yaml

from fomm_hf.errors import InvalidInputError, OneLineErrorParser
from fomm_hf.training import (
    TrainingArguments,
    add_training_arguments,
    builders,
    load_training_config,
)
from fomm_hf.training.arguments import training_arguments
from fomm_hf.training.trainer import flat_hyperparameters
from fomm_hf.training.training_config import LossWeights, TrainingConfig, TrainParams

from .helpers import REPO_ROOT, write_dataset

CONFIGS = REPO_ROOT / "configs"
ORIGINAL_CONFIGS = ["vox-256", "vox-adv-256", "taichi-256", "taichi-adv-256", "mgif-256", "bair-256", "fashion-256",
                    "nemo-256"]
ALL_CONFIGS = ORIGINAL_CONFIGS + ["procedural-faces-64", "procedural-faces-64-finetune", "test-tiny"]
TINY = CONFIGS / "test-tiny.yaml"


def tiny_with(tmp_path, old: str, new: str):
    """test-tiny.yaml with one piece of text replaced, written to tmp_path/config.yaml."""
    text = TINY.read_text()
    assert old in text
    path = tmp_path / "config.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


# (a) Mistakes are errors naming the key, the file and the closest valid key --------------------------------


@pytest.mark.parametrize("old, new, message", [
    ("  lr_generator:", "  lr_genrator:", "train_params: unknown key 'lr_genrator' (did you mean 'lr_generator'?)"),
    ("    perceptual:", "    perceptal:",
     "train_params.loss_weights: unknown key 'perceptal' (did you mean 'perceptual'?)"),
    ("train_params:", "train_parms:", ": unknown key 'train_parms' (did you mean 'train_params'?)"),
    ("  id_sampling:", "  id_sampeling:", "dataset_params: unknown key 'id_sampeling' (did you mean 'id_sampling'?)"),
    ("    jitter_param: {brightness", "    jitter_param: {brightnes",
     "dataset_params.augmentation_params.jitter_param: unknown key 'brightnes' (did you mean 'brightness'?)"),
    ("{num_kp: 5", "{numkp: 5", "unknown key 'numkp' (did you mean 'num_kp'?)"),
], ids=["train_params", "loss_weights", "section", "dataset_params", "jitter_param", "model_params"])
def test_a_misspelt_key_names_itself_the_file_and_the_closest_valid_key(tmp_path, old, new, message):
    path = tiny_with(tmp_path, old, new)
    with pytest.raises(InvalidInputError) as error:
        load_training_config(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value)


@pytest.mark.parametrize("old, new, message", [
    ("batch_size: 4", "batch_size: four", "train_params.batch_size must be int; got str 'four'"),
    ("epoch_milestones: [1]", "epoch_milestones: 1", "train_params.epoch_milestones must be "),
    ("id_sampling: false", "id_sampling: 3", "dataset_params.id_sampling must be bool; got int 3"),
    ("lr_generator: 2.0e-4", "lr_generator: fast", "train_params.lr_generator must be float; got str 'fast'"),
    ("reconstruction_params: {num_videos: null}", "reconstruction_params: [1]",
     "reconstruction_params must be a mapping"),
])
def test_a_value_of_the_wrong_type_is_an_error(tmp_path, old, new, message):
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        load_training_config(tiny_with(tmp_path, old, new))


def test_numbers_yaml_reads_as_strings_are_numbers(tmp_path):
    config = load_training_config(tiny_with(tmp_path, "lr_generator: 2.0e-4", "lr_generator: 3e-4"))
    assert config.train_params.lr_generator == 3e-4


def test_a_config_without_train_params_is_not_a_training_config(tmp_path):
    path = tmp_path / "model-only.yaml"
    raw = yaml.safe_load(TINY.read_text())
    del raw["train_params"]
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(InvalidInputError, match="has no train_params"):
        load_training_config(path)


# (b) Every shipped config parses, to the values its file holds -----------------------------------------------


def assert_parsed_as_written(parsed, written, where: str) -> None:
    """Every value of the yaml mapping ``written`` is the value of the parsed section ``parsed``."""
    for key, value in written.items():
        field = getattr(parsed, key)
        if isinstance(value, dict):
            assert_parsed_as_written(field, value, f"{where}.{key}")
        elif isinstance(value, list):
            assert list(field) == value, f"{where}.{key}"
        elif isinstance(field, float):  # yaml's ints, and 2e-4 (no dot), which yaml reads as a string
            assert field == float(value), f"{where}.{key}"
        else:
            assert field == value and type(field) is type(value), f"{where}.{key}"


@pytest.mark.parametrize("name", ALL_CONFIGS)
def test_every_shipped_config_parses_to_the_values_of_its_file(name):
    path = CONFIGS / f"{name}.yaml"
    config = load_training_config(path)
    assert isinstance(config, TrainingConfig) and config.path == path
    written = yaml.safe_load(path.read_text())
    for section, values in written.items():
        if section != "model_params":
            assert_parsed_as_written(getattr(config, section), values or {}, f"{name}: {section}")
    assert config.model.image_size == written["dataset_params"]["frame_shape"][0]
    assert config.model.num_kp == written["model_params"]["common_params"]["num_kp"]


def test_spot_checks_of_the_shipped_configs():
    vox = load_training_config(CONFIGS / "vox-256.yaml")
    assert vox.train_params.batch_size == 40 and vox.train_params.epoch_milestones == (60, 90)
    assert vox.dataset_params.id_sampling and vox.dataset_params.augmentation_params.jitter_param.hue == 0.1
    assert vox.train_params.transform_params.points_tps == 5 and vox.train_params.checkpoint_freq == 50
    assert vox.reconstruction_params.num_videos == 1000 and vox.visualizer_params.colormap == "gist_rainbow"
    normalization = vox.animate_params.normalization_params
    assert normalization.use_relative_movement and not normalization.adapt_movement_scale
    assert normalization.motion_options().relative and not normalization.motion_options().adapt_scale

    taichi_adv = load_training_config(CONFIGS / "taichi-adv-256.yaml")
    assert taichi_adv.train_params.lr_kp_detector == 0 and not taichi_adv.train_params.kp_detector_trains
    assert taichi_adv.train_params.epoch_milestones == () and taichi_adv.train_params.loss_weights.generator_gan == 1

    mgif = load_training_config(CONFIGS / "mgif-256.yaml")
    augmentation = mgif.dataset_params.augmentation_params
    assert augmentation.resize_param.ratio == (0.9, 1.1) and augmentation.crop_param.size == (256, 256)

    finetune = load_training_config(CONFIGS / "procedural-faces-64-finetune.yaml")
    params = finetune.train_params
    assert params.ema_decay == 0.999 and params.freeze_batchnorm and params.loss_weights.pixel == 100
    assert finetune.dataset_params.cache_frames and finetune.frame_shape == (64, 64, 3)
    assert finetune.reconstruction_params.num_videos is None

    tiny = load_training_config(TINY)  # sections and keys it leaves out take the dataclasses' defaults
    assert tiny.train_params.ema_decay is None and not tiny.train_params.freeze_batchnorm
    assert tiny.visualizer_params.kp_size is None and tiny.train_params.checkpoint_freq is None


def test_the_defaults_are_the_dataclasses(tmp_path):
    path = tmp_path / "minimal.yaml"
    raw = yaml.safe_load(TINY.read_text())
    path.write_text(yaml.safe_dump({"model_params": raw["model_params"], "train_params": None}))
    config = load_training_config(path)
    assert config.train_params.lr_kp_detector == 2e-4 and config.train_params.loss_weights == LossWeights()
    assert config.frame_shape == (256, 256, 3) and config.dataset_params.root_dir is None


def test_trackers_get_the_training_parameters_as_flat_scalars():
    flat = flat_hyperparameters(dataclasses.asdict(TrainParams()))
    assert flat["loss_weights.pixel"] == 0 and flat["transform_params.sigma_affine"] == 0.05
    assert flat["scales"] == "[1.0]" and flat["ema_decay"] is None
    assert all(value is None or isinstance(value, (bool, int, float, str)) for value in flat.values())


def test_the_upstream_pairs_list_is_accepted(tmp_path):
    path = tiny_with(tmp_path, "  id_sampling: false", "  id_sampling: false\n  pairs_list: data/vox256.csv")
    assert load_training_config(path).dataset_params.pairs_list == "data/vox256.csv"


# (c) The entry point refuses a bad config before it reads data or starts processes ---------------------------


def train_accelerate_module():
    """train_accelerate.py loaded as a module: its ``main(argv)`` runs in this process (no interpreter to start,
    nor torch to import). A real process of it, whose standard error is one line too, is in test_training.py
    (test_missing_vgg_weights_are_an_error_not_a_silent_fallback[unreachable])."""
    spec = importlib.util.spec_from_file_location("train_accelerate", REPO_ROOT / "train_accelerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_accelerate_reports_a_misspelt_key_in_one_line_before_reading_data(tmp_path, capsys):
    config = tiny_with(tmp_path, "  lr_generator:", "  lr_genrator:")
    status = train_accelerate_module().main(["--config", str(config), "--data-dir", str(tmp_path / "no-such-data"),
                                             "--output_dir", str(tmp_path / "run")])
    stdout, stderr = capsys.readouterr()
    assert status == 2 and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("train_accelerate.py: error: ") and "'lr_genrator'" in lines[0]
    assert "did you mean 'lr_generator'" in lines[0] and str(config) in lines[0]
    assert not (tmp_path / "run").exists()


def test_train_accelerate_reports_a_bad_flag_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "train_accelerate.py"), "--config", str(TINY),
                             "--output_dir", str(tmp_path), "--mode", "evaluate"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("train_accelerate.py: error: argument --mode")


MISTAKES = {  # flags (OUT: the output folder, DATA: a dataset root), and what the one line says
    "output_dir a file": (["--output_dir", "{file}"], "is a file"),
    "output_dir holding a run": (["--output_dir", "{run}"], "holds a training run (train_log.txt): --resume"),
    "push while offline": (["--push_to_hub", "someone/model"], "HF_HUB_OFFLINE is set"),
    "push to a bad id": (["--push_to_hub", "not a/valid id"], "is not a Hub repository id"),
    "no accumulation": (["--gradient_accumulation_steps", "0"], "--gradient-accumulation-steps must be at least 1"),
    "negative workers": (["--num_workers", "-1"], "--num-workers must be at least 0; got -1"),
    "zero steps": (["--max_steps", "0"], "--max-steps must be at least 1"),
    "config a folder": (["--config", "{folder}"], "is a folder: the training config is a yaml file"),
    "raw videos as data": (["--data_dir", "{raw}"], "fomm prepare-data makes it from raw videos"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_train_accelerate_reports_each_mistake_in_one_line_before_any_work(mistake, tmp_path, capsys):
    train_accelerate = train_accelerate_module()
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "train_log.txt").write_text("step 40\n")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "clip.mp4").write_bytes(b"")
    places = {"file": tmp_path / "file", "run": tmp_path / "run", "folder": tmp_path, "raw": tmp_path / "raw"}
    flags, message = MISTAKES[mistake]
    arguments = {"--config": str(TINY), "--data_dir": str(tmp_path / "no-data"), "--output_dir": str(tmp_path / "out"),
                 "--perceptual-backbone": "random"}
    arguments.update(zip(flags[::2], (flag.format(**places) for flag in flags[1::2])))
    code = train_accelerate.main([part for pair in arguments.items() for part in pair])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("train_accelerate.py: error: "), lines
    assert message in lines[0]
    assert not (tmp_path / "out").exists() and sorted(p.name for p in (tmp_path / "run").iterdir()) == ["train_log.txt"]


def parser() -> argparse.ArgumentParser:
    result = OneLineErrorParser(prog="train_accelerate.py")
    add_training_arguments(result)
    return result


def test_the_flags_take_their_defaults_from_training_arguments():
    args = parser().parse_args(["--config", "c.yaml", "--output_dir", "out"])
    assert args.config == "c.yaml" and args.mode == "train" and args.model is None
    assert training_arguments(args) == TrainingArguments(output_dir="out")


def test_every_underscore_flag_has_a_dashed_alias():
    underscored = ["--output_dir", "out", "--data_dir", "d", "--max_steps", "3", "--batch_size", "2",
                   "--gradient_accumulation_steps", "2", "--checkpoint_every", "5", "--checkpoints_to_keep", "1",
                   "--image_every", "0", "--log_every", "1", "--init_from", "m", "--mixed_precision", "bf16",
                   "--perceptual_backbone", "random", "--vgg_weights", "w.safetensors", "--num_workers", "2",
                   "--push_to_hub", "me/model", "--channels_last", "--resume", "--cpu", "--seed", "7"]
    dashed = [flag.replace("_", "-") if flag.startswith("--") else flag for flag in underscored]
    parsed = [training_arguments(parser().parse_args(["--config", "c", *flags])) for flags in (underscored, dashed)]
    assert parsed[0] == parsed[1]
    assert parsed[0].max_steps == 3 and parsed[0].channels_last and parsed[0].vgg_weights == "w.safetensors"
    assert {field.name for field in dataclasses.fields(TrainingArguments)} - set(vars(parsed[0])) == set()


# (d) The builders, shared by the trainer and benchmarks/train_speed.py -----------------------------------------


def test_the_speed_benchmark_builds_with_the_trainers_builders():
    spec = importlib.util.spec_from_file_location("train_speed", REPO_ROOT / "benchmarks" / "train_speed.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    assert benchmark.build_models is builders.build_models and benchmark.build_optimizers is builders.build_optimizers
    assert not hasattr(benchmark, "build")


def test_builders_make_models_optimizers_schedules_and_data_from_the_config(tmp_path):
    config = load_training_config(TINY)
    models = builders.build_models(config.model, config.train_params)
    assert models.kp_detector.config.num_kp == 5 and all(p.requires_grad for p in models.kp_detector.parameters())
    optimizers = builders.build_optimizers(models, config.train_params)
    assert [o.param_groups[0]["lr"] for o in optimizers] == [2e-4] * 3
    assert optimizers[0].param_groups[0]["betas"] == (0.5, 0.999)
    schedulers = builders.build_schedulers(optimizers, config.train_params)
    assert all(dict(s.milestones) == {1: 1} for s in schedulers)

    frozen_config = load_training_config(tiny_with(tmp_path, "lr_kp_detector: 2.0e-4", "lr_kp_detector: 0"))
    frozen = builders.build_models(frozen_config.model, dataclasses.replace(frozen_config.train_params,
                                                                             freeze_batchnorm=True))
    assert not any(p.requires_grad for p in frozen.kp_detector.parameters())
    batchnorms = [m for m in frozen.generator.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert batchnorms and not any(m.training for m in batchnorms)

    root = write_dataset(tmp_path / "data", num_train=2, num_test=1, num_frames=3)
    dataset = builders.build_train_dataset(config, str(root))
    assert len(dataset) == 2 * config.train_params.num_repeats and dataset.augmentation is not None
    batch = next(iter(builders.build_dataloader(dataset, batch_size=2)))
    assert batch["source"].shape == (2, 3, 64, 64)
    # Too few clips for one batch: the message names the flag to change, and by how much.
    with pytest.raises(InvalidInputError, match="4 items per epoch, fewer than one batch of 3 in each of 2 "
                                                "processes: give --batch-size 2 "):
        builders.build_dataloader(dataset, batch_size=3, num_processes=2)
    with pytest.raises(InvalidInputError, match="fewer than one batch of 5: give --batch-size 4 .*num_repeats"):
        builders.build_dataloader(dataset, batch_size=5)
    with pytest.raises(InvalidInputError, match="--data_dir"):
        builders.build_train_dataset(dataclasses.replace(config, dataset_params=dataclasses.replace(
            config.dataset_params, root_dir=None)))
