"""DynamoStore against moto, and the contract that the in-memory fake must honour just the same."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib import bootstrap
from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoStore
from chalicelib.domain import cases as domain
from chalicelib.domain import payments
from chalicelib.domain.cases import BrokerContact, Case, Change, Customer, Invoice, Link, iso
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, VersionConflict
from chalicelib.domain.history import Event, verify_history
from tests.conftest import TABLE, case_body
from tests.fakes import InMemoryCaseStore

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def opening(broker_id: str = "b1", case_id: str = "c1", *, number: str = "INV-1", minutes: int = 0,
            amount: int = 10000) -> Change:
    at = T0 + timedelta(minutes=minutes)
    return domain.open_case(
        broker_id=broker_id, case_id=case_id, broker=BrokerContact("Acme", "ar@acme.test"),
        customer=Customer("Jane Müller", "jane@example.test", "+4915100000", "de", "Europe/Berlin", "gold"),
        invoice=Invoice(number, date(2026, 10, 1), date(2026, 10, 31), amount, "EUR", "Beratung, Oktober"),
        link=Link(f"l-{case_id}", 1, iso(at + timedelta(days=30))), at=at,
    )


def note(case: Case, text: str, minutes: int = 60) -> Change:
    return domain.add_note(case, kind="call", text=text, at=T0 + timedelta(minutes=minutes))


def paid_in_full(case: Case, at: datetime) -> Change:
    """The whole invoice paid by card, as Stripe's webhook records it (the payments ledger)."""
    change = payments.apply(case, [payments.succeeded("pi_1", case.balance.due, currency="EUR", method="card")], at=at)
    assert change is not None
    return change


def open_in(store: Any, broker_id: str = "b1", case_id: str = "c1", **kwargs: Any) -> Case:
    change = opening(broker_id, case_id, **kwargs)
    store.save(change, unique={"invoice.number": store.invoice_item(broker_id, change.case.invoice.number,
                                                                     case_id)})
    return change.case


# --- the contract: the fake and DynamoDB behave the same ----------------------------------------

