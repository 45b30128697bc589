"""The Chalice app behind chalice's own local server, as `chalice local` runs it, on a thread."""
from __future__ import annotations

from pathlib import Path

from chalice.config import Config
from chalice.local import CustomLocalChalice, create_local_server

from app import app
from portal.servers import BackgroundServer

PROJECT_DIR = Path(__file__).resolve().parent.parent


class ApiServer(BackgroundServer):
    def __init__(self, host: str, port: int) -> None:
        config = Config.create(chalice_stage="dev", app_name=app.app_name, chalice_app=app,
                               project_dir=str(PROJECT_DIR))
        if isinstance(app, CustomLocalChalice):
            # A second server in one process: chalice re-bases the app's class on each call, and re-basing
            # CustomLocalChalice on itself is a cycle. Give it back its own class first.
            app.__class__ = CustomLocalChalice.__bases__[-1]
        super().__init__(create_local_server(app, config, host, port).server, "api")
