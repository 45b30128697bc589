"""moto's server in this process (as the demo runs it), emptied before and after: it shares this process's state."""
from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from portal.local_aws import Exchange, MotoServer


@contextmanager
def running_moto(watchers: list[Callable[[Exchange], None]] | None = None) -> Iterator[str]:
    """Yields the server's endpoint URL; `watchers` (a list the caller may still fill) see each exchange."""
    server = MotoServer("127.0.0.1", 0)
    if watchers is not None:
        server.watchers = watchers
    server.start()
    endpoint = f"http://127.0.0.1:{server.port}"
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset)  # noqa: S310
    try:
        yield endpoint
    finally:
        urllib.request.urlopen(reset)  # noqa: S310
        server.stop()
