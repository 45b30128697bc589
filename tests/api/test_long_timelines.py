"""A case with years of history still opens: each view carries the newest page of its timeline and a
`?before=` cursor for older pages, so no response comes near Lambda's 6 MB limit."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamo import case_item, event_item
from chalicelib.domain import cases as domain
from chalicelib.domain.cases import parse_iso
from tests.api.conftest import open_case, token_of
from tests.conftest import get, post

NOTES = 5_000
LAMBDA_LIMIT = 6 * 1024 * 1024


def store_notes(broker_id: str, case_id: str, count: int) -> int:
    """`count` notes of 4,000 characters written straight to the table (as years of use would leave them,
    hash chain intact); the case's newest event sequence number."""
    case, _ = bootstrap.store().load(broker_id, case_id)
    items = []
    for n in range(count):
        change = domain.add_note(case, kind="call", text=f"{n:05d} " + "x" * 3994,
                                 at=parse_iso(case.updated_at) + timedelta(seconds=1))
        case = change.case
        items += [event_item(broker_id, case_id, e) for e in change.events]
    db, table = bootstrap.aws("dynamodb"), bootstrap.settings().table_name
    for start in range(0, len(items), 25):
        db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]})
    db.put_item(TableName=table, Item=case_item(case))
    return case.version


@pytest.fixture
def long_case(client, broker):
    broker_id, key = broker
    case = open_case(client, key)
    newest = store_notes(broker_id, case["case_id"], NOTES)
    return case, key, newest, broker_id


def test_the_broker_view_of_5000_events_is_the_newest_page_and_pages_back_to_the_first(client, long_case):
    case, key, newest, _ = long_case
    answer = get(client, f"/admin/cases/{case['case_id']}", key)
    assert answer.status_code == 200
    assert len(answer.body) < LAMBDA_LIMIT / 10  # about 0.5 MB for 100 such notes
    view = answer.json_body
    assert [e["seq"] for e in view["events"]] == list(range(newest - 99, newest + 1))
    assert view["events_before"] == newest - 99
    assert view["history_verified"] is True  # the page shown is intact and ends at the case's head

    older = get(client, f"/admin/cases/{case['case_id']}?before={view['events_before']}", key).json_body
    assert [e["seq"] for e in older["events"]] == list(range(newest - 199, newest - 99))
    assert older["history_verified"] is True
    first = get(client, f"/admin/cases/{case['case_id']}?before=3", key).json_body
    assert [e["type"] for e in first["events"]] == ["case_opened", "link_issued"] and first["events_before"] is None


def test_the_customer_view_of_5000_events_opens_with_a_page_and_a_cursor(client, long_case):
    case, _, _, _ = long_case
    token = token_of(case["pay_url"])
    answer = get(client, "/customer/case", token)
    assert answer.status_code == 200 and len(answer.body) < LAMBDA_LIMIT / 10
    # The newest 100 events are the broker's notes, which a customer never sees; the cursor reads on.
    assert answer.json_body["timeline"] == [] and isinstance(answer.json_body["timeline_before"], int)
    first = get(client, "/customer/case?before=3", token).json_body
    assert [e["type"] for e in first["timeline"]] == ["case_opened"] and first["timeline_before"] is None


def test_an_edited_event_on_a_later_page_is_caught(client, long_case):
    from chalicelib.adapters import keys

    case, key, newest, broker_id = long_case
    db, table = bootstrap.aws("dynamodb"), bootstrap.settings().table_name
    db.update_item(TableName=table, Key={"PK": {"S": keys.case_pk(broker_id, case["case_id"])},
                                         "SK": {"S": keys.event_sk(newest - 150)}},
                   UpdateExpression="SET #d = :d", ExpressionAttributeNames={"#d": "data"},
                   ExpressionAttributeValues={":d": {"S": '{"kind":"call","text":"refused to pay"}'}})
    newest_page = get(client, f"/admin/cases/{case['case_id']}", key).json_body
    assert newest_page["history_verified"] is True  # the edit is not on this page
    edited_page = get(client, f"/admin/cases/{case['case_id']}?before={newest_page['events_before']}", key).json_body
    assert edited_page["history_verified"] is False


def test_a_note_on_a_case_with_5000_events_reads_a_page_not_the_history(client, long_case):
    case, key, newest, _ = long_case
    items_read: list[int] = []

    def count(parsed: dict, **_: object) -> None:
        items_read.append(len(parsed.get("Items", [])) + ("Item" in parsed))

    db = bootstrap.aws("dynamodb")
    db.meta.events.register("after-call.dynamodb.*", count)
    try:
        answer = post(client, f"/admin/cases/{case['case_id']}/notes", key,
                      {"kind": "call", "text": "promised to pay Friday"})
    finally:
        db.meta.events.unregister("after-call.dynamodb.*", count)
    assert answer.status_code == 201
    view = answer.json_body
    assert view["events"][-1]["seq"] == newest + 1 and view["events_before"] == newest + 1 - 99
    assert sum(items_read) < 200  # a page of the timeline and the case, not 5,000 notes of 4 KB


@pytest.mark.parametrize("before", ["0", "-1", "abc", "1e3", "99999999999"])
def test_a_bad_before_is_a_400_naming_before(client, broker, before):
    _, key = broker
    case = open_case(client, key)
    for path, credential in ((f"/admin/cases/{case['case_id']}", key), ("/customer/case", token_of(case["pay_url"]))):
        answer = get(client, f"{path}?before={before}", credential)
        assert answer.status_code == 400 and answer.json_body["error"]["field"] == "before", answer.json_body
