"""Models by name: the registry, download from the Hub (a local fake of it), conversion once, and loads after that.

The original checkpoints are stood in for by random weights in the exact layout of the original vox-adv
checkpoint (keys, shapes, optimizer entries, the legacy torch format), served by :class:`FakeHub` on 127.0.0.1.
Runs that download go in their own processes, which read the fake Hub's address from their environment; what
needs no network (offline loads, listings, conversions of a local file) runs in this process, with the Hub cache
and $FOMM_CACHE of those processes (:func:`same_caches`).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from huggingface_hub import constants

from fomm_hf import FOMMPipeline
from fomm_hf.categories import CATEGORIES
from fomm_hf.errors import InvalidInputError
from fomm_hf.model_store import resolve_model
from fomm_hf.model_store.hub_access import hub_is_reachable
from fomm_hf.model_store.registry import MODELS, registered_model
from fomm_hf.video import open_video

from .fake_hub import LAYOUTS, FakeHub, closed_port, original_checkpoint, save_original_checkpoint, sha256
from .helpers import MEDIA, REPO_ROOT, needs, run_fomm_here

VOX_ADV = registered_model("vox-adv-256")
SPACE, MODEL_REPO, THINPLATES = VOX_ADV.mirrors


def hub_key(mirror):
    return (mirror.repo_type, mirror.repo_id, mirror.filename)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A vox-adv-cpk.pth.tar with random weights."""
    path = tmp_path_factory.mktemp("original") / "vox-adv-cpk.pth.tar"
    return save_original_checkpoint(original_checkpoint("vox-adv-256"), path)


