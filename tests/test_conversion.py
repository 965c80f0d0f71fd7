"""Conversion of original checkpoints: every key of all eight original layouts, and loud failures."""

import json
import runpy
import subprocess
import sys

import pytest
import torch
import yaml

from fomm_hf import FOMMPipeline, MultiScaleDiscriminator
from fomm_hf.conversion import convert_original_checkpoint
from fomm_hf.conversion.original import load_original_state_dict
from fomm_hf.errors import CheckpointError, InvalidInputError
from fomm_hf.models import ModelConfig

from .fake_hub import LAYOUTS, original_checkpoint
from .helpers import REFERENCE, modes_under, needs, run_fomm_here

CONFIG = REFERENCE / "config.yaml"
CHECKPOINT = REFERENCE / "checkpoint.pth.tar"


def layouts():
    return json.loads(LAYOUTS.read_text()) if LAYOUTS.exists() else {}


@needs(LAYOUTS)
@pytest.mark.parametrize("name", sorted(layouts()) or ["missing"])
def test_every_original_layout_maps_onto_our_models(name):
    config = ModelConfig.from_dict({"model_params": layouts()[name]["model_params"]}, name)
    builders = {
        "kp_detector": config.build_kp_detector,
        "generator": config.build_generator,
        "discriminator": config.build_discriminator,
    }
    models = {part: build() for part, build in builders.items()}
    checkpoint = original_checkpoint(name, models=models)  # every key and shape of the original, random weights
    for part, model in models.items():
        state = checkpoint[part]
        load_original_state_dict(model, part, state)
        loaded = model.state_dict()
        assert len(loaded) == len(state) - sum(k.endswith("down.weight") for k in state)


@needs(REFERENCE)
def test_cli_converts_to_a_pipeline_folder(tmp_path, monkeypatch, capsys):
    """``python -m fomm_hf.convert`` (the module run as a script, in this process)."""
    output = tmp_path / "converted"
    monkeypatch.setattr(sys, "argv", ["fomm_hf.convert", "--config", str(CONFIG), "--checkpoint", str(CHECKPOINT),
                                      "--output", str(output), "--align-corners", "false"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_module("fomm_hf.convert", run_name="__main__", alter_sys=True)
    result = subprocess.CompletedProcess(sys.argv, exit.value.code, *capsys.readouterr())
    assert result.returncode == 0, result.stderr
    assert {p.name for p in output.iterdir()} == {"model_index.json", "kp_detector", "generator", "discriminator",
                                                  "README.md", "conversion.json"}
    assert not list(tmp_path.glob(".converted-*")), "staging folder left behind"
    assert modes_under(output) == {"folders": {0o755}, "files": {0o644}}  # the user's umask, 022 in the tests
    provenance = json.loads((output / "conversion.json").read_text())
    assert provenance["checkpoint"] == "checkpoint.pth.tar" and provenance["align_corners"] is False
    pipe = FOMMPipeline.from_pretrained(output)
    assert pipe.image_size == 128 and pipe.generator.config.align_corners is False
    discriminator = MultiScaleDiscriminator.from_pretrained(output, subfolder="discriminator")
    reference = convert_original_checkpoint(CONFIG, CHECKPOINT).discriminator
    image = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        assert torch.equal(discriminator(image).prediction_maps["1"], reference(image).prediction_maps["1"])
    card = (output / "README.md").read_text()
    assert "pipeline_tag: image-to-video" in card and "Limitations and misuse" in card


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "fomm_hf", "convert", *map(str, args)], capture_output=True, text=True)


@needs(REFERENCE)
def test_wrong_config_checkpoint_pair_is_reported(tmp_path, capsys):
    config = tmp_path / "vox-256.yaml"
    config.write_text(yaml.safe_dump({"model_params": layouts()["vox-256"]["model_params"]}))
    with pytest.raises(CheckpointError, match="shape mismatch .*config that came with this checkpoint|config that"):
        convert_original_checkpoint(config, CHECKPOINT)
    result = run_fomm_here(capsys, "convert", "--config", config, "--checkpoint", CHECKPOINT, "--output",
                           tmp_path / "out")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "do not fit the config" in result.stderr
    assert not (tmp_path / "out").exists()


