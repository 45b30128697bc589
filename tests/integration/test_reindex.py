"""Cases written before the console's indexes existed are found by the search and Today once reindexed."""
from __future__ import annotations

import boto3

from chalicelib import bootstrap
from chalicelib.adapters.case_index import reindex
from chalicelib.adapters.dynamo_search import DynamoCaseSearch
from chalicelib.domain.case_query import CaseQuery
from tests.conftest import TABLE, case_body

NEW = ("DueSK", "BalanceSK", "NameSK", "UpdatedSK", "AttentionPK", "AttentionSK", "search", "currency", "due_on",
       "stage", "tier")


def test_old_case_items_are_indexed_once_with_their_attention_flags(aws_env, broker):
    broker_id, _ = broker
    db = boto3.client("dynamodb")
    cases = [bootstrap.case_service().create(broker_id, case_body(invoice__number=f"OLD-{n}"), None)[0]
             for n in range(3)]
    disputed = bootstrap.self_service().open_dispute(bootstrap.pay_links().token(cases[0]),
                                                     {"reason": "quality", "message": "Broken"})[0]
    for case in cases:  # as the items were before: no index attributes, no attention flags in the state
        item = db.get_item(TableName=TABLE, Key={"PK": {"S": f"BROKER#{broker_id}#CASE#{case.case_id}"},
                                                  "SK": {"S": "CASE"}})["Item"]
        db.put_item(TableName=TABLE, Item={k: v for k, v in item.items() if k not in NEW})
    search = DynamoCaseSearch(db, TABLE)
    assert search.search(broker_id, CaseQuery(), 50, None)[0] == []
    assert bootstrap.today().view(broker_id)["items"] == []

    assert reindex(db, TABLE) == (3, 0)

    found = search.search(broker_id, CaseQuery(sort="customer"), 50, None)[0]
    assert sorted(c.invoice.number for c in found) == ["OLD-0", "OLD-1", "OLD-2"]
    assert [(i["kind"], i["case_id"]) for i in bootstrap.today().view(broker_id)["items"]] == [
        ("dispute", disputed.case_id)]
    assert reindex(db, TABLE) == (0, 0)  # nothing left to do
