"""Training with accelerate: real distributed steps, kill-and-resume, losses against independent computations.

Real processes where processes are what is tested: two processes training together (torchrun), a run killed with
SIGKILL, the launcher's report, an error from a fresh interpreter, and ``fomm reconstruct`` once (its alias
``train_accelerate.py --mode reconstruction`` runs here). Elsewhere ``train_accelerate.py`` runs in this process
(:func:`train_here`), and several tests read one short run (:func:`epochs_run`) instead of training their own.
"""

import importlib.util
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub import constants
from safetensors.torch import load_file, save_file

from fomm_hf import FOMMPipeline, KeypointOutput
from fomm_hf.errors import CheckpointError, InvalidInputError
from fomm_hf.models import OcclusionAwareGenerator
from fomm_hf.training import (
    FramesDataset,
    Trainer,
    TrainingArguments,
    load_training_config,
    reconstruct_test_videos,
)
from fomm_hf.training.augmentation import ClipAugmentation, adjust_hue
from fomm_hf.training.checkpointing import latest_checkpoint
from fomm_hf.training.losses import (
    ImagePyramid,
    RandomTransform,
    equivariance_losses,
    perceptual_loss,
    pixel_loss,
)
from fomm_hf.training.objective import FOMMObjective, unwrap
from fomm_hf.training.snapshots import training_picture
from fomm_hf.training.training_config import (
    AugmentationParams,
    CropParams,
    FlipParams,
    JitterParams,
    LossWeights,
    ResizeParams,
)
from fomm_hf.training.vgg import Vgg19Features, load_vgg19
from fomm_hf.video import open_video

from .fake_hub import closed_port
from .helpers import (
    REPO_ROOT,
    modes_under,
    moving_disc_clip,
    run_fomm_here,
    write_dataset,
)

CONFIG = REPO_ROOT / "configs" / "test-tiny.yaml"
SCRIPT = REPO_ROOT / "train_accelerate.py"


