"""moto's Query by a table's own key looks at that partition only (portal/moto_query.py) and answers exactly
as before: the partition's items in key order, either way round, paged, filtered; index queries unchanged."""
from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import TABLE


def keys(answer: dict[str, Any]) -> list[str]:
    return [i["SK"]["S"] for i in answer["Items"]]


def test_a_query_by_key_answers_its_partition_in_order_paged_and_filtered(aws_env):
    db = boto3.client("dynamodb")
    for pk in ("a", "b", "c"):
        for n in (3, 1, 2, 5, 4):
            db.put_item(TableName=TABLE, Item={"PK": {"S": pk}, "SK": {"S": f"E#{n}"}, "odd": {"BOOL": n % 2 == 1}})
    by_key: dict[str, Any] = {"TableName": TABLE, "KeyConditionExpression": "PK = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": "b"}}}

    assert keys(db.query(**by_key)) == ["E#1", "E#2", "E#3", "E#4", "E#5"]
    assert keys(db.query(**by_key, ScanIndexForward=False)) == ["E#5", "E#4", "E#3", "E#2", "E#1"]
    first = db.query(**by_key, Limit=2)
    assert keys(first) == ["E#1", "E#2"]
    assert keys(db.query(**by_key, Limit=2, ExclusiveStartKey=first["LastEvaluatedKey"])) == ["E#3", "E#4"]
    odd = db.query(**{**by_key, "FilterExpression": "odd = :t",
                      "ExpressionAttributeValues": {":pk": {"S": "b"}, ":t": {"BOOL": True}}})
    assert keys(odd) == ["E#1", "E#3", "E#5"]
    assert db.query(**{**by_key, "ExpressionAttributeValues": {":pk": {"S": "nobody"}}})["Items"] == []
    ranged = db.query(TableName=TABLE, KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
                      ExpressionAttributeValues={":pk": {"S": "c"}, ":lo": {"S": "E#2"}, ":hi": {"S": "E#4"}})
    assert keys(ranged) == ["E#2", "E#3", "E#4"]
    assert db.scan(TableName=TABLE)["Count"] == 15  # the query for "nobody" made no partition
