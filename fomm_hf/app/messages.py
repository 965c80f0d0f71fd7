"""Showing the errors a person can act on in the page, and to API clients, while the app stays up."""

import contextlib
import functools
import re
from pathlib import PurePosixPath

import gradio as gr
import PIL.Image

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
        raise user_error(str(error)) from None


def user_error(message: str) -> gr.Error:
    """The error to raise for ``message``: shown without server paths, and in the page until it is closed (a toast
    that faded away would leave the page with no word of what went wrong)."""
    return gr.Error(without_server_paths(message), duration=None, print_exception=False)


def refusing_unreadable_images(preprocess):
    """An image component's ``preprocess``, where a file that is not an image (Gradio opens it before the app's
    code runs) becomes a message instead of a generic "the app raised an exception"."""

    @functools.wraps(preprocess)
    def checked(payload):
        try:
            return preprocess(payload)
        except (PIL.UnidentifiedImageError, OSError, ValueError):
            name = getattr(payload, "orig_name", None) or "The file"
            raise user_error(f"{name} is not an image this app can read: upload a png, jpg or webp picture.") from None

    return checked