@pytest.fixture(scope="module")
def dataset_root(tmp_path_factory):
    """Six training clips (12 items per epoch with test-tiny's 2 repeats: 6 steps of 2 in one process) and two
    test clips of 6 frames."""
    return write_dataset(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    """Two training clips (4 items per epoch: 2 steps of 2 in one process, 1 step in each of two) and two test
    clips of 6 frames: epochs of few steps."""
    return write_dataset(tmp_path_factory.mktemp("small-data"), num_train=2, num_test=2)


def train_accelerate_module():
    """train_accelerate.py loaded as a module, whose ``main(argv)`` is what the script runs."""
    spec = importlib.util.spec_from_file_location("train_accelerate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_here(capsys, *args) -> subprocess.CompletedProcess:
    """``python train_accelerate.py ARGS...`` run in this process (no interpreter to start, nor torch and diffusers
    to import), where the test is not about a process: its exit status and what it printed (captured by
    ``capsys``), as subprocess.run gives them for a real process."""
    main = train_accelerate_module().main
    args = [str(arg) for arg in args]
    capsys.readouterr()  # what was printed before is not the command's
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", [str(SCRIPT), *args])  # the command line the model card records
        try:
            status = main(args)
        except SystemExit as exit:  # argparse's own errors
            status = exit.code
    stdout, stderr = capsys.readouterr()
    return subprocess.CompletedProcess(["train_accelerate.py", *args], status, stdout, stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_of(output_dir) -> str:
    return (Path(output_dir) / "train_log.txt").read_text()


def config_with(tmp_path, train_param: str) -> Path:
    """test-tiny with one ``train_params`` line set, e.g. ``"ema_decay: 0.1"`` (replaced where present)."""
    key = train_param.split(":")[0]
    text, replaced = re.subn(rf"^  {key}:.*$", f"  {train_param}", CONFIG.read_text(), flags=re.MULTILINE)
    path = tmp_path / f"{key}.yaml"
    path.write_text(text if replaced else text.replace("train_params:", f"train_params:\n  {train_param}"))
    return path


# Runs train_accelerate.main for each list of arguments (json), one after the other, in the processes of one launch
# and in its process group, which the runs share (each run's end leaves it for the next).
RUNS_IN_ONE_LAUNCH = """
import importlib.util, json, sys
from accelerate.state import PartialState
spec = importlib.util.spec_from_file_location("train_accelerate", sys.argv[1])
train_accelerate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train_accelerate)
destroy_process_group = PartialState.destroy_process_group
PartialState.destroy_process_group = lambda self, group=None: None
for argv in json.loads(sys.argv[2]):
    status = train_accelerate.main(argv)
    if status:
        sys.exit(status)
destroy_process_group(PartialState())
"""


@pytest.fixture(scope="module")
def two_process_runs(small_dataset, tmp_path_factory) -> dict:
    """{"all-models": output folder, "frozen-kp-detector": output folder}: test-tiny, and test-tiny with
    lr_kp_detector 0, each trained by the two CPU processes (gloo) of one torchrun launch, the second after the
    first in the same processes and process group (starting them costs more than the training). The script itself
    under torchrun, and the launcher's report of its failure: the next test."""
    folder = tmp_path_factory.mktemp("two-processes")
    (folder / "runs.py").write_text(RUNS_IN_ONE_LAUNCH)
    configs = {"all-models": CONFIG, "frozen-kp-detector": config_with(folder, "lr_kp_detector: 0")}
    runs = [["--config", str(config), "--data_dir", str(small_dataset), "--output_dir", str(folder / name),
             "--max_steps", "3", "--batch_size", "2", "--perceptual-backbone", "random", "--log_every", "1"]
            for name, config in configs.items()]
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
               str(free_port()), str(folder / "runs.py"), str(SCRIPT), json.dumps(runs)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return {name: folder / name for name in configs}


@pytest.mark.parametrize("kp_detector_trains", [True, False], ids=["all-models", "frozen-kp-detector"])
def test_two_cpu_processes_train_together_and_agree(two_process_runs, kp_detector_trains):
    output = two_process_runs["all-models" if kp_detector_trains else "frozen-kp-detector"]
    log = log_of(output)
    assert "world size 2" in log
    assert "weights identical across 2 processes: True" in log
    # --max_steps means it: 3 steps, past the config's 2 epochs (4 items per epoch: 1 step of 2 x 2 processes)
    assert "step 3 epoch 2 " in log and "step 4 " not in log

    pipe = FOMMPipeline.from_pretrained(output / "pipeline")
    pipe.set_progress_bar_config(disable=True)
    frames = torch.from_numpy(moving_disc_clip(7, 4, 64)).permute(0, 3, 1, 2).float() / 255
    animated = pipe(frames[0], frames).frames
    assert animated.shape == (4, 3, 64, 64) and torch.isfinite(animated).all()


def test_two_processes_without_a_dataset_say_so_once_before_the_launchers_report(tmp_path):
    """Under torchrun the first process to fail makes the launcher stop the others: the message comes once, from
    local rank 0, before torchrun's own report of the failure, and no process group was started."""
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
               str(free_port()), str(SCRIPT), "--config", str(CONFIG), "--data_dir", str(tmp_path / "no-data"),
               "--output_dir", str(tmp_path / "run"), "--perceptual-backbone", "random"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    message = f"train_accelerate.py: error: {tmp_path / 'no-data'} must contain train/ and test/ folders"
    assert result.stderr.count(message) == 1
    assert result.stderr.index(message) < result.stderr.index("ChildFailedError")
    assert "exitcode  : 2" in result.stderr and not (tmp_path / "run").exists()


def training_args(output_dir, dataset_root, **overrides) -> TrainingArguments:
    defaults = dict(output_dir=str(output_dir), data_dir=str(dataset_root), perceptual_backbone="random",
                    checkpoint_every=2, image_every=0, log_every=1, batch_size=2)
    return TrainingArguments(**{**defaults, **overrides})


def snapshot(trainer: Trainer) -> dict:
    models = {name: unwrap(getattr(trainer, name)) for name in ("kp_detector", "generator", "discriminator")}
    return {
        "weights": {n: {k: v.clone() for k, v in m.state_dict().items()} for n, m in models.items()},
        "optimizers": [o.state_dict() for o in trainer.optimizers],
        "step": trainer.state.step,
    }


@dataclass(frozen=True)
class Run:
    folder: Path
    snapshot: dict  # the trainer's weights, optimizer states and step when it finished
    epoch: int


@pytest.fixture(scope="module")
def epochs_run(small_dataset, tmp_path_factory) -> Run:
    """test-tiny trained for its 2 epochs (no --max_steps: 4 steps of 2 on the small dataset), with a checkpoint
    and a picture after every step, all four checkpoints kept. Several tests read it; none writes in it."""
    output = tmp_path_factory.mktemp("epochs") / "run"
    trainer = Trainer(load_training_config(CONFIG), training_args(output, small_dataset, checkpoint_every=1,
                                                                  checkpoints_to_keep=4, image_every=1))
    trainer.train()
    return Run(output, snapshot(trainer), trainer.state.epoch)


def test_max_steps_runs_exactly_that_many_steps_over_as_many_epochs_as_needed(epochs_run, tmp_path):
    config = load_training_config(CONFIG)  # 2 epochs; one training clip: 2 items, 1 step of 2 per epoch
    one_clip = write_dataset(tmp_path / "data", num_train=1, num_test=1)
    trainer = Trainer(config, training_args(tmp_path / "long", one_clip, max_steps=3, checkpoint_every=0))
    trainer.train()
    assert (trainer.state.step, trainer.state.epoch) == (3, 3) and "step 3 epoch 2 " in log_of(tmp_path / "long")
    # no --max_steps: the config's epochs (the small dataset: 2 steps of 2 per epoch)
    assert (epochs_run.snapshot["step"], epochs_run.epoch) == (4, 2) and "step 4 epoch 1 " in log_of(epochs_run.folder)


def test_gradient_accumulation_counts_optimizer_steps_and_pushes_the_result(dataset_root, tmp_path, monkeypatch):
    from fomm_hf.training import trainer as trainer_module

    checked, pushed = [], []  # the Hub's servers cannot be reached here: the upload stops at the client
    monkeypatch.setattr(trainer_module, "check_hub_upload", checked.append)
    monkeypatch.setattr(trainer_module, "push_folder_to_hub", lambda folder, repo_id: pushed.append((folder, repo_id)))
    config = load_training_config(CONFIG)  # 12 items per epoch: 6 micro-batches of 2
    arguments = training_args(tmp_path, dataset_root, max_steps=3, gradient_accumulation_steps=2, checkpoint_every=0,
                              push_to_hub="someone/fomm-tiny")
    trainer = Trainer(config, arguments)
    folder = trainer.train()
    assert (trainer.state.step, trainer.state.epoch) == (3, 1)  # 3 optimizer steps of 2 micro-batches: one epoch
    assert checked == ["someone/fomm-tiny"] and pushed == [(folder, "someone/fomm-tiny")]
    assert 'from_pretrained("someone/fomm-tiny")' in (folder / "README.md").read_text()


def test_training_outputs_have_the_users_permissions(epochs_run):
    folder = epochs_run.folder  # under umask 022 (conftest): its log, checkpoints, pictures and pipeline
    assert latest_checkpoint(folder) and list((folder / "images").glob("*.png")) and (folder / "pipeline").is_dir()
    assert modes_under(folder) == {"folders": {0o755}, "files": {0o644}}


def test_resume_continues_step_count_optimizer_state_and_weights(small_dataset, epochs_run, tmp_path):
    config = load_training_config(CONFIG)
    output = shutil.copytree(epochs_run.folder, tmp_path / "run")  # the shared run stays as it is
    before = epochs_run.snapshot
    assert latest_checkpoint(output).name == "checkpoint-4"
    # A checkpoint half written when the run was killed must never be the one resumed from.
    half_written = output / "checkpoints" / ".incomplete-6"
    half_written.mkdir()
    (half_written / "model.safetensors").write_bytes(b"truncated")

    second = Trainer(config, training_args(output, small_dataset, max_steps=6, resume=True))
    second.resume()
    after = snapshot(second)
    assert after["step"] == 4
    for name, weights in before["weights"].items():
        for key, tensor in weights.items():
            assert torch.equal(after["weights"][name][key], tensor), (name, key)
    for saved, loaded in zip(before["optimizers"], after["optimizers"]):
        assert saved["param_groups"] == loaded["param_groups"]
        for index, state in saved["state"].items():
            assert int(loaded["state"][index]["step"]) == int(state["step"]) == 4
            assert torch.equal(loaded["state"][index]["exp_avg"], state["exp_avg"])
    second.train()
    assert second.state.step == 6
    assert "Resumed from checkpoint-4 (step 4" in log_of(output)


def test_a_killed_run_resumes_from_its_last_complete_checkpoint(dataset_root, tmp_path, capsys):
    flags = ["--config", str(CONFIG), "--data_dir", str(dataset_root), "--output_dir", str(tmp_path),
             "--checkpoint_every", "1", "--batch_size", "2", "--perceptual-backbone", "random", "--image_every", "0"]
    process = subprocess.Popen([sys.executable, str(SCRIPT), *flags, "--max_steps", "10000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "checkpoints" / "checkpoint-1").exists():
        time.sleep(0.2)
    time.sleep(0.3)  # into the middle of later steps and checkpoint writes
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    resumed_from = latest_checkpoint(tmp_path)
    assert resumed_from is not None
    step = int(resumed_from.name.split("-")[1])

    # Resumed by train_accelerate.py (here, in this process: the killed one was the real process that matters).
    result = train_here(capsys, *flags, "--max_steps", step + 2, "--resume")
    assert result.returncode == 0, result.stderr[-3000:]
    log = log_of(tmp_path)
    assert f"Resumed from checkpoint-{step} (step {step}" in log
    assert f"step {step + 2} " in log
    assert not list((tmp_path / "checkpoints").glob(".incomplete-*"))


@pytest.fixture
def fresh_accelerate_state():
    """accelerate keeps one state per process, whose mixed precision cannot change once set: a run of another
    precision in this process starts from none, and leaves none."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


def test_mixed_precision_training_then_reconstruction_mode(small_dataset, tmp_path, capsys, fresh_accelerate_state):
    # bfloat16 on a CPU without bfloat16 instructions is slow (about 9 s for a step of one item here, 30 times
    # float32's): one step of one item
    trained = train_here(capsys, "--config", CONFIG, "--data_dir", small_dataset, "--output_dir", tmp_path,
                         "--max_steps", 1, "--batch_size", 1, "--perceptual-backbone", "random", "--mixed_precision",
                         "bf16", "--log_every", 1)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "mixed precision bf16" in log_of(tmp_path) and "step 1 " in log_of(tmp_path)
    # train_accelerate.py --mode reconstruction and fomm reconstruct (both in this process), which share their
    # code, give the same report.
    result = train_here(capsys, "--config", CONFIG, "--data_dir", small_dataset, "--output_dir", tmp_path, "--mode",
                        "reconstruction")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Reconstruction L1:" in result.stdout
    report = json.loads((tmp_path / "reconstruction.json").read_text())
    assert report["num_videos"] == 2 and report["num_frames"] == 12 and 0 < report["mean_l1"] < 1
    command = run_fomm_here(capsys, "reconstruct", "--config", CONFIG, "--model", tmp_path / "pipeline", "--data-dir",
                       small_dataset, "--output-dir", tmp_path / "fomm")
    assert command.returncode == 0, command.stderr[-2000:]
    assert "Reconstruction L1:" in command.stdout
    same = json.loads((tmp_path / "fomm" / "reconstruction.json").read_text())
    assert (same["num_videos"], same["num_frames"], same["videos"].keys()) == (2, 12, report["videos"].keys())
    assert same["mean_l1"] == pytest.approx(report["mean_l1"], rel=1e-5)

    # reconstruction_params.num_videos limits the videos reconstructed.
    one_video = tmp_path / "one-video.yaml"
    one_video.write_text(CONFIG.read_text().replace("{num_videos: null}", "{num_videos: 1}"))
    results = reconstruct_test_videos(one_video, str(tmp_path / "pipeline"), str(small_dataset))
    assert results["num_videos"] == 1 and results["num_frames"] == 6

    # A config of another resolution than the model's is one clear error, not a tensor size mismatch.
    larger = tmp_path / "larger.yaml"
    larger.write_text(CONFIG.read_text().replace("frame_shape: [64, 64, 3]", "frame_shape: [128, 128, 3]"))
    with pytest.raises(InvalidInputError, match="animates 64x64 frames, and the config larger.yaml reads the videos "
                                                "at 128x128"):
        reconstruct_test_videos(larger, str(tmp_path / "pipeline"), str(small_dataset))


def test_fine_tuning_starts_from_a_pipelines_weights_discriminator_included(dataset_root, epochs_run, tmp_path):
    config = load_training_config(CONFIG)
    pretrained = epochs_run.folder / "pipeline"
    assert (pretrained / "discriminator").is_dir()  # test-tiny is adversarial: its discriminator is kept

    fine_tuned = Trainer(config, training_args(tmp_path / "fine-tuned", dataset_root, max_steps=1,
                                               init_from=str(pretrained)))
    for name in ("kp_detector", "generator", "discriminator"):
        saved = type(unwrap(getattr(fine_tuned, name))).from_pretrained(pretrained, subfolder=name).state_dict()
        for key, tensor in unwrap(getattr(fine_tuned, name)).state_dict().items():
            assert torch.equal(tensor, saved[key]), (name, key)

    other = tmp_path / "other.yaml"
    other.write_text(CONFIG.read_text().replace("num_kp: 5", "num_kp: 7"))
    with pytest.raises(CheckpointError, match="kp_detector does not match the config's architecture") as raised:
        Trainer(load_training_config(other), training_args(tmp_path / "mismatch", dataset_root,
                                                           init_from=str(pretrained)))
    assert "other shapes: " in str(raised.value) and len(str(raised.value)) < 600  # the first few, not all


def test_vgg_weights_that_cannot_be_read_are_one_clear_error(tmp_path):
    not_weights = tmp_path / "clip.mp4"
    not_weights.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="is not a safetensors file: VGG19 weights are needed"):
        load_vgg19(str(not_weights))
    with pytest.raises(CheckpointError, match="The VGG19 weights file .*missing.safetensors does not exist"):
        load_vgg19(str(tmp_path / "missing.safetensors"))


def test_frozen_batchnorm_keeps_running_statistics_while_the_weights_train(dataset_root, tmp_path):
    def batchnorm_statistics(trainer):
        return {f"{name}.{key}": tensor.clone() for name in ("kp_detector", "generator")
                for key, tensor in unwrap(getattr(trainer, name)).state_dict().items()
                if key.endswith(("running_mean", "running_var"))}

    for config, frozen in ((CONFIG, False), (config_with(tmp_path, "freeze_batchnorm: true"), True)):
        trainer = Trainer(load_training_config(config), training_args(tmp_path / str(frozen), dataset_root,
                                                                      max_steps=2, checkpoint_every=0))
        statistics, weights = batchnorm_statistics(trainer), snapshot(trainer)["weights"]["generator"]
        trainer.train()
        after = batchnorm_statistics(trainer)
        assert all(torch.equal(statistics[k], after[k]) for k in statistics) == frozen
        generator = unwrap(trainer.generator).state_dict()
        assert not torch.equal(weights["output_conv.weight"], generator["output_conv.weight"])


def test_a_keypoint_detector_with_learning_rate_0_gets_no_gradients_and_resumes_from_the_checkpoint(
        dataset_root, tmp_path):
    config = load_training_config(config_with(tmp_path, "lr_kp_detector: 0"))
    trainer = Trainer(config, training_args(tmp_path / "run", dataset_root, max_steps=2))
    initial = snapshot(trainer)["weights"]
    trainer.train()
    kp_detector = unwrap(trainer.kp_detector)
    assert all(p.grad is None and not p.requires_grad for p in kp_detector.parameters())
    trained = snapshot(trainer)["weights"]
    for name, _ in kp_detector.named_parameters():
        assert torch.equal(trained["kp_detector"][name], initial["kp_detector"][name]), name
    assert not torch.equal(trained["generator"]["output_conv.weight"], initial["generator"]["output_conv.weight"])

    resumed = Trainer(config, training_args(tmp_path / "run", dataset_root, max_steps=2, resume=True, seed=1))
    resumed.resume()  # another seed builds another detector: the checkpoint's must replace it
    for key, tensor in unwrap(resumed.kp_detector).state_dict().items():
        assert torch.equal(tensor, trained["kp_detector"][key]), key


def test_ema_weights_are_the_pipelines_and_resume_with_the_checkpoint(small_dataset, epochs_run, tmp_path):
    def generator_weights(folder):
        return OcclusionAwareGenerator.from_pretrained(folder, subfolder="generator").state_dict()

    # The generator's weights after steps 1, 2 and 3 of the same training without an average (test-tiny on the same
    # data, the same seed): the checkpoints of epochs_run (the generator is the second model of accelerate's
    # checkpoints: its last one holds the weights the run ended with).
    raw = [load_file(epochs_run.folder / "checkpoints" / f"checkpoint-{step}" / "model_1.safetensors")
           for step in (1, 2, 3, 4)]
    assert raw[3].keys() == epochs_run.snapshot["weights"]["generator"].keys()
    assert all(torch.equal(raw[3][k], v) for k, v in epochs_run.snapshot["weights"]["generator"].items())

    decay = 0.1  # diffusers' EMAModel: the first step copies, then min(decay, (1 + n) / (10 + n))
    ema_config = config_with(tmp_path, f"ema_decay: {decay}")
    trainer = Trainer(load_training_config(ema_config), training_args(tmp_path / "ema", small_dataset, max_steps=3,
                                                                      checkpoint_every=3))
    averaged = generator_weights(trainer.train())
    for key, value in averaged.items():
        if not value.is_floating_point() or key.endswith(("running_mean", "running_var")):
            continue  # buffers are not averaged
        expected = decay * (decay * raw[0][key] + (1 - decay) * raw[1][key]) + (1 - decay) * raw[2][key]
        torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-6, msg=key)
    assert not torch.equal(averaged["output_conv.weight"], raw[2]["output_conv.weight"])

    resumed = Trainer(load_training_config(ema_config), training_args(tmp_path / "ema", small_dataset, max_steps=3,
                                                                      resume=True))
    resumed.resume()
    assert resumed.ema.optimization_step == 3
    assert all(torch.equal(a, b) for a, b in zip(resumed.ema.shadow_params, trainer.ema.shadow_params))


# Records in $FOMM_TEST_CONNECTIONS every connection a process tries to open (host and port, one a line).
COUNT_CONNECTIONS = """
import os, socket
_connect = socket.socket.connect
def _counted_connect(sock, address):
    with open(os.environ["FOMM_TEST_CONNECTIONS"], "a") as record:
        record.write(f"{address[0]} {address[1]}\\n" if isinstance(address, tuple) else f"{address}\\n")
    return _connect(sock, address)
socket.socket.connect = _counted_connect
"""


@pytest.mark.parametrize("network", ["offline", "unreachable"])
def test_missing_vgg_weights_are_an_error_not_a_silent_fallback(dataset_root, tmp_path, network, monkeypatch,
                                                                 capsys):
    """With HF_HUB_OFFLINE=1 (in this process), and online where the Hub cannot be reached (in a process of its
    own, as a user meets it; huggingface_hub alone would try to connect again five times, for about 25 s): one
    message, at once, that says what to do; offline nothing tries to connect, online only the check of whether the
    Hub can be reached, once."""
    flags = ["--config", str(CONFIG), "--data_dir", str(dataset_root), "--output_dir", str(tmp_path / "run"),
             "--max_steps", "1"]
    if network == "offline":  # as every test runs (conftest), with nothing in the Hub cache
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
        attempts, connect = [], socket.socket.connect

        def counted_connect(sock, address):
            attempts.append(address)
            return connect(sock, address)

        monkeypatch.setattr(socket.socket, "connect", counted_connect)
        result = train_here(capsys, *flags)
        assert attempts == []
    else:
        (tmp_path / "site").mkdir()
        (tmp_path / "site" / "sitecustomize.py").write_text(COUNT_CONNECTIONS)
        record, port = tmp_path / "connections.txt", closed_port()
        record.touch()
        env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"),
               "HF_ENDPOINT": f"http://127.0.0.1:{port}", "FOMM_TEST_CONNECTIONS": str(record),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path / "site"), os.environ.get("PYTHONPATH")])),
               # as conftest sets it for the tests: else huggingface_hub's user agent fetches a list of AI agents
               # from the endpoint, once, before anything is downloaded
               "HF_HUB_DISABLE_TELEMETRY": "1"}
        result = subprocess.run([sys.executable, str(SCRIPT), *flags], capture_output=True, text=True, env=env)
        # One attempt, the reachability check's: no download tried, nothing tried again.
        assert record.read_text().splitlines() == [f"127.0.0.1 {port}"]
        assert "cannot reach the Hub" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # from a fresh interpreter: one line
    assert result.returncode == 2
    assert "VGG19 ImageNet weights are not available" in result.stderr
    assert "--perceptual-backbone random" in result.stderr
    assert "Traceback" not in result.stderr and "Retrying" not in result.stderr


# Losses --------------------------------------------------------------------------------------------------


def test_equivariance_loss_is_zero_for_an_exactly_equivariant_detector():
    transform = RandomTransform(3, sigma_affine=0.1, generator=torch.Generator().manual_seed(0))
    kp_driving = KeypointOutput(value=torch.rand(3, 5, 2) * 1.6 - 0.8,
                                jacobian=torch.eye(2) + 0.2 * torch.randn(3, 5, 2, 2))
    linear, offset = transform.theta[:, :, :2], transform.theta[:, :, 2]
    inverse = torch.linalg.inv(linear)
    # What an equivariant detector sees in the warped frame: the keypoints mapped back, Jacobians A^-1 J.
    value = torch.einsum("bij,bnj->bni", inverse, kp_driving.value - offset[:, None])
    kp_transformed = KeypointOutput(value=value.requires_grad_(True), jacobian=inverse[:, None] @ kp_driving.jacobian)
    value_loss, jacobian_loss = equivariance_losses(kp_driving, kp_transformed, transform)
    assert value_loss.item() < 1e-6 and jacobian_loss.item() < 1e-5

    shifted = KeypointOutput(value=(value + 0.05).detach().requires_grad_(True), jacobian=kp_transformed.jacobian)
    assert equivariance_losses(kp_driving, shifted, transform)[0].item() > 0.01


def test_thin_plate_spline_jacobian_matches_finite_differences():
    transform = RandomTransform(2, sigma_affine=0.05, sigma_tps=0.05, points_tps=5,
                                generator=torch.Generator().manual_seed(1))
    points = (torch.rand(2, 7, 2, dtype=torch.float64) * 1.6 - 0.8).requires_grad_(True)
    transform.theta, transform.control_params = transform.theta.double(), transform.control_params.double()
    jacobian = transform.jacobian(points)  # (2, 7, 2, 2)
    eps = 1e-6
    for axis in range(2):
        step = torch.zeros_like(points)
        step[..., axis] = eps
        numeric = (transform.warp_coordinates(points + step) - transform.warp_coordinates(points - step)) / (2 * eps)
        torch.testing.assert_close(jacobian[..., :, axis], numeric.detach(), atol=1e-6, rtol=1e-5)


def test_warped_frame_samples_the_transformed_grid():
    transform = RandomTransform(1, sigma_affine=0.0)  # the identity
    frame = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(transform.warp_frame(frame, align_corners=True), frame, atol=1e-6, rtol=0)


def test_perceptual_pyramid_matches_a_hand_computation_on_one_scale():
    torch.manual_seed(0)
    vgg = Vgg19Features()
    prediction, target = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    pyramid = ImagePyramid([1])
    loss = perceptual_loss(vgg, pyramid(prediction), pyramid(target), [2.0, 0, 0, 0, 0])
    conv = vgg.features[0]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def relu1_1(x):
        return torch.relu(torch.nn.functional.conv2d((x - mean) / std, conv.weight, conv.bias, padding=1))

    expected = 2.0 * (relu1_1(prediction) - relu1_1(target)).abs().mean()
    torch.testing.assert_close(loss, expected)


def test_pixel_loss_sums_the_mean_absolute_error_of_every_scale():
    prediction, target = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    pyramid = ImagePyramid([1, 0.5])
    expected = (prediction - target).abs().mean() + (pyramid(prediction)[0.5] - pyramid(target)[0.5]).abs().mean()
    torch.testing.assert_close(pixel_loss(pyramid(prediction), pyramid(target)), expected)
    assert pixel_loss(pyramid(target), pyramid(target)) == 0


def test_pixel_weight_adds_the_pixel_loss_to_the_generators_losses():
    torch.manual_seed(0)
    config = load_training_config(CONFIG)
    model = config.model
    loss_weights = LossWeights(perceptual=(0,) * 5, pixel=100, generator_gan=0)
    params = replace(config.train_params, loss_weights=loss_weights)
    objective = FOMMObjective(model.build_kp_detector(), model.build_generator(), model.build_discriminator(), None,
                              params)
    batch = {"source": torch.rand(2, 3, 64, 64), "driving": torch.rand(2, 3, 64, 64)}
    losses, generated = objective.generator_losses(batch)
    assert "perceptual" not in losses and "generator_gan" not in losses
    pyramid = ImagePyramid(params.scales)
    expected = 100 * pixel_loss(pyramid(generated.output.prediction), pyramid(batch["driving"]))
    torch.testing.assert_close(losses["pixel"], expected)

    # The training pictures of these outputs: one row per item, five panels.
    picture = training_picture(batch, generated, kp_size=3)
    assert picture.shape == (2 * 64, 5 * 64, 3) and picture.dtype == np.uint8


def test_image_pyramid_scales():
    levels = ImagePyramid([1, 0.5, 0.25])(torch.rand(1, 3, 64, 64))
    assert [tuple(v.shape[2:]) for v in levels.values()] == [(64, 64), (32, 32), (16, 16)]


def test_vgg_weights_load_from_a_timm_layout_file(tmp_path):
    reference = Vgg19Features()
    state = {f"features.{k}": v.clone() for k, v in reference.features.state_dict().items()}
    state["pre_logits.fc1.weight"] = torch.zeros(4, 4)  # classifier tensors are ignored
    save_file(state, tmp_path / "model.safetensors")
    loaded = Vgg19Features().load_feature_weights(tmp_path / "model.safetensors")
    for key, value in reference.features.state_dict().items():
        assert torch.equal(loaded.features.state_dict()[key], value)
    del state["features.34.weight"]
    save_file(state, tmp_path / "partial.safetensors")
    with pytest.raises(CheckpointError, match="features.34.weight"):
        Vgg19Features().load_feature_weights(tmp_path / "partial.safetensors")


# Data ---------------------------------------------------------------------------------------------------


def test_dataset_reads_strips_folders_and_videos_alike(dataset_root, tmp_path):
    train = FramesDataset(dataset_root, frame_shape=(64, 64, 3), augmentation=AugmentationParams())
    item = train[0]
    assert item["source"].shape == item["driving"].shape == (3, 64, 64)
    assert len(train) == 6
    test = FramesDataset(dataset_root, frame_shape=(64, 64, 3), is_train=False)
    strip, folder = test[0], test[1]
    expected = torch.from_numpy(moving_disc_clip(1000, 6, 64)).permute(0, 3, 1, 2).float() / 255
    torch.testing.assert_close(strip["video"], expected)
    assert folder["video"].shape == (6, 3, 64, 64)


def test_cached_frames_give_the_same_items_as_reading_each_time(dataset_root, tmp_path):
    augmentation = AugmentationParams(flip_param=FlipParams(horizontal_flip=True, time_flip=True),
                                      jitter_param=JitterParams(hue=0.1))
    items = []
    for cache_frames in (False, True):
        dataset = FramesDataset(dataset_root, frame_shape=(64, 64, 3), augmentation=augmentation,
                                num_repeats=2, cache_frames=cache_frames)
        random.seed(0)
        torch.manual_seed(0)
        np.random.seed(0)
        items.append([dataset[i] for i in range(len(dataset))])
    assert len(dataset.cached_frames) == 6  # strips and folders alike
    for uncached, cached in zip(*items):
        assert torch.equal(uncached["source"], cached["source"]) and torch.equal(uncached["driving"], cached["driving"])
    # Each entry is decoded once: the files are not read again.
    copy = shutil.copytree(dataset_root, tmp_path / "copy")
    dataset = FramesDataset(copy, frame_shape=(64, 64, 3), cache_frames=True)
    first = [dataset[i] for i in range(len(dataset))]
    shutil.rmtree(copy / "train")
    assert [dataset[i]["source"].shape for i in range(len(dataset))] == [item["source"].shape for item in first]


def test_id_sampling_and_repeats(tmp_path):
    root = write_dataset(tmp_path, num_train=4, num_test=1)
    for i, path in enumerate(sorted((root / "train").iterdir())):
        path.rename(path.with_name(f"person{i % 2}#{path.name}"))
    dataset = FramesDataset(root, frame_shape=(64, 64, 3), id_sampling=True, num_repeats=3)
    assert dataset.ids == ["person0", "person1"] and len(dataset) == 6
    assert dataset[5]["source"].shape == (3, 64, 64)


def test_augmentation_keeps_shapes_and_ranges():
    clip = torch.rand(2, 3, 32, 32)
    jitter = JitterParams(brightness=0.1, contrast=0.1, saturation=0.1, hue=0.1)
    flip = FlipParams(horizontal_flip=True, time_flip=True)
    for crop_size in ((32, 32), None):  # None: the clip's size before resizing
        augment = ClipAugmentation(AugmentationParams(flip_param=flip, jitter_param=jitter,
                                                      resize_param=ResizeParams(ratio=(0.9, 1.1)),
                                                      crop_param=CropParams(size=crop_size)))
        for _ in range(5):
            out = augment(clip)
            assert out.shape == clip.shape and 0 <= out.min() and out.max() <= 1
    torch.testing.assert_close(adjust_hue(clip, 0.0), clip, atol=1e-5, rtol=0)
    torch.testing.assert_close(adjust_hue(adjust_hue(clip, 0.3), -0.3), clip, atol=1e-4, rtol=0)


def test_the_readme_training_quick_start_runs_as_written(tmp_path, monkeypatch, capsys):
    """The README's block, line by line, in a fresh folder holding what a clone has (no data/, no runs/), each
    command in this process: ``fomm ...`` as fomm_hf.cli.main, ``python train_accelerate.py ...`` as the script's
    main (real processes of both: test_a_killed_run_resumes_from_its_last_complete_checkpoint,
    test_missing_vgg_weights_are_an_error_not_a_silent_fallback, test_mixed_precision_training_then_reconstruction_mode
    and the tests of fomm animate)."""
    readme = (REPO_ROOT / "README.md").read_text()
    block = readme.split("<!-- tests/test_training.py runs this block as written -->\n```bash\n", 1)[1]
    commands = block.split("\n```", 1)[0].splitlines()
    assert len(commands) == 3
    for name in ("configs", "examples", "train_accelerate.py"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    monkeypatch.chdir(tmp_path)
    for command in commands:
        words = shlex.split(command)
        if words[0] == "fomm":
            result = run_fomm_here(capsys, *words[1:])
        else:
            assert words[:2] == ["python", "train_accelerate.py"] and (tmp_path / words[1]).resolve() == SCRIPT
            result = train_here(capsys, *words[2:])
        assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
    log = log_of(tmp_path / "runs" / "test-tiny")
    assert "step 20 " in log and "step 21 " not in log
    with open_video(tmp_path / "runs" / "test-tiny" / "result.mp4") as video:
        assert video.num_frames == 64
    # The procedural dataset says it holds cartoon faces: the trained pipeline records it, and frames them.
    model_index = json.loads((tmp_path / "runs" / "test-tiny" / "pipeline" / "model_index.json").read_text())
    assert model_index["category"] == "cartoon-face" and "Source: face found" in result.stdout
