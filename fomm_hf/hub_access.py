"""Whether the Hugging Face Hub can be reached, found out in at most a few seconds.

``huggingface_hub`` retries a request that cannot connect five times, with growing pauses: about 25 s before
a machine without network learns that a file it does not have cannot be downloaded. Callers that have looked in
the local cache first ask :func:`hub_is_reachable` before downloading, and say at once what to do instead.
"""

import functools
import os
import socket
from urllib.parse import urlparse

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
