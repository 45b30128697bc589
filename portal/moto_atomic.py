"""Make moto's DynamoDB answer one request at a time, as DynamoDB applies each request atomically.

moto (5.x) is not thread-safe here: `transact_write_items` evaluates each condition and applies each
write in plain Python, then on any failure puts back a deep copy of the whole table taken when it
started. Two threads inside it at once can both pass a `version` check (a lost update), and one's
rollback overwrites the other's committed write (an acknowledged write vanishes). Conditional
PutItem, UpdateItem and DeleteItem likewise read, check and write in separate steps.

`make_dynamodb_atomic()` wraps `DynamoHandler.call_action`, the one entry every DynamoDB request
takes, in a process-wide lock: in the demo's moto server and under `mock_aws` alike. Our own
load/decide/save still runs concurrently between requests, so version conflicts and retries happen
as they would on DynamoDB.
"""
from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_MARK = "_portal_one_request_at_a_time"


def make_dynamodb_atomic() -> None:
    """Idempotent: install the lock once per process."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def one_at_a_time(self: Any) -> Any:
        with _LOCK:
            return original(self)

    setattr(one_at_a_time, _MARK, True)
    DynamoHandler.call_action = one_at_a_time  # type: ignore[method-assign]
    from portal import moto_query, moto_transactions

    moto_transactions.install()  # serialised, a transaction need only keep the items it names
    moto_query.install()  # and a Query by key need only look at its partition
