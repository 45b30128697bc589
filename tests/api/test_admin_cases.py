"""A broker opens, reads, lists and annotates cases through the admin API."""
from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import quote

import pytest

from chalicelib import bootstrap
from chalicelib.domain import cases as domain
from chalicelib.domain.cases import parse_iso
from tests.api.conftest import event_types, listing, open_case, read_case, token_of
from tests.conftest import SITE, case_body, get, post


def test_create_answers_201_with_location_and_a_pay_url_whose_token_is_in_the_fragment(client, broker):
    _, key = broker
    created = post(client, "/admin/cases", key, case_body())

    assert created.status_code == 201, created.json_body
    case = created.json_body
    assert created.headers["Location"] == f"/admin/cases/{case['case_id']}"
    assert case["pay_url"].startswith(f"{SITE}/pay#")
    assert "?" not in case["pay_url"]  # nothing in a query string that a server would log
    assert len(token_of(case["pay_url"])) > 40
    assert case["status"] == "open"
    assert case["customer"] == {"name": "Jane Customer", "email": "jane@example.test", "phone": "+14155550100",
                                "locale": "en", "timezone": "America/New_York", "tier": None}
    assert case["invoice"] == {"number": "INV-1001", "amount": 125000, "currency": "EUR",
                               "issued_on": "2026-10-01", "due_on": "2026-10-31",
                               "description": "Consulting, October"}
    assert case["balance"] == {"currency": "EUR", "principal": 125000, "fees": 0, "interest": 0, "discount": 0,
                               "paid": 0, "due": 125000, "credit": 0}
    assert [e["type"] for e in case["events"]] == ["case_opened", "link_issued"]

    # The Location is where the case can be read.
    assert get(client, created.headers["Location"], key).status_code == 200


def test_create_fills_optional_customer_fields_with_defaults(client, broker):
    _, key = broker
    body = case_body()
    for field in ("phone", "locale", "timezone"):
        del body["customer"][field]
    del body["invoice"]["description"]
    created = post(client, "/admin/cases", key, body)
    assert created.status_code == 201, created.json_body
    assert created.json_body["customer"]["phone"] is None
    assert created.json_body["customer"]["locale"] == "en"
    assert created.json_body["customer"]["timezone"] == "UTC"
    assert created.json_body["invoice"]["description"] == ""


def test_zero_decimal_and_three_decimal_currencies_keep_their_minor_units(client, broker):
    _, key = broker
    yen = open_case(client, key, invoice__number="JP-1", invoice__currency="JPY", invoice__amount=15000)
    dinar = open_case(client, key, invoice__number="KW-1", invoice__currency="KWD", invoice__amount=12345)
    assert (yen["balance"]["due"], yen["balance"]["currency"]) == (15000, "JPY")
    assert (dinar["balance"]["due"], dinar["balance"]["currency"]) == (12345, "KWD")


def test_get_returns_the_case_with_its_whole_timeline_oldest_first(client, broker, clock):
    _, key = broker
    case = open_case(client, key)
    for kind in ("call", "email", "meeting", "note"):
        clock.advance(minutes=5)
        added = post(client, f"/admin/cases/{case['case_id']}/notes", key, {"kind": kind, "text": f"{kind} log"})
        assert added.status_code == 201, added.json_body
        assert added.json_body["events"][-1]["data"] == {"kind": kind, "text": f"{kind} log"}

    fetched = read_case(client, key, case["case_id"])

    assert set(fetched) >= {"case_id", "status", "customer", "invoice", "balance", "next_action_at", "events"}
    assert fetched["balance"]["due"] == 125000
    events = fetched["events"]
    assert [e["type"] for e in events] == ["case_opened", "link_issued"] + ["note_added"] * 4
    assert [e["seq"] for e in events] == list(range(1, 7))
    times = [parse_iso(e["at"]) for e in events]
    assert times == sorted(times) and times[-1] - times[0] == timedelta(minutes=20)
    assert [e["data"]["kind"] for e in events[2:]] == ["call", "email", "meeting", "note"]
    assert {e["actor"] for e in events} == {"broker"}
    assert events[0]["data"]["invoice_number"] == "INV-1001"
    assert fetched["version"] == 6


