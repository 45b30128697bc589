"""GET /admin/cases/{id}/evidence-pack and `portal verify PACK.zip`: a pack built from a case on moto, then
checked offline as it came, with one byte changed in each kind of file, and after a table edit."""
from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from chalicelib import bootstrap
from chalicelib.domain.history import Event
from chalicelib.domain.statement import statement
from chalicelib.services.statement_document import WITHHELD
from portal import cli
from portal.pack_trigger import PackTrigger
from tests.api.self_service_kit import CUSTOMER, World
from tests.api.test_verify import rewrite

PDF = b"%PDF-1.4\n% the delivery note the customer sent\n"


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def rich_case(world: World) -> str:
    """Reminders, a note in other scripts, a dispute with a file, its answer and a payment."""
    case_id, _ = world.open_case(customer__name="Zoë Ångström")
    world.at("2026-11-04T12:00:00Z")  # -3, +0 and +3 went out
    assert world.broker(f"/admin/cases/{case_id}/notes", {"kind": "call", "text": "Rang twice — Αθήνα office"}
                        ).status_code == 201
    world.dispute(case_id)
    slot = world.customer("/customer/dispute/attachments", world.token(case_id), {
        "dispute_id": "d1", "content_type": "application/pdf", "filename": "delivery note.pdf", "size": len(PDF)})
    body = slot.json_body
    assert requests.post(body["url"], data=body["fields"], files={"file": ("x.pdf", PDF, "application/pdf")},
                         timeout=10).status_code in (200, 201, 204)
    world.read(case_id)  # the broker's read finds the file in S3
    assert world.resolve(case_id, outcome="rejected").status_code == 200
    world.broker(f"/admin/cases/{case_id}/payments", {"amount": 25000, "method": "bank_transfer",
                                                       "reference": "TX-1", "received_on": "2026-11-04"})
    return case_id


def built(world: World, case_id: str, query: str = "", key: str | None = None) -> Any:
    """Ask for the pack (202: queued), let the evidence pack worker build it, ask again (200: the link)."""
    headers = {"Authorization": f"Bearer {key or world.key}"}
    queued = world.client.http.get(f"/admin/cases/{case_id}/evidence-pack{query}", headers=headers)
    assert queued.status_code == 202, queued.json_body
    assert queued.json_body["status"] == "building" and queued.headers["Location"] == queued.json_body["status_url"]
    PackTrigger(boto3.client("sqs"), os.environ["PACK_QUEUE_URL"]).drain()
    answer = world.client.http.get(f"/admin/cases/{case_id}/evidence-pack{query}", headers=headers)
    assert answer.status_code == 200, answer.json_body
    return answer


def download(world: World, case_id: str, query: str = "") -> tuple[dict[str, Any], bytes]:
    answer = built(world, case_id, query)
    fetched = requests.get(answer.json_body["url"], timeout=10)
    assert fetched.status_code == 200
    return answer.json_body, fetched.content


