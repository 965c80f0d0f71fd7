"""Loading pipelines by name, with messages a person can act on."""

import os
from pathlib import Path
from typing import Optional

from ..errors import CheckpointError
from .pipeline_fomm import FOMMPipeline

MODEL_ENV_VAR = "FOMM_MODEL"


def load_pipeline(model: Optional[str] = None, **kwargs) -> FOMMPipeline:
    """``FOMMPipeline.from_pretrained(model)``; without a model, the one named by $FOMM_MODEL."""
    model = model or os.environ.get(MODEL_ENV_VAR)
    if not model:
        raise CheckpointError(
            f"No model given: pass a pipeline folder or Hub repo id (--model), or set ${MODEL_ENV_VAR}. "
            "Convert an original checkpoint with `fomm convert`."
        )
    try:
        return FOMMPipeline.from_pretrained(model, **kwargs)
    except (OSError, ValueError, KeyError) as error:
        where = "folder" if Path(model).exists() else "Hub repository (or local folder)"
        offline = " Hub access is disabled (HF_HUB_OFFLINE=1)." if os.environ.get("HF_HUB_OFFLINE") == "1" else ""
        raise CheckpointError(f"Cannot load a FOMM pipeline from the {where} {model!r}: {error}{offline}") from None
