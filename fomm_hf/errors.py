"""Errors meant for the person using the tool: their message says what is wrong and what to do.

Commands report them, and mistakes in their arguments, as one line on standard error with exit status 2.
"""

import argparse


class FOMMError(Exception):
    """Base class of the errors that the CLI and the app show as a message instead of a traceback."""


class InvalidInputError(FOMMError, ValueError):
    """An image, video or argument that cannot be used as given."""


class CheckpointError(FOMMError, ValueError):
    """A checkpoint or config that cannot be read, or that do not match each other."""


class MissingExtraError(FOMMError, ImportError):
    """A feature that needs an optional extra (``pip install 'fomm_hf[EXTRA]'``) which is not installed."""


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are one line (``PROG: error: MESSAGE``) with exit status 2, like the
    commands' own errors, instead of the usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
