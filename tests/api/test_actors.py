"""Every change a person or an API key makes names them in the case history (`by`), inside what the hash
chain covers: the timeline, its verification, the evidence pack and `portal verify` all carry it."""
from __future__ import annotations

import json

import pytest
import requests

from chalicelib import bootstrap
from chalicelib.adapters import keys
from chalicelib.services import brokers
from tests.api.conftest import open_case, read_case
from tests.api.self_service_kit import World
from tests.api.test_evidence_pack import files_of, verify_offline
from tests.api.test_imports import HEADER, imported, trigger  # noqa: F401 - trigger is a fixture
from tests.conftest import get, post


def key_id(api_key: str) -> str:
    return "k" + brokers.hash_key(api_key)[:16]


def test_a_note_names_the_collector_who_wrote_it_and_a_key_names_itself(client, broker, console_users):
    broker_id, key = broker
    cara = console_users.create(broker_id, "collector", name="Cara Collector")
    case_id = open_case(client, key)["case_id"]

    noted = post(client, f"/admin/cases/{case_id}/notes", console_users.id_token(cara),
                 {"kind": "call", "text": "Promised to pay Friday"})

    assert noted.status_code == 201
    events = read_case(client, key, case_id)["events"]
    by_type = {e["type"]: e for e in events}
    assert by_type["note_added"]["by"] == {"kind": "user", "id": cara.id, "name": "Cara Collector"}
    assert by_type["note_added"]["actor"] == "broker"
    assert by_type["case_opened"]["by"] == {"kind": "api_key", "id": key_id(key), "name": "key 1"}
    assert get(client, f"/admin/cases/{case_id}/verify", key).json_body["verified"] is True


def test_what_customers_and_the_system_do_names_nobody(client, broker):
    _, key = broker
    case = open_case(client, key)
    assert get(client, "/customer/case", case["pay_url"].split("#", 1)[1]).status_code == 200
    events = read_case(client, key, case["case_id"])["events"]
    opened = [e for e in events if e["type"] == "link_opened"]
    assert opened and all("by" not in e for e in opened)


def test_changing_who_made_a_change_breaks_the_chain_at_that_event(client, broker, console_users):
    broker_id, key = broker
    case_id = open_case(client, key)["case_id"]
    post(client, f"/admin/cases/{case_id}/notes", console_users.token(broker_id, "collector", name="Cara"),
         {"kind": "call", "text": "Called"})
    seq = read_case(client, key, case_id)["events"][-1]["seq"]
    db, table = bootstrap.aws("dynamodb"), bootstrap.settings().table_name
    item_key = {"PK": {"S": keys.case_pk(broker_id, case_id)}, "SK": {"S": keys.event_sk(seq)}}
    item = db.get_item(TableName=table, Key=item_key)["Item"]
    by = json.loads(item["by"]["S"])
    db.put_item(TableName=table, Item={**item, "by": {"S": json.dumps({**by, "name": "Olga Owner"})}})

    answer = get(client, f"/admin/cases/{case_id}/verify", key).json_body
    assert answer["verified"] is False
    assert answer["first_bad_event"] == {"seq": seq, "problem": "content does not match its hash (edited)"}


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(client, monkeypatch)


def test_the_evidence_pack_timeline_names_who_and_verifies_offline(world, console_users, tmp_path, capsys,
                                                                  monkeypatch):
    case_id, _ = world.open_case()
    token = console_users.token(world.stack.broker_id, "collector", name="Cara Collector")
    assert post(world.client, f"/admin/cases/{case_id}/notes", token, {"kind": "call", "text": "Rang"}
                ).status_code == 201

    answer = get(world.client, f"/admin/cases/{case_id}/evidence-pack", world.key)
    assert answer.status_code == 200, answer.json_body
    pack = requests.get(answer.json_body["url"], timeout=10).content
    timeline = json.loads(files_of(pack)["timeline.json"])
    [note] = [e for e in timeline["events"] if e["type"] == "note_added"]
    assert note["by"]["name"] == "Cara Collector" and note["by"]["kind"] == "user"
    status, out = verify_offline(tmp_path, pack, capsys, monkeypatch)
    assert status == 0, out


def test_a_policy_version_names_who_stored_it(client, broker, console_users):
    broker_id, _ = broker
    owner = console_users.create(broker_id, "owner", name="Olga Owner")
    token = console_users.id_token(owner)
    policy = get(client, "/admin/policy", token).json_body["policy"]
    stored = client.http.request("PUT", "/admin/policy", headers={"Authorization": f"Bearer {token}",
                                                                  "Content-Type": "application/json"},
                                 body=json.dumps(policy))
    assert stored.json_body["updated_by"] == {"kind": "user", "id": owner.id, "name": "Olga Owner"}


def test_cases_an_import_opens_name_whoever_started_it(client, broker, console_users, trigger):  # noqa: F811
    broker_id, key = broker
    owner = console_users.token(broker_id, "owner", name="Olga Owner")
    finished = imported(trigger, client, owner, (HEADER + "Ann,ann@example.test,IMP-1,10.00,EUR,2026-10-01,"
                                                 "2026-10-31\n").encode())
    assert finished["created"] == 1
    case_id = get(client, "/admin/cases", key).json_body["items"][0]["case_id"]
    opened = next(e for e in read_case(client, key, case_id)["events"] if e["type"] == "case_opened")
    assert opened["by"]["name"] == "Olga Owner" and opened["by"]["kind"] == "user"
