"""The console's Today list: what needs a person now, each with its case, from the attention index."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.self_service_kit import World
from tests.conftest import get


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def today(world: World, key: str | None = None) -> dict:
    answer = get(world.client, "/admin/today", key or world.key)
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def kinds(view: dict) -> list[tuple[str, str]]:
    return [(i["kind"], i["invoice_number"]) for i in view["items"]]


def test_disputes_payment_claims_and_promises_due_today_are_listed_until_dealt_with(world, other_broker):
    disputed, _ = world.open_case("INV-D")
    claimed, _ = world.open_case("INV-P")
    promised, _ = world.open_case("INV-PR")
    quiet, _ = world.open_case("INV-Q")
    world.at("2026-11-05T10:00:00Z")
    assert world.dispute(disputed).status_code == 201
    assert world.customer("/customer/already-paid", world.token(claimed), {
        "paid_on": "2026-11-04", "method": "bank_transfer", "reference": "SEPA 1"}).status_code == 201
    assert world.customer("/customer/promise", world.token(promised), {"pay_by": "2026-11-09"}).status_code == 201

    view = today(world)
    assert kinds(view) == [("dispute", "INV-D"), ("already_paid", "INV-P")]  # the promise is not due yet
    first = view["items"][0]
    assert first["case_id"] == disputed and first["customer_name"] == "Jane Customer"
    assert first["balance"] == {"amount": 125000, "currency": "EUR"}
    assert (first["since"], first["detail"]) == ("2026-11-05T10:00:00.000Z", "quality")
    assert view["counts"]["dispute"] == 1 and view["counts"]["promise_due"] == 0

    world.at("2026-11-09T08:00:00Z")  # the promised day, in the broker's time zone (UTC by default)
    assert ("promise_due", "INV-PR") in kinds(today(world))
    assert not any(i["case_id"] == quiet for i in today(world)["items"])

    # The broker finds the claimed payment: the claim leaves the list.
    paid = world.broker(f"/admin/cases/{claimed}/payments", {
        "amount": 125000, "method": "bank_transfer", "reference": "SEPA 1", "received_on": "2026-11-04"})
    assert paid.status_code == 201, paid.json_body
    assert ("already_paid", "INV-P") not in kinds(today(world))
    # Deciding the dispute takes it off the list too.
    assert world.resolve(disputed, outcome="rejected").status_code == 200
    assert ("dispute", "INV-D") not in kinds(today(world))

    assert today(world, other_broker[1]) == {"items": [], "counts": {k: 0 for k in view["counts"]}}
