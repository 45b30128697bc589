"""moto's Query on a table's own key reads that partition only, as DynamoDB does.

moto (5.x) answers every Query by sorting all of the table's items (`Table.all_items`) and keeping those
whose partition key matches: each Query costs the whole table. The demo's write path and its once-a-second
webhook relay query by key many times a second, so a long demo session slowed every write. For a Query
without an index, the items of the one partition are all `all_items` needs to return: the rest of
`Table.query` filters and sorts them exactly as before. Queries on an index still look at every item
(any item may be in any of its partitions).
"""
from __future__ import annotations

import functools
from typing import Any

_MARK = "_portal_partition_query"


def install() -> None:
    """Idempotent; call with DynamoDB requests serialised (portal/moto_atomic.py): the table's `all_items`
    is narrowed for the length of one Query."""
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs["index_name"] if "index_name" in kwargs else (args[6] if len(args) > 6 else None)
        if index_name or hash_key is None:
            return original(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)  # not [hash_key]: the defaultdict would grow an empty partition
        items = [] if partition is None else list(partition.values()) if self.range_key_attr else [partition]
        self.all_items = lambda: items  # an instance attribute shadows the method for this call only
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    setattr(query, _MARK, True)
    Table.query = query  # type: ignore[method-assign]
