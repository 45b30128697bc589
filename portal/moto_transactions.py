"""moto's TransactWriteItems without its deep copy of the whole table.

moto (5.x) deep-copies every table a transaction touches before it starts, to put it back on failure:
the cost of each transaction grows with the table (0.5 s at a thousand items, minutes per call at the
tens of thousands a 10,000-row import makes). With `make_dynamodb_atomic` moto answers one DynamoDB
request at a time, so only the items this transaction names can change while it runs: they alone are
copied before, and put back as they were on failure. The outcome is the same as moto's own rollback;
a transaction costs what its items cost.
"""
from __future__ import annotations

import copy
import functools
from typing import Any

_MARK = "_portal_item_rollback"


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB models: a Table is not copied (the wrapper
    below keeps the items instead); anything else is, as before."""

    def __init__(self, table_type: type) -> None:
        self._table = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, self._table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install() -> None:
    """Idempotent; call with DynamoDB requests serialised (portal/moto_atomic.py)."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    original = backend.transact_write_items
    if getattr(original, _MARK, False):
        return
    models.copy = _TablesNotCopied(Table)  # type: ignore[assignment]

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = _touched(self, transact_items)
        try:
            original(self, transact_items)
        except BaseException:
            _restore(self, before)
            raise

    setattr(transact_write_items, _MARK, True)
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], Any]]:
    """(table, key, the item's attributes now or None) for each item the transaction names."""
    found = []
    for entry in transact_items:
        for kind, op in entry.items():
            name = op.get("TableName")
            if name not in backend.tables:
                continue
            table = backend.tables[name]
            source = op["Item"] if kind == "Put" else op.get("Key", {})
            key = {k: source[k] for k in (table.hash_key_attr, table.range_key_attr) if k and k in source}
            if len(key) != len([k for k in (table.hash_key_attr, table.range_key_attr) if k]):
                continue  # moto refuses it before writing anything
            current = backend.get_item(name, key)
            found.append((name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
    return found


def _restore(backend: Any, before: list[tuple[str, dict[str, Any], Any]]) -> None:
    for name, key, attributes in reversed(before):
        if attributes is None:
            if backend.get_item(name, key) is not None:
                backend.delete_item(name, key)
        else:
            backend.put_item(name, attributes)