def run(command, env: dict, sha: str = None, cwd=None, wait=True):
    """Runs ``fomm COMMAND...`` (a list) or Python code (a str) in a new process with ``env`` added; with ``sha``,
    the registry takes that as vox-adv-256's SHA-256 (the random checkpoint is not the original file)."""
    if not isinstance(command, str):
        command = f"import sys; from fomm_hf.cli import main; sys.exit(main({command!r}))"
    code = command
    if sha:
        code = (
            "import dataclasses; from fomm_hf.model_store import registry; registry.MODELS['vox-adv-256'] = "
            f"dataclasses.replace(registry.MODELS['vox-adv-256'], sha256={sha!r})\n" + code
        )
    inherited = {key: value for key, value in os.environ.items() if key != "FOMM_CACHE"}  # hf_home/fomm is used
    process = subprocess.Popen(
        [sys.executable, "-c", code], env={**inherited, **env}, cwd=cwd, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    if not wait:
        return process
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def animate_command(output: Path, frames: int = 2):
    return ["animate", "--model", "vox-adv-256", "--source", str(MEDIA / "astronaut.png"),
            "--driving", str(MEDIA / "carphone.mp4"), "--output", str(output), "--max-frames", str(frames)]


def offline(hf_home: Path) -> dict:
    return {"HF_HUB_OFFLINE": "1", "HF_HOME": str(hf_home)}


def same_caches(monkeypatch, hf_home: Path) -> None:
    """This process (offline, as every test) uses the caches that a process run with ``HF_HOME=hf_home`` and no
    $FOMM_CACHE uses: the Hub cache hf_home/hub and the converted models in hf_home/fomm."""
    monkeypatch.delenv("FOMM_CACHE", raising=False)
    monkeypatch.setattr(constants, "HF_HOME", str(hf_home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hf_home / "hub"))


def test_every_registered_model_is_complete():
    layouts = json.loads(LAYOUTS.read_text()) if LAYOUTS.exists() else {}
    for name, model in MODELS.items():
        assert model.name == name and model.category in CATEGORIES and model.licence
        config = yaml.safe_load(model.config.read_text())
        if model.is_original:
            assert model.checkpoint_name.endswith(".pth.tar") and model.mirrors
            for mirror in model.mirrors:
                assert mirror.repo_type in ("model", "space", "dataset")
                assert mirror.revision is None or re.fullmatch(r"[0-9a-f]{40}", mirror.revision)
            if layouts:  # the config is the one the original checkpoint was trained with
                assert config["model_params"] == layouts[name]["model_params"]
        else:
            assert (model.folder / "model_index.json").is_file()
    assert sorted(name for name, model in MODELS.items() if model.is_original) == sorted(
        ["vox-256", "vox-adv-256", "taichi-256", "taichi-adv-256", "mgif-256", "bair-256", "fashion-256", "nemo-256"]
    )


def test_fomm_models_answers_without_torch(tmp_path):
    result = run("import sys; from fomm_hf.cli import main; main(['models']); print('torch' in sys.modules)",
                 offline(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("False"), "fomm models imported torch"
    for name, model in MODELS.items():
        assert re.search(rf"^{re.escape(name)}\s+{model.category}\s", result.stdout, re.MULTILINE)


@needs(LAYOUTS)
@needs(MEDIA)
def test_a_download_killed_half_way_leaves_nothing_that_loads_then_the_name_downloads_converts_once_and_loads(
        tmp_path, checkpoint, monkeypatch, capsys):
    """A name's download killed half-way leaves nothing that loads: offline, one clear line. Online again, with
    ``fomm animate``: name -> download (huggingface_hub starts again, its partial files being per process; past a
    mirror that is gone and one with another file) -> convert -> load -> animate. Then
    ``FOMMPipeline.from_pretrained`` offline, with no download and no conversion."""
    hf_home, sha = tmp_path / "hf", sha256(checkpoint)
    hub = FakeHub({hub_key(THINPLATES): checkpoint}, stall_after=64 << 20)
    try:
        process = run(animate_command(tmp_path / "result.mp4"), hub.environment(hf_home), sha=sha, wait=False)
        deadline = time.monotonic() + 120
        while hub.bytes_sent < 64 << 20 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # let the client write what it received
        process.send_signal(signal.SIGKILL)
        process.communicate()
    finally:
        hub.close()
    assert hub.bytes_sent == 64 << 20
    assert list(hf_home.glob("hub/*/blobs/*.incomplete")), "the partial download should be where the Hub keeps it"
    assert not (hf_home / "fomm" / "vox-adv-256").exists() and not (tmp_path / "result.mp4").exists()

    # Offline, the partial file is not taken for the checkpoint: one clear line, naming the file and the command.
    with monkeypatch.context() as here:
        same_caches(here, hf_home)
        result = run_fomm_here(capsys, *animate_command(tmp_path / "result.mp4"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "vox-adv-cpk.pth.tar" in result.stderr and "HF_HUB_OFFLINE=1" in result.stderr
    assert "fomm convert --model vox-adv-256 --checkpoint" in result.stderr

    other_file = tmp_path / "other.pth.tar"
    other_file.write_bytes(b"not the checkpoint")
    hub = FakeHub({hub_key(MODEL_REPO): other_file, hub_key(THINPLATES): checkpoint})  # the Space's copy is gone
    try:
        result = run(animate_command(tmp_path / "result.mp4"), hub.environment(hf_home), sha=sha)
    finally:
        hub.close()
    assert result.returncode == 0, result.stderr
    assert hub.bytes_sent == other_file.stat().st_size + checkpoint.stat().st_size  # the whole file, again
    with open_video(tmp_path / "result.mp4") as video:  # the 256x256 face pasted back into the 512x512 portrait
        assert video.size == (512, 512) and len(list(video.frames())) == 2
    assert "Source: face found at" in result.stdout and "Driving video: the face was followed" in result.stdout
    asked = [path for method, path in hub.requests if method == "GET"]
    assert any("thinplatesv1" in path for path in asked) and any("ashpexx" in path for path in asked)
    assert "downloading its original checkpoint vox-adv-cpk.pth.tar (751 MB)" in result.stderr
    assert "converting vox-adv-cpk.pth.tar" in result.stderr

    converted = hf_home / "fomm" / "vox-adv-256"
    assert (converted / "model_index.json").is_file() and (converted / "discriminator").is_dir()
    assert "MCMLXXXVII/thinplatesv1" in json.loads((converted / "conversion.json").read_text())["source"]
    before = (converted.stat().st_ino, (converted / "model_index.json").stat().st_mtime_ns)

    same_caches(monkeypatch, hf_home)  # offline, in this process: no download, no conversion
    listing = run_fomm_here(capsys, "models")
    assert re.search(r"^vox-adv-256\s+face\s+751 MB\s+converted \(\d+ MB\)", listing.stdout, re.MULTILINE)

    pipe = FOMMPipeline.from_pretrained("vox-adv-256")
    pipe.set_progress_bar_config(disable=True)
    portrait = MEDIA / "astronaut.png"
    frames = pipe(portrait, [portrait], output_type="np").frames
    assert pipe.image_size == 256 and frames.shape == (1, 256, 256, 3)
    assert (converted.stat().st_ino, (converted / "model_index.json").stat().st_mtime_ns) == before, "converted again"


@needs(LAYOUTS)
def test_a_conversion_killed_half_way_leaves_nothing_that_loads(tmp_path, checkpoint, monkeypatch, capsys):
    cache = tmp_path / "fomm-cache"
    env = {**offline(tmp_path / "hf"), "FOMM_CACHE": str(cache)}
    command = ["convert", "--model", "vox-adv-256", "--checkpoint", str(checkpoint)]
    process = run(command, env, wait=False)
    deadline = time.monotonic() + 120
    while not list(cache.glob(".vox-adv-256-*")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert list(cache.glob(".vox-adv-256-*")), "the conversion was not caught while writing"
    assert not (cache / "vox-adv-256").exists()

    monkeypatch.setenv("FOMM_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(InvalidInputError, match="not converted here"):
        resolve_model("vox-adv-256")

    result = run_fomm_here(capsys, *command)  # converting again (in this process) clears what the killed one left
    assert result.returncode == 0, result.stderr
    assert "is not the file the registry knows" in result.stderr  # random weights: another SHA-256, converted still
    assert not list(cache.glob(".vox-adv-256-*")) and (cache / "vox-adv-256" / "model_index.json").is_file()
    assert resolve_model("vox-adv-256").folder == cache / "vox-adv-256"


def test_offline_with_nothing_cached_names_the_file_and_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("FOMM_CACHE", str(tmp_path / "fomm"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(InvalidInputError) as error:
        FOMMPipeline.from_pretrained("vox-256")
    message = str(error.value)
    assert "vox-cpk.pth.tar" in message and "HF_HUB_OFFLINE=1" in message
    assert "fomm convert --model vox-256 --checkpoint PATH/vox-cpk.pth.tar" in message
    with pytest.raises(InvalidInputError, match="did you mean 'vox-adv-256'"):
        resolve_model("vox-adv")


def test_without_network_the_download_fails_at_once_instead_of_retrying(tmp_path, monkeypatch):
    """Online, but the Hub cannot be reached (here: a closed port; on a machine without network, a name that
    does not resolve): huggingface_hub would try again five times, for about 25 s; the answer comes after one
    attempt to connect, the reachability check's."""
    monkeypatch.setenv("FOMM_CACHE", str(tmp_path / "fomm"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    port = closed_port()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    attempts = []
    connect = socket.socket.connect

    def counted_connect(sock, address):
        attempts.append(address)
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counted_connect)
    hub_is_reachable.cache_clear()
    try:
        with pytest.raises(InvalidInputError, match="cannot reach the Hub") as error:
            FOMMPipeline.from_pretrained("vox-256")
    finally:
        hub_is_reachable.cache_clear()
    assert attempts == [("127.0.0.1", port)]  # one reachability check, no download tried, nothing tried again
    assert "fomm convert --model vox-256 --checkpoint PATH/vox-cpk.pth.tar" in str(error.value)


def test_a_local_folder_named_like_a_registered_model_wins(tmp_path, monkeypatch, tiny_pipeline):
    tiny_pipeline.save_pretrained(tmp_path / "vox-adv-256")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOMM_CACHE", str(tmp_path / "fomm"))
    resolved = resolve_model("vox-adv-256")
    assert resolved.folder == Path("vox-adv-256") and resolved.registered is None
    assert FOMMPipeline.from_pretrained("vox-adv-256").image_size == 32
    assert resolve_model(None).registered == registered_model("procedural-faces-64")


def test_convert_by_name_refuses_unknown_names(tmp_path, capsys):
    result = run_fomm_here(capsys, "convert", "--model", "vox", "--checkpoint", tmp_path / "x.pth.tar")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "did you mean 'vox-256'" in result.stderr


def test_the_repository_configs_are_the_registered_ones():
    assert (REPO_ROOT / "configs" / "vox-adv-256.yaml").resolve() == VOX_ADV.config.resolve()
