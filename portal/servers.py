"""The local stack's HTTP servers (moto, the API, the site) each run on a daemon thread the same way."""
from __future__ import annotations

import threading
from typing import Any


class BackgroundServer:
    """Serves on a thread once started; `port` is the bound one (0 picks a free port)."""

    def __init__(self, server: Any, name: str) -> None:
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
