"""The broker's sender and contact details: what the pay page shows and how reminder emails are sent."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.api.self_service_kit import CUSTOMER, World
from tests.conftest import auth, get

DETAILS = {"name": "Acme Receivables", "email": "ar@acme.test", "phone": "+442071234567",
           "reply_to": "collections@acme.test", "sender_name": "Acme Credit Team"}


def put(client, key, body):
    return client.http.put("/admin/settings", headers=auth(key), body=json.dumps(body))


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def test_a_broker_reads_and_replaces_the_details(client, broker):
    _, key = broker
    assert get(client, "/admin/settings", key).json_body == {
        "name": "Acme Brokers", "email": "ar@acme.test", "phone": None, "reply_to": None, "sender_name": None}
    answer = put(client, key, DETAILS)
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body == DETAILS == get(client, "/admin/settings", key).json_body
    # Left out is removed: a PUT is the whole set.
    assert put(client, key, {"name": "Acme", "email": "ar@acme.test"}).json_body == {
        "name": "Acme", "email": "ar@acme.test", "phone": None, "reply_to": None, "sender_name": None}


@pytest.mark.parametrize("body, field", [
    ({**DETAILS, "phone": "0207 123"}, "phone"), ({**DETAILS, "reply_to": "nobody"}, "reply_to"),
    ({k: v for k, v in DETAILS.items() if k != "name"}, "name"), ({**DETAILS, "name": "Acme\u202e"}, "name"),
    ({**DETAILS, "website": "https://acme.test"}, "website"), ({**DETAILS, "email": ""}, "email"),
])
def test_bad_details_are_a_400_naming_the_field_and_change_nothing(client, broker, body, field):
    _, key = broker
    put(client, key, DETAILS)
    answer = put(client, key, body)
    assert (answer.status_code, answer.json_body["error"]["field"]) == (400, field)
    assert get(client, "/admin/settings", key).json_body == DETAILS


def test_new_cases_show_the_details_and_reminders_use_them_as_sender(world):
    assert put(world.client, world.key, DETAILS).status_code == 200
    case_id, token = world.open_case()
    page = get(world.client, "/customer/case", token).json_body
    assert page["broker"] == {"name": "Acme Receivables", "email": "ar@acme.test", "phone": "+442071234567"}

    world.at("2026-10-28T12:00:00Z")  # the courtesy reminder goes out
    sent = world.emails(CUSTOMER)[-1]
    assert sent.raw["Reply-To"] == "collections@acme.test"
    assert sent.raw["From"].startswith("Acme Credit Team")
    assert "Acme Receivables" in sent.text  # signed with the broker's name