def files_of(pack: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def verify_offline(tmp_path: Path, pack: bytes, capsys: pytest.CaptureFixture[str],
                   monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """`portal verify PACK.zip` with no AWS at all: every endpoint and credential removed."""
    for name in ("AWS_ENDPOINT_URL", "TABLE_NAME", "ANCHOR_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "pack.zip"
    path.write_bytes(pack)
    status = cli.main(["verify", str(path), "--data-dir", str(tmp_path / "no-demo")])
    return status, capsys.readouterr().out


def test_the_pack_holds_the_statement_the_timeline_the_files_and_a_manifest(world):
    case_id = rich_case(world)
    answer, pack = download(world, case_id)
    files = files_of(pack)
    assert set(files) == {"statement.pdf", "timeline.json", "manifest.json", "attachments/d1/a1-delivery_note.pdf"}
    assert files["attachments/d1/a1-delivery_note.pdf"] == PDF
    assert files["statement.pdf"].startswith(b"%PDF")
    timeline = json.loads(files["timeline.json"])
    stored = world.events(case_id)
    assert [(e["seq"], e["hash"]) for e in timeline["events"]] == [(e.seq, e.hash) for e in stored]
    manifest = json.loads(files["manifest.json"])
    assert manifest["head_hash"] == timeline["head_hash"] == stored[-1].hash
    assert manifest["anchored"] == {"version": stored[-1].seq, "head_hash": stored[-1].hash}
    assert answer["size"] == len(pack) and answer["version"] == stored[-1].seq
    assert "X-Amz-Expires=900" in answer["url"]  # the broker's link works for 15 minutes


def test_the_statement_is_in_the_brokers_language(world):
    case_id = rich_case(world)
    _, pack = download(world, case_id, "?locale=de")
    assert json.loads(files_of(pack)["manifest.json"])["locale"] == "de"
    pdf = files_of(pack)["statement.pdf"]
    assert "Kontoauszug INV-1".encode("utf-16-be") in pdf or b"Kontoauszug INV-1" in pdf  # the document's title


def test_each_reminder_in_the_statement_reads_as_the_email_that_went_out(world):
    case_id = rich_case(world)
    case, events = bootstrap.store().load(world.stack.broker_id, case_id)
    found = statement(case, events)
    emails = {m.message_id: m.text for m in world.emails(CUSTOMER)}
    document = bootstrap.evidence_packs()._document  # what the PDF prints for each reminder
    checked = 0
    for line in found.reminders:
        if line.event.data["channel"] != "email":
            continue
        sent = emails[line.event.data["message_id"]]
        pay_url = next(w for w in sent.split() if w.startswith("http://site.test/pay#"))
        assert document.reminder_text(case, line) == sent.replace(pay_url, WITHHELD)
        checked += 1
    assert checked == 3


def test_a_pack_verifies_offline_and_a_changed_byte_in_any_file_is_named(world, tmp_path, capsys, monkeypatch):
    case_id = rich_case(world)
    _, pack = download(world, case_id)
    files = files_of(pack)
    status, out = verify_offline(tmp_path, pack, capsys, monkeypatch)
    assert status == 0 and "verified" in out

    note_seq = next(e["seq"] for e in json.loads(files["timeline.json"])["events"] if e["type"] == "note_added")
    manifest = json.loads(files["manifest.json"])
    changes = {
        "statement.pdf": (lambda b: b[:2000] + bytes([b[2000] ^ 1]) + b[2001:], "statement.pdf: does not match"),
        "timeline.json": (lambda b: b.replace(b"Rang twice", b"Rang thrice"[:10]),
                          f"timeline.json: event {note_seq}: content does not match its hash"),
        "attachments/d1/a1-delivery_note.pdf": (lambda b: b.replace(b"delivery", b"Delivery"),
                                                "attachments/d1/a1-delivery_note.pdf: does not match"),
        "manifest.json": (lambda b: b.replace(manifest["generated_at"].encode(),
                                              manifest["generated_at"].replace("2026", "2025").encode()),
                          "manifest.json: changed"),
    }
    for name, (change, named) in changes.items():
        tampered = {**files, name: change(files[name])}
        assert tampered[name] != files[name]
        status, out = verify_offline(tmp_path, zipped(tampered), capsys, monkeypatch)
        assert status == 2 and f"NOT VERIFIED: {named}" in out, (name, out)


def test_a_pack_built_after_a_table_edit_does_not_match_its_anchors(world, tmp_path, capsys, monkeypatch):
    case_id = rich_case(world)
    _, events = bootstrap.store().load(world.stack.broker_id, case_id)
    edited = [Event(e.seq, e.type, e.at, e.actor, {**e.data, "text": "Never rang"} if e.type == "note_added"
                    else e.data, e.prev_hash, e.hash) for e in events]
    rewrite(world.stack.broker_id, case_id, edited)  # every hash recomputed, the case's head moved to match

    _, pack = download(world, case_id)
    status, out = verify_offline(tmp_path, pack, capsys, monkeypatch)
    note_seq = next(e.seq for e in events if e.type == "note_added")
    assert status == 2 and f"NOT VERIFIED: timeline.json: event {note_seq}:" in out and "anchored" in out, out


def test_a_pack_is_built_off_the_request_and_its_status_says_when_it_is_ready(world):
    case_id = rich_case(world)
    headers = {"Authorization": f"Bearer {world.key}"}
    queued = world.client.http.get(f"/admin/cases/{case_id}/evidence-pack", headers=headers)
    assert queued.status_code == 202 and "url" not in queued.json_body
    status_url = queued.json_body["status_url"]
    assert world.client.http.get(status_url, headers=headers).json_body["status"] == "building"
    # Asking again while it builds queues nothing more: one build per head.
    assert world.client.http.get(f"/admin/cases/{case_id}/evidence-pack", headers=headers).status_code == 202
    trigger = PackTrigger(boto3.client("sqs"), os.environ["PACK_QUEUE_URL"])
    assert trigger.deliver() == 1 and trigger.deliver() == 0

    ready = world.client.http.get(status_url, headers=headers).json_body
    assert ready["status"] == "ready"
    pack = requests.get(ready["url"], timeout=10).content
    assert set(files_of(pack)) >= {"statement.pdf", "timeline.json", "manifest.json"}
    # The case moves on: its new head needs a new pack.
    world.broker(f"/admin/cases/{case_id}/notes", {"kind": "call", "text": "Rang again"})
    assert world.client.http.get(f"/admin/cases/{case_id}/evidence-pack", headers=headers).status_code == 202


def test_a_pack_never_asked_for_is_not_found(world):
    case_id = rich_case(world)
    answer = world.client.http.get(f"/admin/cases/{case_id}/evidence-packs/v1-en",
                                   headers={"Authorization": f"Bearer {world.key}"})
    assert answer.status_code == 404 and answer.json_body["error"]["field"] == "pack_id"
