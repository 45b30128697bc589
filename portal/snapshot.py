"""The demo's state on disk: every table item and every secret, read and written through the AWS APIs.

moto keeps everything in memory; `save` exports it to `<data dir>/state.json` (atomically: a crash
mid-write leaves the previous file) and `load` + `restore` put it back into a fresh moto on the next start.
Going through the public APIs rather than moto's internals keeps the file a plain, readable dump.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from portal.local_aws import LocalResources

log = logging.getLogger(__name__)

FORMAT = 1
BATCH = 25  # BatchWriteItem's limit


def export(client: Callable[[str], Any], names: LocalResources) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for page in client("dynamodb").get_paginator("scan").paginate(TableName=names.table, ConsistentRead=True):
        items.extend(page["Items"])
    sm = client("secretsmanager")
    secrets = {}
    for page in sm.get_paginator("list_secrets").paginate():
        for entry in page["SecretList"]:
            secrets[entry["Name"]] = sm.get_secret_value(SecretId=entry["ARN"])["SecretString"]
    return {"format": FORMAT, "items": items, "secrets": secrets}


def save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump(state, f, separators=(",", ":"))
    os.replace(tmp, path)


def load(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    if state.get("format") != FORMAT:
        raise ValueError(f"{path} has an unknown format; start afresh with --reset")
    return state


def restore(client: Callable[[str], Any], names: LocalResources, state: dict[str, Any]) -> int:
    """Put the saved secrets (the link keys are already back) and items into the new, empty moto.

    Returns how many table items came back.
    """
    sm = client("secretsmanager")
    for name, value in state["secrets"].items():
        if name != names.link_keys_secret:
            sm.create_secret(Name=name, SecretString=value)
    db = client("dynamodb")
    items = state["items"]
    for start in range(0, len(items), BATCH):
        pending = {names.table: [{"PutRequest": {"Item": i}} for i in items[start:start + BATCH]]}
        while pending:
            pending = db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return len(items)


class Saver:
    """Saves the state on a background thread whenever moto reports a write (and once more at `stop`).

    Writes that land while a save runs mark the state dirty again, so the last save always follows the
    last write; nothing is lost to a crash but the changes of the last moments.
    """

    def __init__(self, path: Path, client: Callable[[str], Any], names: LocalResources) -> None:
        self._path, self._client, self._names = path, client, names
        self._dirty = threading.Event()
        self._stopping = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)

    def changed(self) -> None:
        self._dirty.set()

    def start(self) -> None:
        self._thread.start()

    def save_now(self) -> None:
        with self._lock:
            save(self._path, export(self._client, self._names))

    def _run(self) -> None:
        while True:
            self._dirty.wait()
            if self._stopping:
                return
            self._dirty.clear()
            try:
                self.save_now()
            except (BotoCoreError, ClientError, OSError):  # keep serving; the next change or exit retries
                log.exception("could not save the demo state to %s", self._path)

    def stop(self) -> None:
        """Stop the thread and save a final time (call while moto still runs)."""
        self._stopping = True
        self._dirty.set()
        self._thread.join()
        self.save_now()
