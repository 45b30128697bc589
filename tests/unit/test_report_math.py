"""The report arithmetic on its edges: aging buckets, DSO countback, medians, and a case's counters."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from chalicelib.domain import cases, closing, payments, report_figures
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.reports import bucket_of, dso_countback, median_of

AT = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize(("days", "bucket"), [(-5, "current"), (0, "current"), (1, "1-30"), (30, "1-30"),
                                              (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90"),
                                              (91, "90+"), (4000, "90+")])
def test_days_past_due_fall_in_one_bucket(days, bucket):
    assert bucket_of(days) == bucket


def test_dso_counts_back_whole_days_of_sales_then_the_fraction_of_the_day_that_covers_the_rest():
    assert dso_countback(0, [100]) == 0.0
    assert dso_countback(50, [100, 100]) == 0.5
    assert dso_countback(250, [100, 0, 100, 200]) == 3.2  # 100 + 0 + 100 whole days, then 50 of 200
    assert dso_countback(500, [100] * 3) is None  # more open than all the sales looked at


def test_the_median_of_a_histogram():
    assert median_of({}) is None
    assert median_of({3: 1}) == 3.0
    assert median_of({1: 2, 5: 1}) == 1.0
    assert median_of({1: 1, 4: 1}) == 2.5


def opened(amount: int = 10_000) -> cases.Change:
    return cases.open_case(
        broker_id="b1", case_id="c1", broker=cases.BrokerContact("Acme"), customer=cases.Customer("Jane", "j@x.test"),
        invoice=cases.Invoice("INV-1", date(2026, 10, 1), date(2026, 10, 31), amount, "EUR"),
        link=cases.Link("l1", 1, "2027-01-01T00:00:00.000Z"), at=AT)


def test_a_case_adds_its_open_balance_status_and_stage_and_a_payment_moves_them():
    new = opened()
    assert report_figures.deltas(new) == {
        "a|count": {"status|open": 1, "stage|not_started": 1},
        "a|open|EUR|2026-10-31": {"amount": 10_000, "cases": 1},
        "d|2026-12-01": {"billed|EUR": 10_000, "ar|EUR": 10_000}}

    fact = payments.succeeded("bt-1", 10_000, currency="EUR", method="other", source="offline")
    paid = payments.apply(new.case, [fact], at=AT, actor="broker")
    assert paid is not None and paid.before == new.case
    assert report_figures.deltas(paid) == {
        "a|count": {"status|open": -1, "status|paid": 1, "stage|not_started": -1},
        "a|open|EUR|2026-10-31": {"amount": -10_000, "cases": -1},
        "d|2026-12-01": {"collected|EUR": 10_000, "ar|EUR": -10_000, "paid": 1, "paid_days_late": 31}}


def test_a_write_off_counts_once_and_a_note_moves_nothing():
    new = opened()
    off = closing.write_off(new.case, DEFAULT_POLICY, AT, amount=4_000, reason="goodwill")
    assert report_figures.deltas(off) == {"a|open|EUR|2026-10-31": {"amount": -4_000},
                                          "d|2026-12-01": {"written_off|EUR": 4_000, "ar|EUR": -4_000}}
    assert report_figures.deltas(cases.add_note(off.case, kind="call", text="hi", at=AT)) == {}


def test_changes_of_one_item_in_one_transaction_are_merged():
    first = opened()
    second = cases.add_note(first.case, kind="call", text="hi", at=AT)
    merged = report_figures.merged([first, second, opened(5_000)])
    shard = report_figures.shard("c1")
    assert merged[("b1", shard, "a|open|EUR|2026-10-31")] == {"amount": 15_000, "cases": 2}
