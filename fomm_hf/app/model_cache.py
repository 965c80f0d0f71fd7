"""The pipelines the app keeps loaded: the last few models used stay in memory."""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

import torch

from ..pipelines import FOMMPipeline, load_pipeline, resolve_model
from .model_menu import MenuEntry


@dataclass
class LoadedModel:
    name: str  # what to call it in the page: its menu label (no server path)
    pipe: FOMMPipeline


class ModelCache:
    """Pipelines keyed by menu entry, least recently used dropped first, on ``device``.

    Pipelines are shared by concurrent requests: they hold no per-request state, and build their inference
    engines once.
    """

    def __init__(self, capacity: int = 2, device: Optional[torch.device] = None):
        self.capacity = capacity
        self.device = device or torch.device("cpu")
        self._models: "OrderedDict[MenuEntry, LoadedModel]" = OrderedDict()
        self._lock = threading.Lock()  # one load at a time; concurrent requests for a model wait for its load

    def get(self, entry: MenuEntry) -> LoadedModel:
        """The pipeline of ``entry``'s model; raises a FOMMError if it cannot be found or loaded."""
        with self._lock:
            if entry not in self._models:
                pipe = load_pipeline(resolve_model(entry.model)).to(self.device)
                self._models[entry] = LoadedModel(entry.label, pipe)
                if len(self._models) > self.capacity:
                    self._models.popitem(last=False)
            self._models.move_to_end(entry)
            return self._models[entry]
