"""Bulk imports in the single table: the job (with its checkpoint), its failed rows, saved mappings."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.imports import Failure, ImportJob

BATCH = 25  # BatchWriteItem's limit


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _job(item: dict[str, Any]) -> ImportJob:
    state = json.loads(item["state"]["S"])
    state["header"] = tuple(state["header"])
    return ImportJob(**state)


class DynamoImports:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get(self, broker_id: str, import_id: str) -> ImportJob:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True, Key={
            "PK": _s(keys.import_pk(broker_id, import_id)), "SK": _s(keys.IMPORT_SK)}).get("Item")
        if item is None:
            raise NotFound(f"no import {import_id}", "import_id")
        return _job(item)

    def save(self, job: ImportJob) -> None:
        """Store `job` if the stored one is still the step before it (a new job: if none is stored).
        Another run that got there first: Conflict."""
        condition = {"ConditionExpression": "attribute_not_exists(PK)"} if job.step == 0 else {
            "ConditionExpression": "step = :before", "ExpressionAttributeValues": {":before": {"N": str(job.step - 1)}}}
        try:
            self._db.put_item(TableName=self._table, Item={
                "PK": _s(keys.import_pk(job.broker_id, job.import_id)), "SK": _s(keys.IMPORT_SK),
                "step": {"N": str(job.step)}, "state": _s(json.dumps(asdict(job), separators=(",", ":")))},
                **condition)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict("the import moved on in another run", "import_id") from exc
            raise

    def add_failures(self, broker_id: str, import_id: str, failures: list[Failure]) -> None:
        """One item per failed row, keyed by its row: writing a chunk's failures again changes nothing."""
        pk = keys.import_pk(broker_id, import_id)
        requests = [{"PutRequest": {"Item": {
            "PK": _s(pk), "SK": _s(keys.import_failure_sk(f.row)),
            "failure": _s(json.dumps({**f.as_dict(), "cells": list(f.cells)}, separators=(",", ":")))}}}
            for f in failures]
        for start in range(0, len(requests), BATCH):
            pending = {self._table: requests[start:start + BATCH]}
            while pending:
                pending = self._db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def failures(self, broker_id: str, import_id: str, *, limit: int | None = None,
                 after: int = 0) -> list[Failure]:
        """Failed rows in row order, after row `after`; all of them when limit is None."""
        found: list[Failure] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "PK = :pk AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": _s(keys.import_pk(broker_id, import_id)),
                                          ":low": _s(keys.import_failure_sk(after + 1)),
                                          ":high": _s(keys.import_failure_sk(9_999_999_999))}}
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(found)
            page = self._db.query(**kwargs)
            for item in page["Items"]:
                data = json.loads(item["failure"]["S"])
                found.append(Failure(data["row"], data["field"], data["column"], data["message"],
                                     tuple(data["cells"])))
            last = page.get("LastEvaluatedKey")
            if not last or (limit is not None and len(found) >= limit):
                return found
            kwargs["ExclusiveStartKey"] = last

    def case_for_invoice(self, broker_id: str, number: str) -> str | None:
        key = keys.invoice_key(broker_id, number)
        item = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                 Key={"PK": _s(key["PK"]), "SK": _s(key["SK"])}).get("Item")
        return item["case_id"]["S"] if item else None

    def put_mapping(self, broker_id: str, name: str, mapping: dict[str, Any], updated_at: str) -> None:
        self._db.put_item(TableName=self._table, Item={
            "PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.import_mapping_sk(name)),
            "mapping": _s(json.dumps(mapping, separators=(",", ":"), sort_keys=True)), "updated_at": _s(updated_at)})

    def mapping(self, broker_id: str, name: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key={
            "PK": _s(keys.broker_pk(broker_id)), "SK": _s(keys.import_mapping_sk(name))}).get("Item")
        return json.loads(item["mapping"]["S"]) if item else None

    def mappings(self, broker_id: str) -> dict[str, dict[str, Any]]:
        page = self._db.query(
            TableName=self._table, KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": _s(keys.broker_pk(broker_id)),
                                       ":prefix": _s(keys.IMPORT_MAPPING_PREFIX)})
        return {i["SK"]["S"].removeprefix(keys.IMPORT_MAPPING_PREFIX): json.loads(i["mapping"]["S"])
                for i in page["Items"]}
