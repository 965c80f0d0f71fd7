"""Showing the errors a person can act on in the page, and to API clients, while the app stays up."""

import contextlib
import re
from pathlib import PurePosixPath

import gradio as gr

from ..errors import FOMMError

# An absolute path: "/" not part of a word, a URL or a relative path, then names separated by "/".
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s/'\"]+/)*[^\s/'\",;:)]+")


def without_server_paths(message: str) -> str:
    """``message`` with each absolute path (of an upload, a model, a cache) replaced by its last name."""
    return ABSOLUTE_PATH.sub(lambda path: PurePosixPath(path[0]).name, message)


@contextlib.contextmanager
def shown_to_user():
    """Turns :class:`FOMMError` (bad inputs, models that cannot be loaded) into ``gr.Error``, whose message Gradio
    shows in the page and sends to API clients, without server paths."""
    try:
        yield
    except FOMMError as error:
        raise gr.Error(without_server_paths(str(error)), print_exception=False) from None