def test_a_note_shows_in_the_admin_timeline_and_never_in_the_customer_view(client, broker):
    _, key = broker
    case = open_case(client, key)
    secret_text = "Customer mentioned cash-flow trouble; consider escalating"
    added = post(client, f"/admin/cases/{case['case_id']}/notes", key, {"kind": "call", "text": secret_text})
    assert added.status_code == 201

    assert "note_added" in event_types(client, key, case["case_id"])
    seen = get(client, "/customer/case", token_of(case["pay_url"]))
    assert seen.status_code == 200, seen.json_body
    assert secret_text not in json.dumps(seen.json_body)
    assert "note_added" not in [e["type"] for e in seen.json_body["timeline"]]
    assert {e["type"] for e in seen.json_body["timeline"]} <= set(domain.CUSTOMER_VISIBLE)


def test_listing_pages_through_every_case_newest_first_with_a_cursor(client, broker, clock):
    _, key = broker
    opened = []
    for n in range(5):
        clock.advance(seconds=1)
        opened.append(open_case(client, key, invoice__number=f"INV-{n}")["case_id"])

    pages, cursor = [], None
    while True:
        path = "/admin/cases?limit=2" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = get(client, path, key)
        assert page.status_code == 200, page.json_body
        pages.append([c["case_id"] for c in page.json_body["items"]])
        cursor = page.json_body["next_cursor"]
        if cursor is None:
            break

    assert [len(p) for p in pages] == [2, 2, 1]
    assert [case_id for p in pages for case_id in p] == opened[::-1]


def test_listing_items_summarise_each_case(client, broker):
    _, key = broker
    case = open_case(client, key)
    page = get(client, "/admin/cases", key)
    assert page.status_code == 200
    assert page.json_body["next_cursor"] is None
    [item] = page.json_body["items"]
    assert item["case_id"] == case["case_id"]
    assert item["status"] == "open"
    assert item["invoice"]["number"] == "INV-1001"
    assert item["balance"]["due"] == 125000
    assert "pay_url" not in item  # listings never spread pay tokens around


def test_limit_accepts_1_to_100(client, broker):
    _, key = broker
    for n in range(3):
        open_case(client, key, invoice__number=f"INV-{n}")
    assert len(get(client, "/admin/cases?limit=1", key).json_body["items"]) == 1
    assert len(get(client, "/admin/cases?limit=100", key).json_body["items"]) == 3


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5", "", "1000", "0100x"])
def test_a_limit_outside_1_to_100_is_a_400_naming_limit(client, broker, limit):
    _, key = broker
    answer = get(client, f"/admin/cases?limit={quote(limit)}", key)
    assert answer.status_code == 400
    assert answer.json_body["error"]["field"] == "limit"
    assert answer.json_body["error"]["code"] == "invalid_input"


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize("cursor", [
    "not-a-cursor",
    base64.urlsafe_b64encode(b"not json").decode(),
    _b64(["a", "list"]),
    _b64("a string"),
    _b64({"ListPK": {"S": "BROKER#someone-else"}}),
    "x" * 3000,
])
def test_a_bad_cursor_is_a_400_naming_cursor(client, broker, cursor):
    _, key = broker
    open_case(client, key)
    answer = get(client, f"/admin/cases?cursor={quote(cursor)}", key)
    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == "cursor"


def test_a_forged_cursor_for_the_right_listing_is_a_400_not_a_crash(client, broker):
    broker_id, key = broker
    open_case(client, key)
    forged = [
        {"ListPK": {"S": f"BROKER#{broker_id}"}},
        {"ListPK": {"S": f"BROKER#{broker_id}"}, "ListSK": {"N": "1"}, "PK": {"S": "x"}, "SK": {"S": "y"}},
        {"ListPK": {"S": f"BROKER#{broker_id}"}, "ListSK": {"S": "z"}, "PK": {"S": "x"}, "SK": {"S": "y"},
         "Extra": {"S": "q"}},
    ]
    for cursor in forged:
        answer = get(client, f"/admin/cases?cursor={quote(_b64(cursor))}", key)
        assert answer.status_code == 400, (cursor, answer.json_body)
        assert answer.json_body["error"]["field"] == "cursor"


