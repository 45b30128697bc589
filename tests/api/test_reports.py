"""Receivables, performance and forecast reports through the API on moto, from counters every case change
keeps current: exact figures for a seeded book, moved by payments, write-offs, partners and disputes."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from tests.api.self_service_kit import World, link_in
from tests.api.test_checkout import checkout
from tests.api.test_closing import add_partner, call, escalate
from tests.api.test_webhooks import deliver_all

# 2026-12-01 03:00 UTC is still 30 November in New York: whole days count on the broker's calendar.
NOW = "2026-12-01T03:00:00Z"
EUR_BOOK = [("E-current", 1000, "2026-12-05"), ("E-today", 2000, "2026-11-30"), ("E-30", 3000, "2026-10-31"),
            ("E-60", 4000, "2026-10-01"), ("E-90", 5000, "2026-09-01"), ("E-121", 6000, "2026-08-01")]
USD_BOOK = [("U-15", 7000, "2026-11-15")]


def report(world: World, path: str, key: str | None = None) -> Any:
    return world.client.http.get(path, headers={"Authorization": f"Bearer {key or world.key}"})


def ok(world: World, path: str) -> dict[str, Any]:
    answer = report(world, path)
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def set_time_zone(world: World, zone: str) -> None:
    assert call(world, "PUT", "/admin/notifications", {"timezone": zone}).status_code == 200


def seed(world: World) -> dict[str, str]:
    """The book: six EUR invoices, one in each bucket (two current), and one USD invoice. Number -> case id."""
    ids = {}
    for number, amount, due in EUR_BOOK + USD_BOOK:
        issued = (date.fromisoformat(due) - timedelta(days=30)).isoformat()
        currency = "USD" if number.startswith("U") else "EUR"
        case_id, _ = world.open_case(number, invoice__amount=amount, invoice__due_on=due, invoice__issued_on=issued,
                                     invoice__currency=currency)
        ids[number] = case_id
    return ids


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> World:
    from datetime import datetime

    return World(client, monkeypatch, start=datetime.fromisoformat(NOW.replace("Z", "+00:00")))


def buckets(currency: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {b["bucket"]: (b["amount"], b["cases"]) for b in currency["buckets"]}


def test_receivables_age_every_open_balance_in_whole_days_on_the_brokers_calendar(world):
    seed(world)
    set_time_zone(world, "America/New_York")

    answer = ok(world, "/admin/reports/receivables")

    assert (answer["as_of"], answer["timezone"]) == ("2026-11-30", "America/New_York")
    eur, usd = answer["currencies"]
    assert (eur["currency"], eur["open"], eur["cases"]) == ("EUR", 21000, 6)
    assert buckets(eur) == {"current": (3000, 2), "1-30": (3000, 1), "31-60": (4000, 1), "61-90": (5000, 1),
                            "90+": (6000, 1)}
    assert (usd["currency"], usd["open"], buckets(usd)["1-30"]) == ("USD", 7000, (7000, 1))
    assert answer["by_status"] == {"open": 7} and answer["by_stage"] == {"not_started": 7}

    # In UTC it is already 1 December: every invoice is a day later, and three cross a bucket's edge.
    set_time_zone(world, "UTC")
    eur = ok(world, "/admin/reports/receivables?currency=EUR")["currencies"]
    assert [c["currency"] for c in eur] == ["EUR"]
    assert buckets(eur[0]) == {"current": (1000, 1), "1-30": (2000, 1), "31-60": (3000, 1), "61-90": (4000, 1),
                               "90+": (11000, 2)}

    later = ok(world, "/admin/reports/receivables?as_of=2026-12-31&currency=EUR")["currencies"][0]
    assert buckets(later) == {"current": (0, 0), "1-30": (1000, 1), "31-60": (2000, 1), "61-90": (3000, 1),
                              "90+": (15000, 3)}


def test_payments_write_offs_partner_recoveries_and_disputes_move_the_figures(world):
    ids = seed(world)
    paid = world.broker(f"/admin/cases/{ids['E-121']}/payments", {
        "amount": 1000, "method": "bank_transfer", "reference": "BT-1", "received_on": "2026-12-01"})
    assert paid.status_code == 201, paid.json_body
    assert world.broker(f"/admin/cases/{ids['E-90']}/write-off", {"reason": "Insolvent"}).status_code == 201
    agency = add_partner(world, min_balance={})
    assert escalate(world, ids["E-60"], agency["partner_id"]).status_code == 201
    outcome = world.broker(f"/admin/cases/{ids['E-60']}/escalation/outcome", {
        "collected_amount": 1500, "collected_on": "2026-12-01", "closed": False, "returned_to_broker": False})
    assert outcome.status_code == 201, outcome.json_body
    assert world.dispute(ids["E-30"]).status_code == 201
    assert world.resolve(ids["E-30"], outcome="rejected").status_code == 200

    aging = ok(world, "/admin/reports/receivables?currency=EUR")
    assert buckets(aging["currencies"][0]) == {"current": (1000, 1), "1-30": (2000, 1), "31-60": (3000, 1),
                                               "61-90": (2500, 1), "90+": (5000, 1)}
    assert aging["currencies"][0]["open"] == 13500
    assert aging["by_status"] == {"escalated": 1, "open": 5, "written_off": 1}

    perf = ok(world, "/admin/reports/performance?from=2026-12-01&to=2026-12-01")
    eur, usd = perf["currencies"]
    assert eur == {"currency": "EUR", "collected": 2500, "written_off": 5000, "recovered_by_partners": 1500,
                   "billed": 21000, "open_at_start": 0, "open_at_end": 13500,
                   "dso_days": 0.6,  # 13,500 still open of the 21,000 billed that day
                   "cei_percent": 37.5}  # (0 + 21,000 - 13,500) / (0 + 21,000 - 1,000 not yet due)
    assert (usd["currency"], usd["collected"], usd["dso_days"], usd["cei_percent"]) == ("USD", 0, 1.0, 0.0)
    assert perf["disputes"] == [{"reason": "quality", "outcome": "rejected", "count": 1}]
    assert perf["avg_days_to_pay"] is None and perf["promises_kept_percent"] is None

    # The day before, nothing had happened yet.
    before = ok(world, "/admin/reports/performance?from=2026-11-30&to=2026-11-30")
    assert [(c["collected"], c["open_at_end"]) for c in before["currencies"]] == [(0, 0), (0, 0)]
    assert before["disputes"] == []


def test_reminders_sent_and_paid_through_their_link_are_counted_per_ladder_step(client, stripe_standin, monkeypatch):
    from datetime import datetime

    world = World(client, monkeypatch, start=datetime.fromisoformat("2026-10-01T09:00:00+00:00"))
    first, _ = world.open_case("INV-1")
    world.open_case("INV-2", invoice__amount=50000)
    world.at("2026-11-04T12:00:00Z")  # the +3 step of the default ladder went out to both
    email = [m for m in world.emails("jane@example.test") if "INV-1" in m.subject][-1]
    token = link_in(email.text)
    world.stack.later(days=2)

    assert checkout(client, token).status_code == 200
    [session] = stripe_standin.objects("checkout.session")
    stripe_standin.complete_session(session["id"])
    deliver_all(client, stripe_standin.events)
    assert world.read(first)["status"] == "paid"

    perf = ok(world, "/admin/reports/performance?from=2026-10-01&to=2026-11-30")
    steps = {s["step"]: s for s in perf["steps"]}
    sent = world.events(first, "reminder_sent")[-1]
    assert sent.data["link_id"] and sent.at[:10] == "2026-11-03"
    step = steps[sent.data["step"]]
    assert step["paid_via_link"] == 1 and step["collected"] == [{"amount": 125000, "currency": "EUR"}]
    assert step["median_days_to_pay"] == 3.0  # sent 3 November, paid 6 November
    assert all(s["sent"] >= 2 for s in steps.values())  # each step reached both customers
    assert sum(s["paid_via_link"] for s in steps.values()) == 1
    assert perf["payments_in_full"] == 1 and perf["avg_days_to_pay"] == 6.0  # due 31 Oct, paid 6 Nov


def test_the_forecast_is_what_the_sweep_then_sends(client, monkeypatch, other_broker):
    from datetime import datetime

    world = World(client, monkeypatch, start=datetime.fromisoformat("2026-10-26T09:00:00+00:00"))
    a, _ = world.open_case("INV-1")  # due Saturday 31 October
    world.open_case("INV-2", invoice__due_on="2026-11-02")
    world.open_case("INV-3", invoice__due_on="2026-12-31")  # nothing before December

    forecast = ok(world, "/admin/reports/forecast?days=7")["days"]
    assert [d["date"] for d in forecast] == [f"2026-{d}" for d in (
        "10-26", "10-27", "10-28", "10-29", "10-30", "10-31", "11-01")]

    world.at("2026-11-02T00:00:00Z")
    started: dict[str, dict[str, int]] = {}
    for number in ("INV-1", "INV-2", "INV-3"):
        case_id = next(c.case_id for c in listed(world) if c.invoice.number == number)
        for event in world.events(case_id, "reminder_started"):
            day = started.setdefault(event.at[:10], {})
            day[event.data["step"]] = day.get(event.data["step"], 0) + 1
    assert sum(d["contacts"] for d in forecast) == sum(sum(s.values()) for s in started.values()) >= 3
    assert {d["date"]: d["by_step"] for d in forecast if d["contacts"]} == started
    assert world.events(a, "reminder_started")  # the case did move on its ladder

    # Another broker's forecast is empty: the sweep index holds every broker's cases, the report only its own.
    theirs = report(world, "/admin/reports/forecast", key=other_broker[1]).json_body["days"]
    assert all(d["contacts"] == 0 for d in theirs)


def listed(world: World) -> list[Any]:
    cases, _ = bootstrap.store().list_cases(world.stack.broker_id, status=None, limit=100, cursor=None)
    return cases


def csv_rows(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.body.decode())))


def test_the_csv_files_hold_the_reports_figures_and_no_formula_runs(world):
    ids = seed(world)
    world.open_case("=HYPERLINK(\"http://evil.test\")", customer__name="@SUM(A1:A9)", invoice__amount=900)

    rows = csv_rows(report(world, "/admin/cases.csv?limit=100"))
    header, body = rows[0], rows[1:]
    assert len(body) == 8 and {"case_id", "status", "customer.name", "invoice.number", "balance.due"} <= set(header)
    cells = {c for row in body for c in row}
    assert "'@SUM(A1:A9)" in cells and "'=HYPERLINK(\"http://evil.test\")" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    by_case = {row[header.index("case_id")]: row for row in body}
    assert by_case[ids["E-60"]][header.index("balance.due")] == "4000"

    aging = csv_rows(report(world, "/admin/reports/receivables.csv?as_of=2026-12-31"))
    assert aging[0] == ["as_of", "currency", "bucket", "amount", "cases"]
    assert ["2026-12-31", "EUR", "90+", "15000", "3"] in aging and ["2026-12-31", "EUR", "total", "21900", "7"] in aging

    perf = csv_rows(report(world, "/admin/reports/performance.csv?from=2026-12-01&to=2026-12-01"))
    assert ["2026-12-01", "2026-12-01", "currency", "billed", "EUR", "21900"] in perf
    assert ["2026-12-01", "2026-12-01", "currency", "billed", "USD", "7000"] in perf


@pytest.mark.parametrize(("path", "field"), [
    ("/admin/reports/receivables?as_of=2026-02-30", "as_of"),
    ("/admin/reports/receivables?as_of=yesterday", "as_of"),
    ("/admin/reports/receivables?currency=XYZ", "currency"),
    ("/admin/reports/receivables?region=eu", "region"),
    ("/admin/reports/receivables.csv?currency=eur", "currency"),
    ("/admin/reports/performance?from=2026-12-02&to=2026-12-01", "from"),
    ("/admin/reports/performance?from=2025-01-01&to=2026-12-01", "to"),
    ("/admin/reports/performance.csv?to=2026-13-01", "to"),
    ("/admin/reports/forecast?days=0", "days"),
    ("/admin/reports/forecast?days=32", "days"),
    ("/admin/reports/forecast?days=week", "days"),
    ("/admin/cases.csv?status=lost", "status"),
    ("/admin/cases.csv?limit=1000", "limit"),
])
def test_a_bad_parameter_is_a_400_naming_it(world, path, field):
    answer = report(world, path)
    assert answer.status_code == 400, answer.body
    assert answer.json_body["error"]["field"] == field
