import os

# Tests never reach the Hub: everything they load is generated here or shipped with the project.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.umask(0o022)  # the usual one: what the project writes must get the user's permissions (test_training, ...)

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from .helpers import TINY_GENERATOR, TINY_KP, fill_converted_cache  # noqa: E402


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



@pytest.fixture(scope="session")
def converted_cache(tmp_path_factory) -> Path:
    """A $FOMM_CACHE where vox-256, vox-adv-256 and nemo-256 are converted (see :func:`fill_converted_cache`)."""
    return fill_converted_cache(tmp_path_factory.mktemp("fomm-cache"))