def test_a_cursor_only_continues_the_listing_it_came_from(client, broker):
    _, key = broker
    for n in range(3):
        open_case(client, key, invoice__number=f"INV-{n}")
    by_status = get(client, "/admin/cases?status=open&limit=1", key).json_body["next_cursor"]
    assert by_status
    answer = get(client, f"/admin/cases?limit=1&cursor={quote(by_status)}", key)
    assert answer.status_code == 400
    assert answer.json_body["error"]["field"] == "cursor"


def test_another_brokers_cursor_is_a_400(client, broker, other_broker):
    _, key = broker
    _, other_key = other_broker
    for n in range(3):
        open_case(client, other_key, invoice__number=f"INV-{n}")
    theirs = get(client, "/admin/cases?limit=1", other_key).json_body["next_cursor"]
    assert theirs
    answer = get(client, f"/admin/cases?limit=1&cursor={quote(theirs)}", key)
    assert answer.status_code == 400
    assert answer.json_body["error"]["field"] == "cursor"
    assert "items" not in answer.json_body


def _set_status(broker_id: str, case_id: str, status: str) -> None:
    """What later routes (disputes, payments) will do: a guarded transition recorded as an event."""
    def command(case: domain.Case) -> domain.Change:
        new = domain.transition(case, status)
        return domain.record(case, bootstrap.utc_now(), "broker",
                             [("status_changed", {"status": new, "from": case.status})], status=new)
    bootstrap.case_service().change(broker_id, case_id, command)


def test_listing_filters_by_status(client, broker, clock):
    broker_id, key = broker
    ids = []
    for n in range(4):
        clock.advance(seconds=1)
        ids.append(open_case(client, key, invoice__number=f"INV-{n}")["case_id"])
    _set_status(broker_id, ids[1], "disputed")
    _set_status(broker_id, ids[3], "disputed")

    assert listing(client, key, "&status=disputed") == [ids[3], ids[1]]
    assert listing(client, key, "&status=open") == [ids[2], ids[0]]
    assert listing(client, key, "&status=paid") == []
    assert listing(client, key) == ids[::-1]
    disputed = get(client, "/admin/cases?status=disputed", key).json_body["items"]
    assert {c["status"] for c in disputed} == {"disputed"}


def test_an_unknown_status_filter_is_a_400_naming_status(client, broker):
    _, key = broker
    answer = get(client, "/admin/cases?status=closed", key)
    assert answer.status_code == 400
    assert answer.json_body["error"]["field"] == "status"


def test_an_unknown_case_is_a_json_404(client, broker):
    _, key = broker
    answer = get(client, "/admin/cases/c0000000000000000", key)
    assert answer.status_code == 404
    assert answer.json_body["error"]["code"] == "not_found"
    assert answer.json_body["error"]["field"] == "case_id"


def test_the_case_view_says_whether_its_history_is_intact(client, broker):
    from chalicelib.adapters import keys
    from tests.conftest import TABLE

    broker_id, key = broker
    case = open_case(client, key)
    post(client, f"/admin/cases/{case['case_id']}/notes", key, {"kind": "call", "text": "will pay Friday"})
    assert read_case(client, key, case["case_id"])["history_verified"] is True

    bootstrap.aws("dynamodb").update_item(  # someone with table access rewrites what the customer said
        TableName=TABLE, Key={"PK": {"S": keys.case_pk(broker_id, case["case_id"])}, "SK": {"S": keys.event_sk(3)}},
        UpdateExpression="SET #d = :d", ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":d": {"S": '{"kind":"call","text":"refused to pay"}'}})

    tampered = read_case(client, key, case["case_id"])
    assert tampered["events"][2]["data"]["text"] == "refused to pay"
    assert tampered["history_verified"] is False
