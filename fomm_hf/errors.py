"""Errors meant for the person using the tool: their message says what is wrong and what to do."""


class FOMMError(Exception):
    """Base class of the errors that the CLI and the app show as a message instead of a traceback."""


class InvalidInputError(FOMMError, ValueError):
    """An image, video or argument that cannot be used as given."""


class CheckpointError(FOMMError, ValueError):
    """A checkpoint or config that cannot be read, or that do not match each other."""
