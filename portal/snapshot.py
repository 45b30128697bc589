"""The demo's state on disk: every table item, every secret and every head-hash anchor, read and written
through the AWS APIs.

moto keeps everything in memory; `save` exports it to `<data dir>/state.json` (atomically and fsync'd:
a crash, even kill -9, leaves the previous file or the new one) and `load` + `restore` put it back
into a fresh moto on the next start. `Saver` saves before moto answers each write, so a change the
API has acknowledged is already on disk.
Going through the public APIs rather than moto's internals keeps the file a plain, readable dump.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from portal.files import write_atomically
from portal.local_aws import Exchange, LocalResources

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
    anchors = [entry["Key"] for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=names.anchors)
               for entry in page.get("Contents", [])]
    return {"format": FORMAT, "items": items, "secrets": secrets, "anchors": anchors}


def save(path: Path, state: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(state, separators=(",", ":")))


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
    s3 = client("s3")
    for key in state.get("anchors", []):  # anchors are empty objects: the key is the whole record
        s3.put_object(Bucket=names.anchors, Key=key, Body=b"", ChecksumAlgorithm="SHA256")
    db = client("dynamodb")
    items = state["items"]
    for start in range(0, len(items), BATCH):
        pending = {names.table: [{"PutRequest": {"Item": i}} for i in items[start:start + BATCH]]}
        while pending:
            pending = db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return len(items)


class Saver:
    """Saves the state, synchronously, after each DynamoDB or Secrets Manager write and before moto
    answers it (a moto server watcher), and once more at `stop`.

    Group commit: writes that land while a save runs are all covered by the next one, so a burst of
    concurrent writes costs a couple of saves, not one each. A save always exports moto's state as it
    is when the save starts, and saves run one at a time, so the file only ever moves forward.
    """

    def __init__(self, path: Path, client: Callable[[str], Any], names: LocalResources) -> None:
        self._path, self._client, self._names = path, client, names
        self._counting = threading.Lock()
        self._saving = threading.Lock()
        self._changes = 0  # writes applied so far
        self._saved = 0  # writes the file on disk covers

    def watch(self, exchange: Exchange) -> None:
        if exchange.changes_saved_state or self._anchored(exchange):
            self.changed()

    def _anchored(self, exchange: Exchange) -> bool:
        return exchange.method == "PUT" and exchange.path.startswith(f"/{self._names.anchors}/")

    def changed(self) -> None:
        """Call after a write was applied; returns once a save covering it is on disk."""
        with self._counting:
            self._changes += 1
            mine = self._changes
        with self._saving:
            if self._saved >= mine:
                return
            try:
                self._save()
            except (BotoCoreError, ClientError, OSError):  # keep serving; the next change or exit retries
                log.exception("could not save the demo state to %s", self._path)

    def _save(self) -> None:
        with self._counting:
            covered = self._changes  # every write counted so far is in moto already
        save(self._path, export(self._client, self._names))
        self._saved = covered

    def stop(self) -> None:
        """A final save (call while moto still runs)."""
        with self._saving:
            self._save()
