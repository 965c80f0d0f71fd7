import atexit
import os
import shutil
import tempfile

# Tests never reach the Hub: everything they load is generated here or shipped with the project.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# What the package caches (converted models, exported graphs) goes to a folder of the test run, never the user's.
os.environ["FOMM_CACHE"] = tempfile.mkdtemp(prefix="fomm-tests-cache-")
atexit.register(shutil.rmtree, os.environ["FOMM_CACHE"], ignore_errors=True)
os.umask(0o022)  # the usual one: what the project writes must get the user's permissions (test_training, ...)

from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from .helpers import EXAMPLES, TINY_GENERATOR, TINY_KP, fill_converted_cache, reference_animation  # noqa: E402

REQUIRE_ALL = os.environ.get("FOMM_TESTS_REQUIRE_ALL") == "1"  # set by .ci/run: a missing requirement fails


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A test marked ``needs(path, ...)`` (helpers.needs) is skipped where a path is missing, and fails instead in
    CI, where nothing may be missing."""
    for marker in item.iter_markers("needs"):
        for path in marker.args:
            if not Path(path).exists():
                message = f"{path} is missing (shared test data or a program the tests need)"
                if REQUIRE_ALL:
                    pytest.fail(f"{message}: FOMM_TESTS_REQUIRE_ALL=1 (CI) requires it", pytrace=False)
                pytest.skip(message)


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


@pytest.fixture(scope="session")
def bundled():
    """The bundled demo model, loaded once: its frames depend on what drives it (content checks use it, where the
    random tiny model's hardly do)."""
    from fomm_hf import FOMMPipeline

    pipe = FOMMPipeline.from_pretrained()
    pipe.set_progress_bar_config(disable=True)
    return pipe


@dataclass(frozen=True)
class Example:
    source_path: Path
    driving_path: Path
    source: torch.Tensor  # (1, 3, 64, 64) float in [0, 1]: the source as the bundled model sees it
    driving: torch.Tensor  # (64, 3, 64, 64): the driving frames as it sees them (centre square, resized)
    expected: torch.Tensor  # (64, 3, 64, 64): their animation by helpers.reference_animation, relative motion


@pytest.fixture(scope="session")
def bundled_example(bundled) -> Example:
    """The bundled example (examples/cartoon-face) animated by the bundled model without its engines."""
    from fomm_hf.images import prepare_images
    from fomm_hf.video import open_video

    source_path, driving_path = EXAMPLES / "cartoon-face" / "face.png", EXAMPLES / "cartoon-face" / "driving.mp4"
    source = bundled.prepare_source(source_path)
    with open_video(driving_path) as video:
        driving = prepare_images(np.stack(list(video.frames())), bundled.image_size)
    return Example(source_path, driving_path, source, driving, reference_animation(bundled, source, driving))
