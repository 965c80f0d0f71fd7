"""Reading and checking option values, one way for the command line, the training arguments and the app's settings.

:func:`parse_yes_no` reads a yes/no value typed by a person; :func:`check_range` refuses a number out of range
with a message naming the option; :func:`number_argument` makes both an argparse ``type``.
"""

import argparse
from typing import Callable

from .errors import InvalidInputError

YES = ("1", "true", "yes", "on")
NO = ("0", "false", "no", "off")


def parse_yes_no(text: str) -> bool:
    """True for 1, true, yes or on; False for 0, false, no or off (any case, spaces around ignored)."""
    word = text.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise InvalidInputError(f"expected yes or no ({'/'.join(YES)} or {'/'.join(NO)}); got {text!r}")


def bounds(minimum=None, below=None) -> str:
    """The range a value must be in, in words: "at least 1", "in [0, 1)", "under 5"."""
    if minimum is not None and below is not None:
        return f"in [{minimum:g}, {below:g})"
    return f"at least {minimum}" if minimum is not None else f"under {below}"


def within(value, minimum=None, below=None) -> bool:
    return (minimum is None or value >= minimum) and (below is None or value < below)


def check_range(name: str, value, minimum=None, below=None) -> None:
    """Raises InvalidInputError, naming the option ``name``, where ``value`` is under ``minimum`` or not under
    ``below`` (either None: no such bound)."""
    if not within(value, minimum, below):
        raise InvalidInputError(f"{name} must be {bounds(minimum, below)}; got {value}.")


def check_whole_number(name: str, value, minimum=None) -> None:
    """Raises InvalidInputError, naming ``name``, where ``value`` is not an integer (numpy's too) of at least
    ``minimum``: a Python caller's argument."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInputError(f"{name} must be an integer; got {value!r}.")
    check_range(name, value, minimum)


def number_argument(kind: Callable = int, minimum=None, below=None) -> Callable[[str], object]:
    """An argparse ``type``: a number of ``kind`` (int or float) within :func:`check_range`'s bounds."""
    what = "a whole number" if kind is int else "a number"
    if minimum is not None or below is not None:
        what += f" ({bounds(minimum, below)})"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not within(value, minimum, below):
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in some of its messages
    return parse


def yes_no_argument(text: str) -> bool:
    """An argparse ``type``: :func:`parse_yes_no`."""
    try:
        return parse_yes_no(text)
    except InvalidInputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
