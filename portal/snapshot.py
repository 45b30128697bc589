"""The demo's state on disk: every table item, every secret and every head-hash anchor, read and written
through the AWS APIs.

moto keeps everything in memory; `save` exports it to `<data dir>/state.json` (atomically and fsync'd:
a crash, even kill -9, leaves the previous file or the new one) and `load` + `restore` put it back
into a fresh moto on the next start. `Saver` records each write before moto answers it, so a change the
API has acknowledged is already on disk: a table write appends the items it touched, as they now are, to
`state.journal` (one fsync'd line, whatever the table's size); every CHECKPOINT_EVERY lines, and for any
other write, the whole state is saved again and the journal starts afresh.
Going through the public APIs rather than moto's internals keeps the files plain, readable dumps.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from portal.files import append_durably, write_atomically
from portal.local_aws import Exchange, LocalResources

log = logging.getLogger(__name__)

FORMAT = 1
BATCH = 25  # BatchWriteItem's limit
GET_BATCH = 100  # BatchGetItem's limit
KEY = ("PK", "SK")  # the table's key (infra/)
CHECKPOINT_EVERY = 1000  # journal lines: replaying them at the next start stays well under a second


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


def journal_path(path: Path) -> Path:
    return path.with_suffix(".journal")


def load(path: Path) -> dict[str, Any] | None:
    """The saved state with the journal's later lines applied; `seq` is the last line it covers."""
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    if state.get("format") != FORMAT:
        raise ValueError(f"{path} has an unknown format; start afresh with --reset")
    items = {_key_of(item): item for item in state["items"]}
    anchors = dict.fromkeys(state.get("anchors", []))
    seq = state.get("seq", 0)
    for line in _journal_lines(journal_path(path)):
        if line["seq"] > seq:  # older lines are in the state already (a crash after a save, before the reset)
            items.update((_key_of(item), item) for item in line["items"])
            for key in line["gone"]:
                items.pop(_key_of(key), None)
            anchors.update(dict.fromkeys(line["anchors"]))
            seq = line["seq"]
    return {**state, "items": list(items.values()), "anchors": list(anchors), "seq": seq}


def _journal_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = []
    for text in path.read_text().splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:  # the last line, torn by a crash before its fsync: its write was never answered
            break
    return lines


def _key_of(item: dict[str, Any]) -> str:
    return json.dumps([item[k] for k in KEY], sort_keys=True)


def touched_keys(exchange: Exchange, table: str) -> list[dict[str, Any]] | None:
    """The keys of `table`'s items a DynamoDB write may have changed, or None for a write that is not
    about items (a new table, a table other than ours): the caller then saves everything."""
    action = exchange.target.partition(".")[2]
    body = json.loads(exchange.body)
    named: list[tuple[str, dict[str, Any]]] = []  # (table, item or key)
    if action == "PutItem":
        named = [(body["TableName"], body["Item"])]
    elif action in ("UpdateItem", "DeleteItem"):
        named = [(body["TableName"], body["Key"])]
    elif action == "BatchWriteItem":
        named = [(name, r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"])
                 for name, requests in body["RequestItems"].items() for r in requests]
    elif action == "TransactWriteItems":
        named = [(op["TableName"], op.get("Item") or op["Key"])
                 for entry in body["TransactItems"] for kind, op in entry.items() if kind != "ConditionCheck"]
    else:
        return None
    if any(name != table for name, _ in named):
        return None
    unique = {_key_of(item): {k: item[k] for k in KEY} for _, item in named}
    return list(unique.values())


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
    """Records each DynamoDB, Secrets Manager or anchor write, synchronously, before moto answers it (a moto
    server watcher), and saves the whole state once more at `stop`.

    A table write appends the items it named, read back after it applied, to the journal; an anchor appends
    its key. Reads and appends happen one at a time, so the journal's order is the order of the reads, and
    its last line for an item holds the item as it is now, even when two writes to it race. Anything else (a
    secret, a write to another table) saves everything, which also resets the journal.
    """

    def __init__(self, path: Path, client: Callable[[str], Any], names: LocalResources, seq: int = 0,
                 checkpoint_every: int = CHECKPOINT_EVERY) -> None:
        self._path, self._client, self._names = path, client, names
        self._journal = journal_path(path)
        self._lock = threading.Lock()
        self._seq = seq  # the last journal line written (or covered by the saved state)
        self._lines = 0  # journal lines since the last save
        self._checkpoint_every = checkpoint_every

    def watch(self, exchange: Exchange) -> None:
        if exchange.status >= 300:  # a refused write changed nothing (a cancelled transaction, a failed check)
            return
        anchors = f"/{self._names.anchors}/"
        if exchange.method == "PUT" and exchange.path.startswith(anchors):  # an anchor's key is its whole record
            self._append(anchors=[exchange.path[len(anchors):]])
        elif exchange.changes_saved_state and exchange.target.startswith("DynamoDB_"):
            try:
                keys = touched_keys(exchange, self._names.table)
            except (ValueError, KeyError, TypeError, AttributeError):
                keys = None
            if keys is None:
                self.changed()
            else:
                self._append(keys=keys)
        elif exchange.changes_saved_state:
            self.changed()

    def _append(self, keys: Sequence[dict[str, Any]] = (), anchors: Sequence[str] = ()) -> None:
        """One journal line: the named items as they are now (a missing one was deleted), and new anchors."""
        with self._lock:
            try:
                found = self._read(keys)
                self._seq += 1
                append_durably(self._journal, json.dumps(
                    {"seq": self._seq, "items": list(found.values()),
                     "gone": [k for k in keys if _key_of(k) not in found], "anchors": list(anchors)},
                    separators=(",", ":")))
                self._lines += 1
                if self._lines >= self._checkpoint_every:
                    self._save()
            except (BotoCoreError, ClientError, OSError):  # keep serving; the next save or exit covers it
                log.exception("could not record a demo write in %s", self._journal)

    def _read(self, keys: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The items as they are now, by key; a key missing from the answer was deleted."""
        db = self._client("dynamodb")
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), GET_BATCH):
            pending: dict[str, Any] = {self._names.table: {"Keys": keys[start:start + GET_BATCH],
                                                           "ConsistentRead": True}}
            while pending:
                page = db.batch_get_item(RequestItems=pending)
                found.update((_key_of(item), item) for item in page["Responses"].get(self._names.table, []))
                pending = page.get("UnprocessedKeys") or {}
        return found

    def changed(self) -> None:
        """Save everything now (after a write the journal does not describe); returns once it is on disk."""
        with self._lock:
            try:
                self._save()
            except (BotoCoreError, ClientError, OSError):  # keep serving; the next change or exit retries
                log.exception("could not save the demo state to %s", self._path)

    def _save(self) -> None:
        """The whole state, then an empty journal: a crash between the two leaves lines the state's `seq`
        already covers, which `load` skips."""
        save(self._path, {**export(self._client, self._names), "seq": self._seq})
        write_atomically(self._journal, "")
        self._lines = 0

    def stop(self) -> None:
        """A final save (call while moto still runs)."""
        with self._lock:
            self._save()
