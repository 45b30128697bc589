"""The demo's state on disk: every table item, every secret and every head-hash anchor, read and written
through the AWS APIs.

moto keeps everything in memory; `save` exports it to `<data dir>/state.json` (atomically and fsync'd:
a crash, even kill -9, leaves the previous file or the new one) and `load` + `restore` put it back
into a fresh moto on the next start. `Saver` records each write before moto answers it, so a change the
API has acknowledged is already on disk: a table write appends the items it touched, as they now are, to
`state.journal` (one fsync'd line, whatever the table's size). Every CHECKPOINT_EVERY lines the journal is
folded into state.json on a background thread, from the two files alone, while writes go on; any other
write saves the whole state at once and starts the journal afresh.
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
    return _replayed(path, journal_path(path))


def _replayed(path: Path, journal: Path, upto: int | None = None) -> dict[str, Any]:
    """state.json with the journal's lines after its `seq` (and up to `upto`) applied."""
    state = json.loads(path.read_text())
    if state.get("format") != FORMAT:
        raise ValueError(f"{path} has an unknown format; start afresh with --reset")
    items = {_key_of(item): item for item in state["items"]}
    anchors = dict.fromkeys(state.get("anchors", []))
    seq = state.get("seq", 0)
    for line in _journal_lines(journal):
        if upto is not None and line["seq"] > upto:
            break
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

    A fold applies the journal's lines up to S (the last line when it began) to state.json, as `load` would,
    and keeps only the later lines: it reads no moto, so writes go on meanwhile without waiting on a scan of
    the table. Locks: `_save_lock` (one state.json writer at a time) is always taken before `_lock` (the
    journal).
    """

    def __init__(self, path: Path, client: Callable[[str], Any], names: LocalResources, seq: int = 0,
                 checkpoint_every: int = CHECKPOINT_EVERY) -> None:
        self._path, self._client, self._names = path, client, names
        self._journal = journal_path(path)
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._seq = seq  # the last journal line written (or covered by the saved state)
        self._lines = 0  # journal lines since the last save
        self._checkpoint_every = checkpoint_every
        self._fold: threading.Thread | None = None
        self._since_fold: list[str] | None = None  # while a fold runs: the lines written after its S
        self._missed = False  # a write could not be journaled: the next line saves everything from moto

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
                line = json.dumps({"seq": self._seq, "items": list(found.values()),
                                   "gone": [k for k in keys if _key_of(k) not in found], "anchors": list(anchors)},
                                  separators=(",", ":"))
                append_durably(self._journal, line)
                self._lines += 1
                if self._since_fold is not None:
                    self._since_fold.append(line)
                elif self._missed:  # the files lack a write: only a save from moto itself has it
                    self._save()
                elif self._lines >= self._checkpoint_every:
                    self._since_fold = []
                    self._fold = threading.Thread(target=self._fold_journal, args=(self._seq,), daemon=True,
                                                  name="demo-state-fold")
                    self._fold.start()
            except (BotoCoreError, ClientError, OSError):  # keep serving; the next save or exit covers it
                self._missed = True
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

    def _fold_journal(self, seq: int) -> None:
        """state.json as of journal line `seq`, while writes go on; then only the lines after it are kept."""
        with self._save_lock:
            try:
                save(self._path, _replayed(self._path, self._journal, upto=seq))
            except (OSError, ValueError):  # the journal stays whole; the next line tries again
                log.exception("could not save the demo state to %s", self._path)
                with self._lock:
                    self._since_fold = None
                return
            with self._lock:
                later = self._since_fold or []
                write_atomically(self._journal, "".join(f"{line}\n" for line in later))
                self._lines, self._since_fold = len(later), None

    def settle(self) -> None:
        """Return once no fold is running."""
        if self._fold is not None:
            self._fold.join()

    def changed(self) -> None:
        """Save everything now (after a write the journal does not describe); returns once it is on disk."""
        with self._save_lock, self._lock:
            try:
                self._save()
            except (BotoCoreError, ClientError, OSError):  # keep serving; the next change or exit retries
                log.exception("could not save the demo state to %s", self._path)

    def _save(self) -> None:
        """The whole state, then an empty journal: a crash between the two leaves lines the state's `seq`
        already covers, which `load` skips."""
        save(self._path, {**export(self._client, self._names), "seq": self._seq})
        write_atomically(self._journal, "")
        self._lines, self._missed = 0, False

    def stop(self) -> None:
        """A final save (call while moto still runs)."""
        with self._save_lock, self._lock:
            self._save()
