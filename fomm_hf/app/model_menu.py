"""The models the app offers: a menu of names, never a box that loads whatever a visitor types.

The default model (:func:`fomm_hf.model_store.default_model`: $FOMM_MODEL, else vox-adv-256 on a Hugging Face
Space, else the bundled one) comes first, then those of ``AppSettings.models`` ($FOMM_APP_MODELS: registered
names, pipeline folders or Hub repo ids; by default the bundled model and the registry's face models). Each is
shown by a name, never a server path: a registered name or a repo id as it is, a folder by its own name. A model
that cannot be loaded here (it needs a download, and the Hub is offline or out of reach) is left out of the menu,
and the operator's log says why. The page and the ``/animate`` API take these names and refuse any other, unless
``AppSettings.allow_any_model`` ($FOMM_APP_ALLOW_ANY_MODEL=1).
"""

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from ..errors import InvalidInputError
from ..model_store import MODELS, ResolvedModel, default_model, registered_model
from ..model_store.resolution import MODEL_ENV_VAR, model_kind, why_unavailable

logger = logging.getLogger(__name__)

DEFAULT_OFFER = [name for name, model in MODELS.items() if model.category == "face" or not model.is_original]


@dataclass(frozen=True)
class MenuEntry:
    label: str  # what the page shows and the API takes
    model: Optional[str]  # the model argument it stands for (None: the default model)
    category: Optional[str]  # what it animates (registered models), else None


def menu_entry(model: Optional[str]) -> MenuEntry:
    """The entry for a model argument (None: the default model)."""
    name = model or default_model()
    folder = Path(name).expanduser()
    if folder.is_dir():
        registered = ResolvedModel(name, folder.resolve()).registered
        return MenuEntry(folder.resolve().name, model, registered.category if registered else None)
    registered = registered_model(name)
    return MenuEntry(name, model, registered.category if registered else None)


def check_offered(model: str, variable: str) -> None:
    """Raises InvalidInputError, naming the operator's ``variable``, where ``model`` cannot be a model: what
    :func:`~fomm_hf.model_store.resolution.model_kind` refuses, or a repository id without an owner. (A repository is
    not looked up: the Hub may be unreachable at start.)"""
    try:
        kind = model_kind(model)
    except InvalidInputError as error:
        raise InvalidInputError(f"${variable}: {error}") from None
    if kind == "hub" and "/" not in model:
        raise InvalidInputError(f"${variable}: {model!r} is not a folder here, nor a registered name, nor an "
                                "owner/name Hub repository id.")


class ModelMenu:
    def __init__(self, models: str = "", allow_any: bool = False):
        offered = [name.strip() for name in models.split(",") if name.strip()] or DEFAULT_OFFER
        if os.environ.get(MODEL_ENV_VAR):
            check_offered(os.environ[MODEL_ENV_VAR], MODEL_ENV_VAR)
        for model in offered:
            check_offered(model, "FOMM_APP_MODELS")
        self.entries: List[MenuEntry] = [menu_entry(None)]
        for model in offered:
            entry = menu_entry(model)
            if entry.label in self.labels:
                continue
            if reason := why_unavailable(model):
                logger.warning("The model menu leaves out %s: %s.", model, reason)
                continue
            self.entries.append(entry)
        self.allow_any = allow_any

    @property
    def labels(self) -> List[str]:
        return [entry.label for entry in self.entries]

    @property
    def default(self) -> MenuEntry:
        return self.entries[0]

    def choose(self, label: Optional[str]) -> MenuEntry:
        """The entry called ``label`` (empty: the default); raises InvalidInputError for a model not offered."""
        label = (label or "").strip()
        if not label:
            return self.default
        for entry in self.entries:
            if entry.label == label:
                return entry
        if self.allow_any:
            return menu_entry(label)
        raise InvalidInputError(f"This app does not offer that model. It offers: {', '.join(self.labels)}.")
