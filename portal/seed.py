"""Demo data: one broker and a handful of customers whose invoices are at different ages.

Everything goes through the real services, so the seeded cases carry the same events as any other.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib import bootstrap, schemas, validation
from chalicelib.domain.cases import Case
from chalicelib.services import brokers

BROKER_NAME = "Demo Brokers Ltd"
BROKER_EMAIL = "collections@demo-brokers.test"


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    email: str
    phone: str | None
    locale: str
    timezone: str
    currency: str
    amount: int  # minor units
    days_overdue: int  # negative: not yet due
    description: str
    tier: str | None = None


CUSTOMERS = (
    DemoCustomer("Ana García", "ana.garcia@example.test", "+34910000101", "es", "Europe/Madrid",
                 "EUR", 84_000, -10, "Diseño web, noviembre"),
    DemoCustomer("Oliver Bennett", "oliver.bennett@example.test", "+442070000102", "en", "Europe/London",
                 "GBP", 125_000, 0, "Bookkeeping, Q3"),
    DemoCustomer("Claire Dubois", "claire.dubois@example.test", None, "fr", "Europe/Paris",
                 "EUR", 312_050, 5, "Traduction juridique"),
    DemoCustomer("Jonas Becker", "jonas.becker@example.test", "+493000000104", "de", "Europe/Berlin",
                 "EUR", 45_990, 25, "Wartungsvertrag Oktober"),
    DemoCustomer("Maya Thompson", "maya.thompson@example.test", "+14155550105", "en", "America/Los_Angeles",
                 "USD", 1_999_900, 50, "Annual software licence", "key_account"),
)


def case_body(customer: DemoCustomer, number: str, today: date) -> dict[str, Any]:
    due_on = today - timedelta(days=customer.days_overdue)
    person: dict[str, Any] = {"name": customer.name, "email": customer.email, "locale": customer.locale,
                              "timezone": customer.timezone}
    if customer.phone:
        person["phone"] = customer.phone
    if customer.tier:
        person["tier"] = customer.tier
    body = {
        "customer": person,
        "invoice": {"number": number, "amount": customer.amount, "currency": customer.currency,
                    "issued_on": (due_on - timedelta(days=30)).isoformat(), "due_on": due_on.isoformat(),
                    "description": customer.description},
    }
    validation.validate(body, schemas.CREATE_CASE)  # the same checks as POST /admin/cases
    return body


def seed() -> tuple[str, str, list[Case]]:
    """Create the demo broker and its cases; returns (broker_id, api_key, cases)."""
    broker, api_key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, BROKER_NAME, BROKER_EMAIL)
    today = bootstrap.utc_now().date()
    cases = []
    for n, customer in enumerate(CUSTOMERS, start=1):
        body = case_body(customer, f"DEMO-{1000 + n}", today)
        case, _ = bootstrap.case_service().create(broker.broker_id, body, idempotency_key=None)
        cases.append(case)
    return broker.broker_id, api_key, cases
