"""The local stack's HTTP servers (moto, the API, the site) each run on a daemon thread the same way."""
from __future__ import annotations

import threading
from typing import Any

# socketserver listens with a backlog of 5: a burst of requests (a page load, a script, a test) would
# find the queue full and wait for SYN retransmits (seconds), or give up.
BACKLOG = 128


class BackgroundServer:
    """Serves on a thread once started; `port` is the bound one (0 picks a free port)."""

    def __init__(self, server: Any, name: str) -> None:
        server.socket.listen(BACKLOG)  # listening again only changes the backlog
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
