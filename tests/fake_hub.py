"""A local stand-in for the Hugging Face Hub's file server, and original checkpoints with random weights.

The Hub's servers cannot be reached from the test machines, so :class:`FakeHub` answers the two requests
``huggingface_hub.hf_hub_download`` makes (``HEAD`` for the metadata, ``GET`` with an optional ``Range`` for the
bytes) and the two ``snapshot_download`` adds (the repository's information and its file tree) on
``127.0.0.1``; processes started with :meth:`FakeHub.environment` download from it with the real
``huggingface_hub`` code (cache layout, partial files, resumption, progress bars). Nothing else is faked.
"""

import functools
import hashlib
import http.server
import json
import math
import re
import socket
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple

import torch

from fomm_hf.conversion.original import DERIVED_KERNELS
from fomm_hf.models import ModelConfig

from .helpers import SHARED

LAYOUTS = SHARED / "reference" / "original-checkpoint-layouts.json"
COMMIT = "0123456789abcdef0123456789abcdef01234567"  # the commit every fake repository is at


class FakeHub:
    """Serves ``files``: {(repo_type, repo_id, filename): path}, at any revision.

    ``stall_after``: stop sending (and hold the connection) after this many bytes of a file, as a download
    that is interrupted would. ``bytes_sent`` and ``requests`` say what was asked and given.
    """

    def __init__(self, files: Dict[Tuple[str, str, str], Path], stall_after: Optional[int] = None):
        self.files = {key: Path(path) for key, path in files.items()}
        self.stall_after = stall_after
        self.bytes_sent = 0
        self.requests = []
        self._release = threading.Event()
        self._hashes = {key: sha256(path) for key, path in self.files.items()}
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self):
                hub.answer(self, send_body=False)

            def do_GET(self):
                hub.answer(self, send_body=True)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def environment(self, hf_home: Path) -> Dict[str, str]:
        """Environment variables for a process that downloads from this fake Hub into ``hf_home``."""
        return {"HF_ENDPOINT": self.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(hf_home), "HF_HUB_DISABLE_XET": "1"}

    def answer(self, request: http.server.BaseHTTPRequestHandler, send_body: bool) -> None:
        self.requests.append((request.command, request.path))
        if request.path.startswith("/api/models/"):
            return self.answer_api(request)
        match = re.fullmatch(r"/(?:(spaces|datasets)/)?(.+?)/resolve/([^/]+)/(.+)", request.path)
        key = match and ({"spaces": "space", "datasets": "dataset"}.get(match[1], "model"), match[2], match[4])
        if key not in self.files:
            request.send_response(404)
            request.send_header("X-Error-Code", "EntryNotFound")
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        data = self.files[key].read_bytes() if send_body else b""
        size = self.files[key].stat().st_size
        start = 0
        if send_body and (ranged := re.fullmatch(r"bytes=(\d+)-", request.headers.get("Range", ""))):
            start = int(ranged[1])
        request.send_response(206 if start else 200)
        request.send_header("X-Repo-Commit", COMMIT)
        request.send_header("ETag", f'"{self._hashes[key]}"')
        request.send_header("Content-Length", str(size - start))
        request.end_headers()
        if not send_body:
            return
        end = size if self.stall_after is None else max(start, min(size, self.stall_after))
        for offset in range(start, end, 1 << 20):
            chunk = data[offset : min(end, offset + (1 << 20))]
            request.wfile.write(chunk)
            self.bytes_sent += len(chunk)
        if end < size:
            request.wfile.flush()
            self._release.wait()  # hold the connection open, sending nothing

    def answer_api(self, request: http.server.BaseHTTPRequestHandler) -> None:
        """A model repository's information (``/api/models/<repo>[/revision/<rev>]``: its commit and files) or
        its file tree (``/api/models/<repo>/tree/<rev>``), as JSON."""
        match = re.fullmatch(r"/api/models/([^/]+/[^/?]+)(/revision/[^/?]+|/tree/[^?]+)?(\?.*)?", request.path)
        files = {name: path for (kind, repo, name), path in self.files.items() if match and kind == "model"
                 and repo == match[1]}
        if not files:
            request.send_response(404)
            request.send_header("X-Error-Code", "RepoNotFound")
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        if (match[2] or "").startswith("/tree/"):
            answer = [{"type": "file", "path": name, "size": path.stat().st_size, "oid": self._hashes[("model",
                       match[1], name)][:40]} for name, path in sorted(files.items())]
        else:
            answer = {"id": match[1], "sha": COMMIT, "siblings": [{"rfilename": name} for name in sorted(files)]}
        body = json.dumps(answer).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


def sha256(path: Path) -> str:
    """The file's SHA-256, read once for each version of it (a fake Hub and a test may both ask)."""
    status = Path(path).stat()
    return _sha256(str(Path(path).resolve()), status.st_ino, status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256(path: str, inode: int, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def original_checkpoint(name: str, seed: int = 0, models: Optional[dict] = None) -> dict:
    """A checkpoint with the exact layout of the original ``name`` (keys, shapes, optimizer entries, epoch) and
    random weights of a sensible scale, so that the networks give finite, varied outputs. ``models``: the
    kp_detector, generator and discriminator of the layout's config, built already (their buffers are read)."""
    layout = json.loads(LAYOUTS.read_text())[name]
    if models is None:
        config = ModelConfig.from_dict({"model_params": layout["model_params"]}, f"the {name} layout")
        models = {"kp_detector": config.build_kp_detector(), "generator": config.build_generator()}
        models["discriminator"] = config.build_discriminator()
    generator = torch.Generator().manual_seed(seed)
    checkpoint = {}
    for part, shapes in layout.items():
        if part == "model_params":
            continue
        buffers = dict(models[part].named_buffers())
        state = {}
        for key, shape in shapes.items():
            if key in DERIVED_KERNELS[part]:  # the anti-aliasing kernel, which the converter checks
                state[key] = buffers[DERIVED_KERNELS[part][key]].clone()
            elif key.endswith("num_batches_tracked"):
                state[key] = torch.tensor(1000)
            elif key == "jacobian.bias":  # the identity, as the original initialises it
                state[key] = torch.tensor([1.0, 0.0, 0.0, 1.0]).repeat(shape[0] // 4)
            elif key.endswith("running_var") or (key.endswith(".weight") and len(shape) == 1):
                state[key] = torch.ones(shape)
            elif key.endswith(("running_mean", ".bias")):
                state[key] = torch.zeros(shape)
            elif key.endswith(("weight_u", "weight_v")):
                state[key] = torch.nn.functional.normalize(torch.randn(shape, generator=generator), dim=0)
            else:  # convolution weights, scaled to keep activations of unit size (small for the Jacobians)
                scale = 0.01 if key == "jacobian.weight" else math.sqrt(2.0 / math.prod(shape[1:]))
                state[key] = torch.randn(shape, generator=generator) * scale
        checkpoint[part] = state
        checkpoint[f"optimizer_{part}"] = {
            "state": {},
            "param_groups": [{"lr": 2e-4, "betas": (0.5, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                              "params": list(range(len(state)))}],
        }
    checkpoint["epoch"] = 99
    return checkpoint


def save_original_checkpoint(checkpoint: dict, path: Path) -> Path:
    """Saves as the original code did (torch 1.0: the legacy, non-zip format)."""
    torch.save(checkpoint, path, _use_new_zipfile_serialization=False)
    return path


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens (it was free a moment ago): a Hub that cannot be reached."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
