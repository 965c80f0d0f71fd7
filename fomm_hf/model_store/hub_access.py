"""Whether the Hugging Face Hub can be reached, found out in at most a few seconds.

``huggingface_hub`` retries a request that cannot connect five times, with growing pauses, before a machine
without network learns that a file it does not have cannot be downloaded (docs/models.md gives the time).
Callers that have looked in the local cache first ask :func:`hub_is_reachable` before downloading, and say at
once what to do instead.
Commands that upload their result ask :func:`check_hub_upload` before their work, not after it.
"""

import functools
import os
import socket
from urllib.parse import urlparse

from ..errors import InvalidInputError

CONNECT_SECONDS = 3.0
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@functools.cache
def hub_is_reachable() -> bool:
    """Whether a connection to the Hub's endpoint (``HF_ENDPOINT``, by default https://huggingface.co) opens
    within ``CONNECT_SECONDS``; asked once per process. Behind a proxy (``HTTPS_PROXY`` and the like) the
    endpoint is not reached directly, and the answer is yes: the download itself will tell."""
    from huggingface_hub import constants

    if any(os.environ.get(name) for name in PROXY_VARIABLES):
        return True
    endpoint = urlparse(constants.ENDPOINT)
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        socket.create_connection((endpoint.hostname, port), timeout=CONNECT_SECONDS).close()
    except OSError:  # the name does not resolve, the connection is refused or times out
        return False
    return True


def check_hub_upload(repo_id: str) -> None:
    """Raises InvalidInputError, in one line that says what to do, where uploading to the Hub repository
    ``repo_id`` cannot work: not a repository id, the Hub switched off (``HF_HUB_OFFLINE``), no token, or the Hub
    not reachable."""
    from huggingface_hub import constants, get_token
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise InvalidInputError(f"{repo_id!r} is not a Hub repository id (owner/name) to upload to.") from None
    cannot = f"Cannot upload to the Hub repository {repo_id}:"
    if constants.HF_HUB_OFFLINE:
        raise InvalidInputError(f"{cannot} the Hub is switched off here (HF_HUB_OFFLINE is set).")
    if get_token() is None:
        raise InvalidInputError(f"{cannot} no Hub token; log in with `hf auth login`, or set HF_TOKEN.")
    if not hub_is_reachable():
        raise InvalidInputError(f"{cannot} the Hub at {constants.ENDPOINT} cannot be reached from here.")