@needs(REFERENCE)
@pytest.mark.parametrize("damage", ["missing", "unexpected", "reshaped"])
def test_damaged_checkpoints_fail_loudly(tmp_path, damage):
    checkpoint = torch.load(CHECKPOINT, weights_only=True)
    generator = checkpoint["generator"]
    if damage == "missing":
        del generator["final.weight"]
        expected = "missing key output_conv.weight"
    elif damage == "unexpected":
        generator["extra.weight"] = torch.zeros(1)
        expected = "unexpected key extra.weight"
    else:
        generator["final.bias"] = torch.zeros(4)
        expected = "shape mismatch for final.bias"
    path = tmp_path / "damaged.pth.tar"
    torch.save(checkpoint, path)
    with pytest.raises(CheckpointError, match=expected):
        convert_original_checkpoint(CONFIG, path)


class NotATensor:
    pass


def test_checkpoints_with_arbitrary_objects_are_not_unpickled(tmp_path):
    path = tmp_path / "evil.pth.tar"
    torch.save({"kp_detector": NotATensor(), "generator": {}}, path)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"model_params": {"common_params": {}, "kp_detector_params": {},
                                                       "generator_params": {}}}))
    with pytest.raises(CheckpointError, match="weights_only=True"):
        convert_original_checkpoint(config, path)


@needs(REFERENCE)
def test_unreadable_inputs_are_reported(tmp_path):
    not_yaml = tmp_path / "config.yaml"
    not_yaml.write_text("just: [text")
    with pytest.raises(InvalidInputError, match="config.yaml is not valid yaml"):
        ModelConfig.from_yaml(not_yaml)
    not_yaml.write_text("just: text")
    with pytest.raises(InvalidInputError, match="not a First Order Motion Model config"):
        ModelConfig.from_yaml(not_yaml)
    with pytest.raises(InvalidInputError, match="missing.yaml does not exist"):
        ModelConfig.from_yaml(tmp_path / "missing.yaml")
    not_yaml.write_bytes(bytes(range(256)))
    with pytest.raises(InvalidInputError, match="is not a text file"):
        ModelConfig.from_yaml(not_yaml)
    garbage = tmp_path / "garbage.pth.tar"
    garbage.write_bytes(b"not a checkpoint")
    result = run_cli("--config", CONFIG, "--checkpoint", garbage, "--output", tmp_path / "out")  # a real process
    assert result.returncode == 2 and "Cannot read" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists(), result.stderr


def test_misspelt_model_keys_are_named_with_the_closest_valid_one(tmp_path):
    config = tmp_path / "typo.yaml"
    config.write_text(yaml.safe_dump({"model_params": {"common_params": {"num_kp": 5},
                                                       "generator_params": {"block_expansoin": 8}}}))
    with pytest.raises(InvalidInputError, match="typo.yaml: model_params.generator_params: unknown key "
                                                "'block_expansoin' \\(did you mean 'block_expansion'\\?\\)"):
        ModelConfig.from_yaml(config)
    config.write_text(yaml.safe_dump({"model_params": {"common_params": {"num_kps": 5}}}))
    with pytest.raises(InvalidInputError, match="unknown key 'num_kps' \\(did you mean 'num_kp'\\?\\)"):
        ModelConfig.from_yaml(config)
    config.write_text(yaml.safe_dump({"model_params": {"generator_params": {"dense_motion_params": {"scale": 1}}}}))
    with pytest.raises(InvalidInputError, match="dense_motion_params: unknown key 'scale'"):
        ModelConfig.from_yaml(config)
