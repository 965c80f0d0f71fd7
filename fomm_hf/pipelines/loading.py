"""Loading pipelines by name, with messages a person can act on."""

import os
from pathlib import Path
from typing import Optional

from ..errors import CheckpointError
from .pipeline_fomm import BUNDLED_MODEL, FOMMPipeline

MODEL_ENV_VAR = "FOMM_MODEL"


def load_pipeline(model: Optional[str] = None, **kwargs) -> FOMMPipeline:
    """``FOMMPipeline.from_pretrained(model)``; without a model, the one named by $FOMM_MODEL, else the
    bundled demo model."""
    model = model or os.environ.get(MODEL_ENV_VAR) or str(BUNDLED_MODEL)
    try:
        return FOMMPipeline.from_pretrained(model, **kwargs)
    except (OSError, ValueError, KeyError) as error:
        where = "folder" if Path(model).exists() else "Hub repository (or local folder)"
        offline = " Hub access is disabled (HF_HUB_OFFLINE=1)." if os.environ.get("HF_HUB_OFFLINE") == "1" else ""
        raise CheckpointError(f"Cannot load a FOMM pipeline from the {where} {model!r}: {error}{offline}") from None