@pytest.fixture(params=["memory", "dynamo"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return InMemoryCaseStore()
    request.getfixturevalue("aws_env")
    return bootstrap.store()


class TestCaseStoreContract:
    def test_a_saved_case_loads_with_its_whole_timeline(self, store):
        change = opening()
        store.save(change)
        case, events = store.load("b1", "c1")
        assert case == change.case
        assert events == list(change.events)
        assert type(case.balance.principal) is int and type(events[0].data["amount"]) is int
        assert verify_history(events, case.head_hash).ok

    def test_a_timeline_reads_page_by_page_newest_first_down_to_the_first_event(self, store):
        case = open_in(store)
        for n in range(9):  # 2 events from opening + 9 notes
            change = note(case, f"note {n}", minutes=n)
            store.save(change)
            case = change.case
        pages, before = [], None
        while True:
            loaded, events, before = store.load_page("b1", "c1", before=before, limit=4)
            assert loaded == case
            pages.append([e.seq for e in events])
            if before is None:
                break
        assert pages == [[8, 9, 10, 11], [4, 5, 6, 7], [1, 2, 3]]
        assert store.load_page("b1", "c1", before=None, limit=20)[1:] == (store.load("b1", "c1")[1], None)
        with pytest.raises(NotFound):
            store.load_page("b2", "c1", before=None, limit=4)

    def test_a_change_appends_events_and_bumps_the_version(self, store):
        case = open_in(store)
        store.save(note(case, "Rückruf um 15 Uhr ✓"))
        loaded, events = store.load("b1", "c1")
        assert loaded.version == 3
        assert [e.seq for e in events] == [1, 2, 3]
        assert events[-1].data == {"kind": "call", "text": "Rückruf um 15 Uhr ✓"}
        assert verify_history(events, loaded.head_hash).ok

    def test_an_unknown_case_is_not_found(self, store):
        with pytest.raises(NotFound) as raised:
            store.load("b1", "nope")
        assert raised.value.field == "case_id"

    def test_another_broker_cannot_load_the_case(self, store):
        open_in(store, "b1", "c1")
        with pytest.raises(NotFound):
            store.load("b2", "c1")

    def test_a_stale_version_is_a_version_conflict_and_writes_nothing(self, store):
        case = open_in(store)
        store.save(note(case, "first"))
        with pytest.raises(VersionConflict):
            store.save(note(case, "second, from a stale copy"))
        loaded, events = store.load("b1", "c1")
        assert loaded.version == 3
        assert [e.data.get("text") for e in events if e.type == "note_added"] == ["first"]

    def test_opening_the_same_case_twice_is_a_version_conflict(self, store):
        open_in(store)
        with pytest.raises(VersionConflict):
            store.save(opening(number="INV-2"))
        case, _ = store.load("b1", "c1")
        assert case.invoice.number == "INV-1"

    def test_a_duplicate_unique_item_is_a_conflict_naming_it_and_writes_nothing(self, store):
        open_in(store, "b1", "c1", number="INV-7")
        with pytest.raises(Conflict) as raised:
            open_in(store, "b1", "c2", number="INV-7")
        assert raised.value.field == "invoice.number"
        assert not isinstance(raised.value, VersionConflict)
        with pytest.raises(NotFound):
            store.load("b1", "c2")
        assert [c.case_id for c in store.list_cases("b1", status=None, limit=10, cursor=None)[0]] == ["c1"]

    def test_the_same_invoice_number_is_fine_for_another_broker(self, store):
        open_in(store, "b1", "c1", number="INV-7")
        open_in(store, "b2", "c2", number="INV-7")
        assert store.load("b2", "c2")[0].invoice.number == "INV-7"

    def test_idempotency_items_are_unique_and_readable(self, store):
        change = opening()
        store.save(change, unique={"Idempotency-Key": store.idempotency_item("b1", "k-1", "h1", "c1", 2**31)})
        assert store.get_idempotency("b1", "k-1") == ("h1", "c1")
        assert store.get_idempotency("b2", "k-1") is None
        with pytest.raises(Conflict) as raised:
            store.save(opening(case_id="c2"),
                       unique={"Idempotency-Key": store.idempotency_item("b1", "k-1", "h2", "c2", 2**31)})
        assert raised.value.field == "Idempotency-Key"
        assert store.get_idempotency("b1", "k-1") == ("h1", "c1")

    def test_listing_pages_through_a_brokers_cases_newest_first(self, store):
        for n in range(5):
            open_in(store, "b1", f"c{n}", number=f"INV-{n}", minutes=n)
        open_in(store, "b2", "other", number="INV-0")
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            page, cursor = store.list_cases("b1", status=None, limit=2, cursor=cursor)
            assert len(page) <= 2
            seen += [c.case_id for c in page]
            if cursor is None:
                break
        assert seen == ["c4", "c3", "c2", "c1", "c0"]

    def test_listing_filters_by_status_and_follows_status_changes(self, store):
        for n in range(3):
            open_in(store, "b1", f"c{n}", number=f"INV-{n}", minutes=n)
        case, _ = store.load("b1", "c1")
        store.save(paid_in_full(case, T0 + timedelta(hours=1)))
        paid, _ = store.list_cases("b1", status="paid", limit=10, cursor=None)
        still_open, _ = store.list_cases("b1", status="open", limit=10, cursor=None)
        assert [c.case_id for c in paid] == ["c1"]
        assert [c.case_id for c in still_open] == ["c2", "c0"]
        assert paid[0].balance.due == 0

    def test_a_cursor_only_continues_the_same_brokers_listing(self, store):
        for n in range(3):
            open_in(store, "b1", f"c{n}", number=f"INV-{n}", minutes=n)
        _, cursor = store.list_cases("b1", status=None, limit=1, cursor=None)
        assert cursor is not None
        for broker_id, status, bad in [("b2", None, cursor), ("b1", "open", cursor), ("b1", None, "not-a-cursor"),
                                       ("b1", None, "e30=")]:
            with pytest.raises(InvalidInput) as raised:
                store.list_cases(broker_id, status=status, limit=1, cursor=bad)
            assert raised.value.field == "cursor"


# --- DynamoDB specifics -------------------------------------------------------------------------

@pytest.fixture
def dynamo(aws_env: None) -> DynamoStore:
    return bootstrap.store()


@pytest.fixture
def calls(aws_env: None) -> Iterator[list[str]]:
    """Names of the DynamoDB operations made from here on, counted with botocore's event hooks."""
    made: list[str] = []

    def count(model: Any, **_: Any) -> None:
        made.append(model.name)

    client = bootstrap.aws("dynamodb")
    client.meta.events.register("before-call.dynamodb.*", count)
    yield made
    client.meta.events.unregister("before-call.dynamodb.*", count)


def raw_event(seq: int, case_id: str = "c1", broker_id: str = "b1") -> dict[str, Any]:
    return bootstrap.aws("dynamodb").get_item(
        TableName=TABLE, Key={"PK": {"S": keys.case_pk(broker_id, case_id)}, "SK": {"S": keys.event_sk(seq)}},
        ConsistentRead=True)["Item"]


def test_load_reads_the_case_and_its_timeline_in_one_query(dynamo, calls):
    case = open_in(dynamo)
    for n in range(20):
        change = note(case, f"note {n}", minutes=n)
        dynamo.save(change)
        case = change.case
    calls.clear()
    loaded, events = dynamo.load("b1", "c1")
    assert calls == ["Query"]
    assert len(events) == 22 and loaded.version == 22


def test_a_page_of_a_short_timeline_is_one_query_and_of_a_long_one_a_query_and_a_get(dynamo, calls):
    case = open_in(dynamo)
    calls.clear()
    dynamo.load_page("b1", "c1", before=None, limit=5)
    assert calls == ["Query"]
    for n in range(5):
        change = note(case, f"note {n}", minutes=n)
        dynamo.save(change)
        case = change.case
    calls.clear()
    dynamo.load_page("b1", "c1", before=None, limit=5)
    assert calls == ["Query", "GetItem"]


def test_every_change_is_one_transaction(dynamo, calls):
    change = opening()
    dynamo.save(change, unique={"invoice.number": dynamo.invoice_item("b1", "INV-1", "c1")})
    assert calls == ["TransactWriteItems"]
    calls.clear()
    dynamo.save(paid_in_full(change.case, T0))  # four events
    assert calls == ["TransactWriteItems"]
    assert [e.type for e in dynamo.load("b1", "c1")[1]][-4:] == ["payment_received", "status_changed",
                                                                  "receipt_due", "broker_notified"]


def test_a_service_change_is_one_query_and_one_transaction(broker, calls):
    broker_id, _ = broker
    service = bootstrap.case_service()
    case, _ = service.create(broker_id, case_body(), None)
    calls.clear()
    service.add_note(broker_id, case.case_id, "call", "no answer")
    assert calls == ["Query", "TransactWriteItems"]


def test_events_are_put_only_where_none_exists(dynamo):
    case = open_in(dynamo)
    original = raw_event(2)
    forged = Event.seal(case.head_hash, 2, "note_added", iso(T0), "broker", {"kind": "note", "text": "overwrite"})
    # The case's own version check passes, so only the event's attribute_not_exists stops this.
    reuse = Change(replace(case, version=3, head_hash=forged.hash), (forged,), expected_version=case.version)
    with pytest.raises((ClientError, Conflict)):
        dynamo.save(reuse)
    assert raw_event(2) == original
    loaded, events = dynamo.load("b1", "c1")
    assert loaded.version == 2 and len(events) == 2
    assert verify_history(events, loaded.head_hash).ok


def test_a_duplicate_invoice_is_a_conflict_naming_the_field(broker):
    broker_id, _ = broker
    service = bootstrap.case_service()
    service.create(broker_id, case_body(), None)
    with pytest.raises(Conflict) as raised:
        service.create(broker_id, case_body(customer__name="Someone Else"), None)
    assert raised.value.field == "invoice.number"
    assert raised.value.code == "duplicate_invoice"
    items, _ = service.list_cases(broker_id, None, 10, None)
    assert [c.customer.name for c in items] == ["Jane Customer"]


def test_the_sweep_index_holds_only_cases_with_work_ahead(dynamo):
    case = open_in(dynamo)
    db = bootstrap.aws("dynamodb")

    def swept() -> list[str]:
        page = db.query(TableName=TABLE, IndexName="by_next_action", KeyConditionExpression="SweepPK = :p",
                        ExpressionAttributeValues={":p": {"S": keys.sweep_pk(keys.sweep_shard("c1"))}})
        return [i["SweepSK"]["S"] for i in page["Items"]]

    assert swept() == []
    due = "2026-11-09T09:00:00.000Z"
    change = domain.record(case, T0, "system", [("reminder_scheduled", {"at": due})], next_action_at=due)
    dynamo.save(change)
    assert swept() == [keys.sweep_sk(due, "b1", "c1")]
    dynamo.save(paid_in_full(change.case, T0))
    assert swept() == []


def test_tampering_with_a_stored_event_is_caught(dynamo):
    case = open_in(dynamo)
    dynamo.save(note(case, "customer promised 5000 by Friday"))
    bootstrap.aws("dynamodb").update_item(
        TableName=TABLE, Key={"PK": {"S": keys.case_pk("b1", "c1")}, "SK": {"S": keys.event_sk(3)}},
        UpdateExpression="SET #d = :d", ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":d": {"S": '{"kind":"call","text":"customer refused to pay"}'}},
    )
    loaded, events = dynamo.load("b1", "c1")
    assert events[2].data["text"] == "customer refused to pay"
    report = verify_history(events, loaded.head_hash)
    assert report.problems == ["event 3: content does not match its hash (edited)"]


def test_deleting_a_stored_event_is_caught(dynamo):
    case = open_in(dynamo)
    dynamo.save(note(case, "left voicemail"))
    bootstrap.aws("dynamodb").delete_item(
        TableName=TABLE, Key={"PK": {"S": keys.case_pk("b1", "c1")}, "SK": {"S": keys.event_sk(3)}})
    loaded, events = dynamo.load("b1", "c1")
    assert not verify_history(events, loaded.head_hash).ok


WRITERS, NOTES_EACH = 12, 6


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_notes_all_land_and_the_chain_holds(broker, round_):
    """Many writers on one case: every acknowledged note is in the history, once, and the chain verifies.

    Without portal.moto_atomic, moto loses some of these (see there): this fails in every round.
    """
    broker_id, _ = broker
    service = bootstrap.case_service()
    case, _ = service.create(broker_id, case_body(invoice__number=f"INV-{round_}"), None)
    start = threading.Barrier(WRITERS)
    acknowledged: list[str] = []
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=10)
            for k in range(NOTES_EACH):
                try:
                    service.add_note(broker_id, case.case_id, "note", f"note {n}.{k}")
                except Conflict as busy:  # a clean 409 after its retries: not acknowledged, nothing written
                    assert busy.code == "busy"
                    continue
                acknowledged.append(f"note {n}.{k}")
        except BaseException as exc:  # reported by the assertion below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    loaded, events = bootstrap.store().load(broker_id, case.case_id)
    assert sorted(e.data["text"] for e in events if e.type == "note_added") == sorted(acknowledged)
    assert len(acknowledged) > WRITERS * NOTES_EACH // 2
    assert loaded.version == 2 + len(acknowledged)
    assert [e.seq for e in events] == list(range(1, loaded.version + 1))
    assert verify_history(events, loaded.head_hash).ok
