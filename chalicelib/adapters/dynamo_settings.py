"""The broker's contact and sender details, on the broker's PROFILE item (adapters/dynamo.py reads it as Broker)."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.domain.errors import NotFound

OPTIONAL = ("phone", "reply_to", "sender_name")


class DynamoBrokerSettings:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def put(self, broker_id: str, name: str, email: str, optional: dict[str, str | None]) -> None:
        """Replace the details in one UpdateItem: optional ones left out are removed."""
        values: dict[str, Any] = {":name": {"S": name}, ":email": {"S": email}}
        sets = ["#name = :name", "email = :email"]
        removes = []
        for field in OPTIONAL:
            if optional.get(field):
                sets.append(f"{field} = :{field}")
                values[f":{field}"] = {"S": optional[field]}
            else:
                removes.append(field)
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self._db.update_item(
                TableName=self._table, Key={"PK": {"S": keys.broker_pk(broker_id)}, "SK": {"S": keys.PROFILE_SK}},
                UpdateExpression=expression, ExpressionAttributeNames={"#name": "name"},
                ExpressionAttributeValues=values, ConditionExpression="attribute_exists(PK)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound("no such broker", "broker_id") from exc
            raise
