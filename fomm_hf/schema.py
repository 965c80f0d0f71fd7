"""Reading typed configuration from yaml mappings, strictly.

A section of a config file is a dataclass; :func:`from_mapping` builds it from the mapping that yaml gives,
checks each value against the field's type (``int``, ``float``, ``bool``, ``str``, ``Optional``, lists and
tuples of these, nested dataclasses) and refuses unknown keys with a message that names the key, where it
was found and the closest valid key. Defaults live in the dataclasses, once.
"""

import dataclasses
import difflib
import typing
from typing import Any, Iterable, Mapping

from .errors import InvalidInputError


def closest_key(key: str, valid: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the valid key closest to ``key``, or "" if none is close."""
    match = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def check_keys(mapping: Mapping, valid: Iterable[str], where: str) -> None:
    """Raises InvalidInputError naming the first key of ``mapping`` that is not in ``valid``."""
    valid = list(valid)
    for key in mapping:
        if key not in valid:
            raise InvalidInputError(
                f"{where}: unknown key {key!r}{closest_key(key, valid)}; valid keys: {', '.join(valid)}."
            )


def as_mapping(value, where: str) -> dict:
    """``value`` if it is a mapping (an empty one for None, which is what yaml gives for an empty section)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{where} must be a mapping of keys to values; got {type(value).__name__} {value!r}.")
    return dict(value)


def from_mapping(cls, value, where: str):
    """An instance of the dataclass ``cls`` from a yaml mapping; ``where`` names it in messages."""
    mapping = as_mapping(value, where)
    fields = {field.name: field for field in dataclasses.fields(cls) if field.init}
    check_keys(mapping, fields, where)
    hints = typing.get_type_hints(cls)
    return cls(**{key: convert(hints[key], item, f"{where}.{key}") for key, item in mapping.items()})


def convert(annotation, value, where: str) -> Any:
    """``value`` checked against (and, for numbers and sequences, converted to) ``annotation``."""
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        if value is None and type(None) in arguments:
            return None
        options = [argument for argument in arguments if argument is not type(None)]
        if len(options) == 1:
            return convert(options[0], value, where)
    if dataclasses.is_dataclass(annotation):
        return from_mapping(annotation, value, where)
    if origin in (list, tuple) and isinstance(value, (list, tuple)):
        item_type = arguments[0] if arguments else Any
        items = [convert(item_type, item, f"{where}[{index}]") for index, item in enumerate(value)]
        if origin is tuple and arguments and arguments[-1] is not Ellipsis:
            if len(items) != len(arguments):
                raise InvalidInputError(f"{where} must have {len(arguments)} values; got {value!r}.")
        return origin(items)
    if origin is dict and isinstance(value, Mapping):
        return dict(value)
    if annotation is Any:
        return value
    if annotation is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if annotation is float and isinstance(value, str):  # yaml reads 2e-4 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if annotation in (int, bool, str) and type(value) is annotation:
        return value
    raise InvalidInputError(f"{where} must be {describe(annotation)}; got {type(value).__name__} {value!r}.")


def describe(annotation) -> str:
    """A type as a message names it: "a list of float", "int or null", ..."""
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        return " or ".join("null" if argument is type(None) else describe(argument) for argument in arguments)
    if origin in (list, tuple):
        if origin is tuple and arguments and arguments[-1] is not Ellipsis:
            return f"a list of {len(arguments)} {describe(arguments[0])}"
        return f"a list of {describe(arguments[0])}" if arguments else "a list"
    if dataclasses.is_dataclass(annotation) or origin is dict:
        return "a mapping"
    return getattr(annotation, "__name__", str(annotation))
