"""change_case: the one way a service changes a case, on the in-memory store that the contract test keeps honest."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases as domain
from chalicelib.domain.cases import BrokerContact, Case, Change, Customer, Invoice, Link, iso
from chalicelib.domain.errors import Conflict
from chalicelib.services.unit_of_work import RETRIES, change_case
from tests.fakes import InMemoryCaseStore

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def stored_case() -> InMemoryCaseStore:
    store = InMemoryCaseStore()
    store.save(domain.open_case(
        broker_id="b1", case_id="c1", broker=BrokerContact("Acme"), customer=Customer("Jane", "jane@example.test"),
        invoice=Invoice("INV-1", date(2026, 10, 1), date(2026, 10, 31), 10000, "EUR"),
        link=Link("l1", 1, iso(T0 + timedelta(days=30))), at=T0))
    return store


def note(text: str):
    return lambda case: domain.add_note(case, kind="note", text=text, at=T0)


def test_a_change_lands_with_the_timeline_it_extends():
    store = stored_case()

    done = change_case(store, "b1", "c1", note("called"))

    assert done.created and [e.type for e in done.events] == ["note_added"]
    assert [e.type for e in done.history] == ["case_opened", "link_issued", "note_added"]
    assert store.load("b1", "c1")[0] == done.case


def test_nothing_to_do_stores_nothing():
    store = stored_case()

    done = change_case(store, "b1", "c1", lambda case: None)

    assert not done.created and done.events == () and done.case.version == 2


def test_a_concurrent_writer_makes_it_decide_again_on_the_newer_case():
    store = stored_case()
    seen: list[int] = []

    def decide(case: Case) -> Change:
        seen.append(case.version)
        if len(seen) == 1:  # another writer lands between our read and our write
            store.save(note("theirs")(case))
        return note("ours")(case)

    done = change_case(store, "b1", "c1", decide)

    assert seen == [2, 3]
    texts = [e.data["text"] for e in store.load("b1", "c1")[1] if e.type == "note_added"]
    assert texts == ["theirs", "ours"]  # neither change is lost
    assert done.case.version == 4


def test_a_held_snapshot_is_decided_first_and_only_the_case_item_read_again():
    store = stored_case()
    stale, _ = store.load("b1", "c1")
    store.save(note("meanwhile")(stale))

    class Reader:
        reads = 0

        def get_case(self, broker_id: str, case_id: str) -> Case:
            Reader.reads += 1
            return store.load(broker_id, case_id)[0]

    done = change_case(store, "b1", "c1", note("ours"), case=stale, reader=Reader())

    assert Reader.reads == 1 and done.case.version == 4
    assert [e.type for e in done.history] == ["note_added"]  # no timeline was read


def test_a_case_that_never_stops_changing_is_busy_after_one_budget():
    store = stored_case()
    attempts: list[int] = []

    def decide(case: Case) -> Change:
        attempts.append(case.version)
        store.save(note("someone else")(case))
        return note("ours")(case)

    with pytest.raises(Conflict) as busy:
        change_case(store, "b1", "c1", decide)

    assert (busy.value.code, busy.value.field, len(attempts)) == ("busy", "case_id", RETRIES)
