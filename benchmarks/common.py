"""What the benchmarks share: where the repository and the shared media are, and the vox-256 architecture with
random weights (no trained 256x256 model can be downloaded on the project's machines; speed does not depend on
the weights)."""

import os
from pathlib import Path
from typing import Optional

import torch

from fomm_hf import FOMMPipeline
from fomm_hf.models import ModelConfig

REPO = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("FOMM_SHARED_DIR", REPO.parent / "shared")) / "media"


def vox_256_random(seed: int = 0, category: Optional[str] = None) -> FOMMPipeline:
    """The vox-256 architecture (configs/vox-256.yaml) with random weights and non-trivial BatchNorm statistics."""
    torch.manual_seed(seed)
    config = ModelConfig.from_yaml(REPO / "configs" / "vox-256.yaml")
    kp_detector, generator = config.build_kp_detector(), config.build_generator()
    with torch.no_grad():
        for model in (kp_detector, generator):
            for name, buffer in model.named_buffers():
                if name.endswith("running_var"):
                    buffer.uniform_(0.5, 2.0)
                elif name.endswith("running_mean"):
                    buffer.uniform_(-0.2, 0.2)
    pipe = FOMMPipeline(kp_detector.eval(), generator.eval(), config.image_size, category=category)
    pipe.set_progress_bar_config(disable=True)
    return pipe
