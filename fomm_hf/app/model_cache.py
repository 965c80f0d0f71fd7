"""The pipelines the app keeps loaded: the last few models used stay in memory."""

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, Optional

import torch

from ..errors import FOMMError
from ..model_store import resolve_model
from ..pipelines import FOMMPipeline
from .model_menu import MenuEntry

logger = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    name: str  # what to call it in the page: its menu label (no server path)
    pipe: FOMMPipeline


class ModelCache:
    """Pipelines keyed by menu entry, least recently used dropped first, on ``device``.

    Pipelines are shared by concurrent requests: they hold no per-request state, and build their inference
    engines once. A model is loaded once however many requests ask for it, and while it loads (a download and
    a conversion may take minutes) the models already loaded keep serving.
    """

    def __init__(self, capacity: int = 2, device: Optional[torch.device] = None):
        self.capacity = capacity
        self.device = device or torch.device("cpu")
        self._models: "OrderedDict[MenuEntry, LoadedModel]" = OrderedDict()
        self._lock = threading.Lock()  # guards _models and _loading, briefly
        self._loading: Dict[MenuEntry, threading.Lock] = {}  # held while that entry's model loads

    def get(self, entry: MenuEntry) -> LoadedModel:
        """The pipeline of ``entry``'s model; raises a FOMMError if it cannot be found or loaded (the reason is
        logged for the operator; the visitor is told the model is not available)."""
        with self._lock:
            loading = self._loading.setdefault(entry, threading.Lock())
        with loading:
            with self._lock:
                if entry in self._models:
                    self._models.move_to_end(entry)
                    return self._models[entry]
            try:
                pipe = FOMMPipeline.from_pretrained(resolve_model(entry.model)).to(self.device)
            except FOMMError as error:
                logger.error("The model %s cannot be loaded: %s", entry.label, error)
                raise FOMMError(f"The model {entry.label} is not available on this server now (its operator's log "
                                "says why): choose another model.") from None
            with self._lock:
                self._models[entry] = LoadedModel(entry.label, pipe)
                if len(self._models) > self.capacity:
                    self._models.popitem(last=False)
                return self._models[entry]
