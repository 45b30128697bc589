"""moto's TransactWriteItems with item-level rollback (portal/moto_transactions.py) fails as DynamoDB does:
a cancelled transaction leaves every item it named as it was, and the rest of the table untouched."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import TABLE


def item(pk: str, value: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": pk}, "SK": {"S": "X"}, "v": {"S": value}}


def read(db: object, pk: str) -> str | None:
    found = db.get_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": "X"}}).get("Item")  # type: ignore[attr-defined]
    return found["v"]["S"] if found else None


def test_a_cancelled_transaction_leaves_each_item_it_named_as_it_was(aws_env):
    db = boto3.client("dynamodb")
    db.put_item(TableName=TABLE, Item=item("old", "before"))
    db.put_item(TableName=TABLE, Item=item("bystander", "same"))
    with pytest.raises(ClientError) as refused:
        db.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": item("new", "written")}},
            {"Put": {"TableName": TABLE, "Item": item("old", "overwritten")}},
            {"Delete": {"TableName": TABLE, "Key": {"PK": {"S": "bystander2"}, "SK": {"S": "X"}}}},
            {"Put": {"TableName": TABLE, "Item": item("taken", "x"), "ConditionExpression": "attribute_exists(PK)"}},
        ])
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert (read(db, "new"), read(db, "old"), read(db, "bystander"), read(db, "taken")) == (
        None, "before", "same", None)

    db.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item("new", "written")}},
                                           {"Delete": {"TableName": TABLE, "Key": {"PK": {"S": "old"},
                                                                                   "SK": {"S": "X"}}}}])
    assert (read(db, "new"), read(db, "old")) == ("written", None)
