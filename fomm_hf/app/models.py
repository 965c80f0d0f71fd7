"""Loading models for the app: the animation engines of the last few (model, fast) pairs used stay in memory."""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

from ..animation import AnimationEngine
from ..pipelines import load_pipeline


@dataclass
class LoadedModel:
    name: str  # the folder or Hub repo id it was loaded from
    image_size: int
    engine: AnimationEngine


class ModelCache:
    """Engines keyed by (model, fast), least recently used dropped first.

    ``model`` is a pipeline folder or Hub repo id; None is the default model of :func:`load_pipeline`. Only the
    engine's inference copies of the networks are kept, not the pipeline they were made from. Engines are shared
    by concurrent requests: they hold no per-request state.
    """

    def __init__(self, capacity: int = 2, batch_size: int = 4):
        self.capacity = capacity
        self.batch_size = batch_size
        self._models: "OrderedDict[tuple, LoadedModel]" = OrderedDict()
        self._lock = threading.Lock()  # one load at a time; concurrent requests for a model wait for its load

    def get(self, model: Optional[str], fast: bool) -> LoadedModel:
        """The engine for ``model``; raises CheckpointError if it cannot be loaded."""
        key = (model, fast)
        with self._lock:
            if key not in self._models:
                pipe = load_pipeline(model)
                engine = AnimationEngine(pipe.kp_detector, pipe.generator, fast=fast, batch_size=self.batch_size)
                self._models[key] = LoadedModel(pipe.name_or_path, pipe.image_size, engine)
                if len(self._models) > self.capacity:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            return self._models[key]
