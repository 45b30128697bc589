"""The broker's email suppression list in the single table: one item per address SES bounced or
complained about. The reminder worker checks it before each email; the SES events function adds to it."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys


class DynamoSuppressions:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def suppress(self, broker_id: str, address: str, reason: str, at: str) -> None:
        """Idempotent: the first reason and time are kept."""
        key = keys.suppression_key(broker_id, address)
        self._db.update_item(
            TableName=self._table, Key={k: {"S": v} for k, v in key.items()},
            UpdateExpression="SET reason = if_not_exists(reason, :r), suppressed_at = if_not_exists(suppressed_at, :t)",
            ExpressionAttributeValues={":r": {"S": reason}, ":t": {"S": at}})

    def suppressed(self, broker_id: str, address: str) -> bool:
        key = keys.suppression_key(broker_id, address)
        item = self._db.get_item(TableName=self._table, Key={k: {"S": v} for k, v in key.items()},
                                 ProjectionExpression="PK").get("Item")
        return item is not None
