"""moto's server in this process (as the demo runs it), emptied before and after: it shares this process's state."""
from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from portal.local_aws import MotoServer


@contextmanager
def running_moto() -> Iterator[str]:
    """Yields the server's endpoint URL."""
    server = MotoServer("127.0.0.1", 0)
    server.start()
    endpoint = f"http://127.0.0.1:{server.port}"
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset)  # noqa: S310
    try:
        yield endpoint
    finally:
        urllib.request.urlopen(reset)  # noqa: S310
        server.stop()
