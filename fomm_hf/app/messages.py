"""Showing the errors a person can act on in the page, and to API clients, while the app stays up."""

import contextlib
from pathlib import Path

import gradio as gr

from ..errors import FOMMError


def without_server_paths(message: str, uploads=()) -> str:
    """``message`` with the server paths of ``uploads`` replaced by their file names."""
    for upload in filter(None, uploads):
        message = message.replace(str(upload), Path(upload).name)
    return message


@contextlib.contextmanager
def shown_to_user(uploads=()):
    """Turns :class:`FOMMError` (bad inputs, models that cannot be loaded) into ``gr.Error``, whose message Gradio
    shows in the page and sends to API clients. The server paths of ``uploads`` become their file names."""
    try:
        yield
    except FOMMError as error:
        raise gr.Error(without_server_paths(str(error), uploads), print_exception=False) from None
