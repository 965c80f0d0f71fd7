import os

# Tests never reach the Hub: everything they load is generated here or shipped with the project.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.umask(0o022)  # the usual one: what the project writes must get the user's permissions (test_training, ...)

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOMM_SHARED_DIR", REPO_ROOT.parent / "shared"))
REFERENCE = SHARED / "reference" / "original-tiny"
MEDIA = SHARED / "media"

TINY_KP = dict(num_kp=4, block_expansion=4, max_features=16, num_blocks=2, scale_factor=0.5)
TINY_GENERATOR = dict(
    num_kp=4,
    block_expansion=4,
    max_features=16,
    num_down_blocks=2,
    num_bottleneck_blocks=1,
    dense_motion_params=dict(block_expansion=4, max_features=16, num_blocks=2, scale_factor=0.5),
)


def modes_under(folder: Path) -> dict:
    """The permission bits of the folders and files under ``folder`` (itself included)."""
    paths = [folder, *folder.rglob("*")]
    return {"folders": {p.stat().st_mode & 0o777 for p in paths if p.is_dir()},
            "files": {p.stat().st_mode & 0o777 for p in paths if p.is_file()}}


def needs(path: Path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is not available (shared test data)")


@pytest.fixture
def tiny_pipeline():
    """A small random-weight pipeline at 32x32 in eval mode, with non-trivial BatchNorm statistics."""
    from fomm_hf import FOMMPipeline, KeypointDetector, OcclusionAwareGenerator

    torch.manual_seed(0)
    kp_detector = KeypointDetector(**TINY_KP)
    generator = OcclusionAwareGenerator(**TINY_GENERATOR)
    with torch.no_grad():
        for module in (kp_detector, generator):
            for name, buffer in module.named_buffers():
                if name.endswith("running_mean"):
                    buffer.uniform_(-0.1, 0.1)
                elif name.endswith("running_var"):
                    buffer.uniform_(0.5, 1.5)
    pipe = FOMMPipeline(kp_detector.eval(), generator.eval(), image_size=32)
    pipe.set_progress_bar_config(disable=True)
    return pipe
