"""GET /admin/cases/{id}/verify: the whole timeline against the head hashes anchored outside the table.

Each tampering here is done as someone with write access to the table would do it, with the hashes
recomputed where that hides the edit from the chain alone."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import case_item, event_item
from chalicelib.domain.history import GENESIS, Event
from tests.api.conftest import open_case
from tests.conftest import get, post


def verify(client: Any, key: str, case_id: str) -> dict[str, Any]:
    answer = get(client, f"/admin/cases/{case_id}/verify", key)
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def note(client: Any, key: str, case_id: str, text: str) -> None:
    assert post(client, f"/admin/cases/{case_id}/notes", key, {"kind": "call", "text": text}).status_code == 201


def first_bad(client: Any, key: str, case_id: str) -> dict[str, Any]:
    """The first bad event verify names (the case must not verify)."""
    result = verify(client, key, case_id)
    assert result["verified"] is False
    return result["first_bad_event"]


@pytest.fixture
def noted(client, broker):
    """A case with five notes after its opening events: (broker id, api key, case id, version before the notes)."""
    broker_id, key = broker
    case_id = open_case(client, key)["case_id"]
    opened = verify(client, key, case_id)["version"]
    for n in range(5):
        note(client, key, case_id, f"call {n}")
    return broker_id, key, case_id, opened


def table() -> tuple[Any, str]:
    return bootstrap.aws("dynamodb"), bootstrap.settings().table_name


def partition(broker_id: str, case_id: str) -> list[dict[str, Any]]:
    db, name = table()
    return db.query(TableName=name, KeyConditionExpression="PK = :pk",
                    ExpressionAttributeValues={":pk": {"S": keys.case_pk(broker_id, case_id)}})["Items"]


def delete_event(broker_id: str, case_id: str, seq: int) -> None:
    db, name = table()
    db.delete_item(TableName=name, Key={"PK": {"S": keys.case_pk(broker_id, case_id)}, "SK": {"S": keys.event_sk(seq)}})


def rewrite(broker_id: str, case_id: str, events: list[Event], *, renumber: bool = True) -> None:
    """Store `events` as the whole timeline, every hash recomputed, and point the case's head (and version) at
    the newest: what a forger with table access does so the chain alone still verifies."""
    db, name = table()
    case, old = bootstrap.store().load(broker_id, case_id)
    for event in old:
        delete_event(broker_id, case_id, event.seq)
    prev = GENESIS
    for seq, event in enumerate(events, start=1):
        sealed = Event.seal(prev, seq if renumber else event.seq, event.type, event.at, event.actor, event.data,
                            event.by)
        db.put_item(TableName=name, Item=event_item(broker_id, case_id, sealed))
        prev = sealed.hash
    db.put_item(TableName=name, Item=case_item(replace(case, head_hash=prev, version=len(events))))


def test_an_intact_case_verifies_with_every_change_anchored(client, noted):
    _, key, case_id, opened = noted
    result = verify(client, key, case_id)
    assert result["verified"] is True and result["first_bad_event"] is None
    assert result["version"] == result["events"] == result["anchored_version"] == opened + 5


def test_an_event_edited_with_every_later_hash_recomputed_is_named(client, noted):
    broker_id, key, case_id, opened = noted
    _, events = bootstrap.store().load(broker_id, case_id)
    edited = opened + 2
    events[edited - 1] = replace(events[edited - 1], data={"kind": "call", "text": "customer refused to pay"})
    rewrite(broker_id, case_id, events)
    bad = first_bad(client, key, case_id)
    assert bad["seq"] == edited and "edited and rehashed" in bad["problem"]


def test_a_removed_event_is_named(client, noted):
    broker_id, key, case_id, opened = noted
    delete_event(broker_id, case_id, opened + 3)
    assert first_bad(client, key, case_id)["seq"] == opened + 3


def test_a_removed_event_with_the_chain_renumbered_and_rehashed_is_named(client, noted):
    broker_id, key, case_id, opened = noted
    _, events = bootstrap.store().load(broker_id, case_id)
    del events[opened + 3 - 1]
    rewrite(broker_id, case_id, events)
    assert first_bad(client, key, case_id)["seq"] == opened + 3


def test_reordered_events_are_named(client, noted):
    broker_id, key, case_id, opened = noted
    db, name = table()
    first, second = (i for i in partition(broker_id, case_id) if i["SK"]["S"] in (keys.event_sk(opened + 2),
                                                                                  keys.event_sk(opened + 3)))
    db.put_item(TableName=name, Item={**second, "SK": first["SK"]})
    db.put_item(TableName=name, Item={**first, "SK": second["SK"]})
    assert first_bad(client, key, case_id)["seq"] == opened + 2


def test_reordered_events_rehashed_are_named(client, noted):
    broker_id, key, case_id, opened = noted
    _, events = bootstrap.store().load(broker_id, case_id)
    events[opened + 1], events[opened + 2] = events[opened + 2], events[opened + 1]  # seq opened+2 and +3
    rewrite(broker_id, case_id, events)
    assert first_bad(client, key, case_id)["seq"] == opened + 2


def test_the_newest_events_cut_off_with_the_head_rewritten_are_named(client, noted):
    broker_id, key, case_id, opened = noted
    _, events = bootstrap.store().load(broker_id, case_id)
    rewrite(broker_id, case_id, events[:opened + 2])  # the last three notes gone, head and version to match
    bad = first_bad(client, key, case_id)
    assert bad["seq"] == opened + 3 and "rolled back" in bad["problem"]


def test_a_case_rolled_back_to_an_earlier_consistent_state_is_caught(client, noted):
    broker_id, key, case_id, opened = noted
    saved = partition(broker_id, case_id)  # a consistent copy (a backup) at this version
    version = verify(client, key, case_id)["version"]
    for n in range(2):  # later changes, each anchored as it is stored
        note(client, key, case_id, f"paid? {n}")
    db, name = table()
    for item in partition(broker_id, case_id):
        db.delete_item(TableName=name, Key={"PK": item["PK"], "SK": item["SK"]})
    for item in saved:
        db.put_item(TableName=name, Item=item)

    result = verify(client, key, case_id)
    assert result["verified"] is False
    assert result["version"] == version and result["anchored_version"] == version + 2
    assert result["first_bad_event"]["seq"] == version + 1
    assert "rolled back" in result["first_bad_event"]["problem"]


def test_an_event_appended_without_the_application_is_never_anchored(client, noted):
    broker_id, key, case_id, opened = noted
    case, events = bootstrap.store().load(broker_id, case_id)
    forged = Event.seal(case.head_hash, case.version + 1, "payment_recorded", case.updated_at, "broker",
                        {"amount": 125000})
    rewrite(broker_id, case_id, [*events, forged])
    bad = first_bad(client, key, case_id)
    assert bad["seq"] == case.version + 1 and "never anchored" in bad["problem"]


def test_another_brokers_case_is_a_404(client, noted, other_broker):
    _, _, case_id, _ = noted
    _, other_key = other_broker
    assert get(client, f"/admin/cases/{case_id}/verify", other_key).status_code == 404
