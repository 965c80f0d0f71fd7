"""The pipelines the app keeps loaded: the last few models used stay in memory."""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

from ..pipelines import FOMMPipeline, load_pipeline, resolve_model


@dataclass
class LoadedModel:
    name: str  # what to call it in the page: a Hub repo id, or a local folder's own name (no server path)
    pipe: FOMMPipeline


class ModelCache:
    """Pipelines keyed by model name, least recently used dropped first.

    ``model`` is a pipeline folder or Hub repo id; None is the default model (``$FOMM_MODEL``, else the bundled
    one). Pipelines are shared by concurrent requests: they hold no per-request state, and build their
    inference engines once.
    """

    def __init__(self, capacity: int = 2):
        self.capacity = capacity
        self._models: "OrderedDict[Optional[str], LoadedModel]" = OrderedDict()
        self._lock = threading.Lock()  # one load at a time; concurrent requests for a model wait for its load

    def get(self, model: Optional[str]) -> LoadedModel:
        """The pipeline of ``model``; raises a FOMMError if it cannot be found or loaded."""
        with self._lock:
            if model not in self._models:
                resolved = resolve_model(model)
                pipe = load_pipeline(resolved)
                self._models[model] = LoadedModel(resolved.display_name, pipe)
                if len(self._models) > self.capacity:
                    self._models.popitem(last=False)
            self._models.move_to_end(model)
            return self._models[model]
