"""The attributes a case item carries for the console's indexes: written with the case in its own Put, so
they can never disagree with its state (adapters/dynamo.py case_item)."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys
from chalicelib.domain.cases import Case


def _encodable(text: str) -> str:
    """Text DynamoDB accepts as UTF-8: a lone surrogate already in a stored case (a bad import) becomes '?' here,
    in attributes used only to order and match, instead of making the case unwritable ever after."""
    return text.encode("utf-8", "replace").decode("utf-8")


def search_text(case: Case) -> str:
    """What `q` matches: customer name, email and invoice number, case-folded (DynamoDB's contains() is exact)."""
    c = case.customer
    return _encodable("\n".join((c.name, c.email, case.invoice.number)).casefold())


def index_attributes(case: Case) -> dict[str, Any]:
    attrs: dict[str, Any] = {name: {"S": value} for name, value in keys.sort_keys(
        case.invoice.due_on.isoformat(), case.balance.due, _encodable(case.customer.name), case.updated_at,
        case.case_id).items()}
    attrs.update(search={"S": search_text(case)}, currency={"S": case.balance.currency},
                 due_on={"S": case.invoice.due_on.isoformat()}, stage={"S": case.ladder.stage or "none"},
                 tier={"S": case.customer.tier or "none"})
    if case.attention:  # sparse: only cases that need a person are in the attention index
        attrs["AttentionPK"] = {"S": keys.cases_by_broker(case.broker_id)}
        attrs["AttentionSK"] = {"S": keys.attention_sk(max(f.since for f in case.attention), case.case_id)}
    return attrs


def reindex(client: Any, table: str) -> tuple[int, int]:
    """Give case items written before these indexes existed their index attributes and attention flags (from the
    state alone): (cases rewritten, cases skipped because they changed meanwhile, which indexed them anyway).
    An operator's one-off after deploying (`portal reindex`): the one Scan, of case items lacking `DueSK`."""
    import json
    from dataclasses import replace

    from chalicelib.adapters.dynamo import case_from_state, case_item
    from chalicelib.domain.attention import flags

    done = skipped = 0
    kwargs: dict[str, Any] = {"TableName": table, "FilterExpression": "SK = :case AND attribute_not_exists(DueSK)",
                              "ExpressionAttributeValues": {":case": {"S": keys.CASE_SK}}}
    for page in client.get_paginator("scan").paginate(**kwargs):
        for stored in page["Items"]:
            case = case_from_state(json.loads(stored["state"]["S"]))
            case = replace(case, attention=flags(case, case, (), case.updated_at))
            try:
                client.put_item(TableName=table, Item=case_item(case), ConditionExpression="version = :v",
                                ExpressionAttributeValues={":v": stored["version"]})
                done += 1
            except client.exceptions.ConditionalCheckFailedException:
                skipped += 1
    return done, skipped
