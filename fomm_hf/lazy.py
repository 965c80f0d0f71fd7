"""Packages whose names are imported from their modules on first use (PEP 562), so that importing them is cheap."""

import importlib
import sys
from typing import Callable, Dict, Tuple


def lazy_exports(package: str, exports: Dict[str, str]) -> Tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package``, which exports ``exports`` (name -> defining module).

    In the package's ``__init__``: ``__getattr__, __dir__ = lazy_exports(__name__, {"Name": "package.module"})``.
    """

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        setattr(sys.modules[package], name, value)  # later lookups find it without this function
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
