"""The Chalice app behind chalice's own local server, as `chalice local` runs it, on a thread."""
from __future__ import annotations

import threading
from pathlib import Path

from chalice.config import Config
from chalice.local import create_local_server

from app import app

PROJECT_DIR = Path(__file__).resolve().parent.parent


class ApiServer:
    """Serves the app on host:port once started; `port` is the bound one (0 picks a free port)."""

    def __init__(self, host: str, port: int) -> None:
        config = Config.create(chalice_stage="dev", app_name=app.app_name, chalice_app=app,
                               project_dir=str(PROJECT_DIR))
        self._local = create_local_server(app, config, host, port)
        self._thread = threading.Thread(target=self._local.server.serve_forever, name="api", daemon=True)

    @property
    def port(self) -> int:
        return int(self._local.server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._local.shutdown()
        self._local.server.server_close()
        self._thread.join()
