"""Disputes through the API: opened by the customer, evidence uploaded to S3, answered by the broker, never
forgotten; the ladder pauses while a dispute is open and continues where it stood afterwards."""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from tests.api.self_service_kit import BROKER, BUCKET, CUSTOMER, World


@pytest.fixture
def world(client, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(client, monkeypatch)


def test_a_dispute_pauses_reminders_tells_the_broker_and_is_in_both_timelines(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")  # the -3, +0 and +3 reminders went out
    answer = world.dispute(case_id, amount=40000)

    assert answer.status_code == 201, answer.json_body
    body = answer.json_body
    assert body["dispute_id"] == "d1" and body["status"] == "disputed"
    assert body["dispute"] == {"dispute_id": "d1", "reason": "quality", "amount": 40000, "status": "open", "files": 0}
    assert body["timeline"][-2:] == [
        {"type": "dispute_opened", "at": "2026-11-05T10:00:00.000Z", "data": {"reason": "quality"}},
        {"type": "status_changed", "at": "2026-11-05T10:00:00.000Z", "data": {"status": "disputed"}}]
    assert answer.headers["Access-Control-Allow-Origin"] == "*"

    opened = world.events(case_id, "dispute_opened")
    assert [(e.actor, e.data["message"], e.data["disputed"]) for e in opened] == [
        ("customer", "The chairs arrived broken", 40000)]
    notice = world.emails(BROKER)[-1]
    assert notice.subject == "New dispute: invoice INV-1 (Jane Customer)"
    assert "The chairs arrived broken" in notice.text and "€400.00" in notice.text
    admin = world.read(case_id)
    assert admin["reminders"]["next_step"]["reason"] == "case is disputed"
    assert admin["disputes"][0]["status"] == "open"

    sent_before = len(world.emails(CUSTOMER))
    world.at("2026-11-11T10:00:00Z")  # +10 (10 November) would have gone out by now
    assert len(world.emails(CUSTOMER)) == sent_before


def test_the_same_dispute_sent_twice_is_one_dispute_and_one_email(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    first, second = world.dispute(case_id), world.dispute(case_id)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json_body == second.json_body
    assert len(world.events(case_id, "dispute_opened")) == 1
    assert len(world.emails(BROKER)) == 1


def test_an_unanswered_dispute_is_raised_to_the_broker_every_seven_days_until_answered(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    world.dispute(case_id)
    world.at("2026-11-20T09:00:00Z")

    raised = world.events(case_id, "dispute_raised_again")
    assert [(e.at, e.actor, e.data["times"], e.data["days_open"]) for e in raised] == [
        ("2026-11-12T10:00:00.000Z", "system", 1, 7), ("2026-11-19T10:00:00.000Z", "system", 2, 14)]
    assert world.subjects(BROKER) == ["New dispute: invoice INV-1 (Jane Customer)"] + [
        "Still unanswered: dispute on invoice INV-1 (Jane Customer)"] * 2

    assert world.resolve(case_id, outcome="rejected").status_code == 200
    world.at("2026-12-31T09:00:00Z")
    assert len(world.events(case_id, "dispute_raised_again")) == 2  # answered: never raised again


def test_rejected_resumes_the_ladder_where_it_stood_not_from_the_start(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")  # -3, +0, +3 done; +10 was due on 10 November
    world.dispute(case_id)
    world.at("2026-11-20T09:00:00Z")
    answer = world.resolve(case_id, outcome="rejected", message="The delivery note is signed without remarks")

    assert answer.status_code == 200, answer.json_body
    body = answer.json_body
    assert body["status"] == "open" and body["balance"]["due"] == 125000
    resumed = [e for e in body["events"] if e["type"] == "reminders_resumed"]
    assert resumed[-1]["data"] == {"paused_days": 15, "reason": "dispute rejected"}
    # The next rung is +10, fifteen days later: Wednesday 25 November, 08:00 in Berlin.
    assert body["reminders"]["next_step"]["step"]["step"] == "+10"
    assert body["reminders"]["next_step"]["at"] == "2026-11-25T07:00:00.000Z"
    outcome = world.emails(CUSTOMER)[-1]
    assert outcome.subject == "Our answer to your dispute about invoice INV-1"
    assert "cannot agree" in outcome.text and "The delivery note is signed without remarks" in outcome.text

    world.at("2026-11-26T09:00:00Z")
    sent = [e for e in world.events(case_id, "reminder_sent") if e.data["channel"] == "email"]
    assert [e.data["step"] for e in sent] == ["-3", "+0", "+3", "+10"]
    assert sent[-1].at == "2026-11-25T07:00:00.000Z"


def test_upheld_in_full_credits_the_balance_and_closes_the_case(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    world.dispute(case_id, reason="not_received", message="Nothing was ever delivered")
    answer = world.resolve(case_id, outcome="upheld", message="The carrier lost the parcel")

    body = answer.json_body
    assert body["status"] == "paid" and body["next_action_at"] is None
    assert body["balance"] | {} == {**body["balance"], "discount": 125000, "due": 0, "credit": 0, "paid": 0}
    assert [e["type"] for e in body["events"][-3:]] == ["dispute_resolved", "credit_applied", "status_changed"]
    assert body["events"][-3]["actor"] == "broker"
    outcome = world.emails(CUSTOMER)[-1]
    assert "agree with you: €1,250.00 comes off the balance" in outcome.text
    assert "Pay now" not in outcome.text

    customer_view = world.client.http.get("/customer/case",
                                          headers={"Authorization": f"Bearer {world.token(case_id)}"})
    assert customer_view.json_body["status"] == "paid"
    assert customer_view.json_body["timeline"][-3]["data"] == {"outcome": "upheld"}


def test_partially_upheld_credits_part_of_it_and_reminders_continue_for_the_rest(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    world.dispute(case_id, reason="wrong_amount", message="Two chairs were missing", amount=30000)
    answer = world.resolve(case_id, outcome="partially_upheld", credit_amount=20000,
                           message="One chair was delivered later")
    body = answer.json_body
    assert body["status"] == "open" and body["balance"]["discount"] == 20000 and body["balance"]["due"] == 105000
    assert body["disputes"][0] | {} == {**body["disputes"][0], "status": "partially_upheld", "credit": 20000}
    assert body["reminders"]["next_step"]["step"]["step"] == "+10"
    assert "agree with part of it: €200.00 comes off the balance" in world.emails(CUSTOMER)[-1].text


def test_mediation_pauses_until_its_date_then_the_ladder_resumes_and_the_broker_is_told(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    world.dispute(case_id)
    answer = world.resolve(case_id, outcome="mediation", mediator="Consumer Arbitration Board",
                           until="2026-12-01T10:00:00Z", message="We asked the arbitration board")
    body = answer.json_body
    assert body["status"] == "disputed" and body["next_action_at"] == "2026-12-01T10:00:00.000Z"
    assert body["disputes"][0]["mediator"] == "Consumer Arbitration Board"
    mediation = world.emails(CUSTOMER)[-1]
    assert mediation.subject == "Your dispute about invoice INV-1 goes to mediation"
    assert "Consumer Arbitration Board" in mediation.text and "December 1, 2026" in mediation.text

    customer_emails = len(world.emails(CUSTOMER))
    world.at("2026-11-30T10:00:00Z")
    assert world.events(case_id, "dispute_raised_again") == []  # answered: a mediation is an answer
    assert len(world.emails(CUSTOMER)) == customer_emails

    world.at("2026-12-01T10:00:00Z")
    ended = world.read(case_id)
    assert ended["status"] == "open" and ended["disputes"][0]["status"] == "mediation_ended"
    assert [e["type"] for e in ended["events"][-3:]] == ["mediation_ended", "status_changed", "reminders_resumed"]
    assert world.subjects(BROKER)[-1] == "Mediation period over: invoice INV-1 (Jane Customer)"
    assert ended["reminders"]["next_step"]["step"]["step"] == "+10"

    final = world.resolve(case_id, outcome="partially_upheld", credit_amount=5000, message="The board decided")
    assert final.status_code == 200 and final.json_body["balance"]["due"] == 120000


def disputed_with_slot(world: World, filename: str, content_type: str, data: bytes) -> tuple[str, Any]:
    """A case disputed on 5 November, and the answer to the customer asking for one file's upload slot."""
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    world.dispute(case_id)
    return case_id, world.customer("/customer/dispute/attachments", world.token(case_id), {
        "dispute_id": "d1", "content_type": content_type, "filename": filename, "size": len(data)})


def test_evidence_goes_to_s3_through_a_presigned_post_and_the_broker_can_download_it(world):
    pdf = b"%PDF-1.4\n% a delivery note\n"
    case_id, answer = disputed_with_slot(world, "delivery note.pdf", "application/pdf", pdf)

    assert answer.status_code == 201, answer.json_body
    slot = answer.json_body
    assert slot["key"] == f"evidence/{world.stack.broker_id}/{case_id}/d1/a1.pdf"
    policy = json.loads(base64.b64decode(slot["fields"]["policy"]))
    assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert {"key": slot["key"]} in policy["conditions"] and {"bucket": BUCKET} in policy["conditions"]
    assert slot["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"

    # What the page does: the fields, then the file, as multipart form data.
    uploaded = requests.post(slot["url"], data=slot["fields"], files={"file": ("delivery note.pdf", pdf,
                                                                                "application/pdf")}, timeout=10)
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=slot["key"])
    assert stored["Body"].read() == pdf and stored["ContentType"] == "application/pdf"

    again = world.customer("/customer/dispute/attachments", world.token(case_id), {
        "dispute_id": "d1", "content_type": "application/pdf", "filename": "delivery note.pdf", "size": len(pdf)})
    assert again.status_code == 200 and again.json_body["key"] == slot["key"]

    listed = world.read(case_id)["disputes"][0]["attachments"]
    world.read(case_id)
    assert len(world.events(case_id, "dispute_attachment_added")) == 1  # seen in S3 once, recorded once
    assert [(a["key"], a["filename"], a["size"]) for a in listed] == [(slot["key"], "delivery note.pdf", len(pdf))]
    downloaded = requests.get(listed[0]["download_url"], timeout=10)
    assert downloaded.status_code == 200 and downloaded.content == pdf


def test_the_console_can_show_evidence_in_place_while_the_download_link_still_saves_a_file(world):
    pdf = b"%PDF-1.4\n% a delivery note\n"
    case_id, answer = disputed_with_slot(world, "delivery note.pdf", "application/pdf", pdf)
    slot = answer.json_body
    requests.post(slot["url"], data=slot["fields"], files={"file": ("delivery note.pdf", pdf, "application/pdf")},
                  timeout=10).raise_for_status()

    [listed] = world.read(case_id)["disputes"][0]["attachments"]
    shown = requests.get(listed["view_url"], timeout=10)
    saved = requests.get(listed["download_url"], timeout=10)
    assert shown.content == saved.content == pdf
    assert shown.headers["Content-Type"] == "application/pdf"
    assert shown.headers["Content-Disposition"] == 'inline; filename="delivery note.pdf"'
    assert saved.headers["Content-Disposition"] == 'attachment; filename="delivery note.pdf"'


def test_an_upload_slot_never_used_is_no_attachment_for_anyone_until_the_file_is_in_s3(world):
    png = b"\x89PNG\r\n\x1a\n a photo of the damage"
    case_id, answer = disputed_with_slot(world, "damage.png", "image/png", png)
    slot = answer.json_body

    # Asked for, never uploaded: the broker sees no file (no dead link) and the page counts none.
    assert world.read(case_id)["disputes"][0]["attachments"] == []
    mine = world.client.http.get("/customer/case", headers={"Authorization": f"Bearer {world.token(case_id)}"})
    assert mine.json_body["dispute"]["files"] == 0

    uploaded = requests.post(slot["url"], data=slot["fields"], files={"file": ("damage.png", png, "image/png")},
                             timeout=10)
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    mine = world.client.http.get("/customer/case", headers={"Authorization": f"Bearer {world.token(case_id)}"})
    assert mine.json_body["dispute"]["files"] == 1
    [listed] = world.read(case_id)["disputes"][0]["attachments"]
    assert (listed["filename"], listed["size"]) == ("damage.png", len(png))
    downloaded = requests.get(listed["download_url"], timeout=10)
    assert downloaded.status_code == 200 and downloaded.content == png


def test_a_slot_left_unused_past_its_time_is_dropped_and_frees_its_place(world):
    case_id, _ = world.open_case()
    world.at("2026-11-05T10:00:00Z")
    world.dispute(case_id)
    for n in range(5):
        answer = world.customer("/customer/dispute/attachments", world.token(case_id), {
            "dispute_id": "d1", "content_type": "image/png", "filename": f"p{n}.png", "size": 10})
        assert answer.status_code == 201, answer.json_body
    world.stack.later(hours=1)  # every slot has expired unused
    assert world.read(case_id)["disputes"][0]["attachments"] == []
    assert len(world.events(case_id, "dispute_upload_lapsed")) == 5
    again = world.customer("/customer/dispute/attachments", world.token(case_id), {
        "dispute_id": "d1", "content_type": "image/png", "filename": "p0.png", "size": 10})
    assert again.status_code == 201 and again.json_body["attachment_id"] == "a6"


def test_the_evidence_bucket_is_encrypted_private_and_takes_uploads_from_the_site_only(world):
    s3 = boto3.client("s3")
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    cors = s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert [(r["AllowedMethods"], r["AllowedOrigins"]) for r in cors] == [(["POST"], ["http://site.test"])]


# --- what makes no sense is refused -------------------------------------------------------------------------

def test_a_dispute_on_a_paid_case_is_a_409(world):
    case_id, _ = world.open_case()
    paid = world.broker(f"/admin/cases/{case_id}/payments", {"amount": 125000, "method": "bank_transfer",
                                                              "reference": "BT-9", "received_on": "2026-10-01"})
    assert paid.status_code == 201
    answer = world.dispute(case_id)
    assert answer.status_code == 409
    assert answer.json_body["error"] == {"code": "closed", "field": "status",
                                         "message": "this invoice is paid: there is nothing left to dispute"}
    assert world.events(case_id, "dispute_opened") == []


def test_a_second_different_dispute_while_one_is_open_is_a_409(world):
    case_id, _ = world.open_case()
    world.dispute(case_id)
    answer = world.dispute(case_id, reason="other", message="And the invoice is wrong too")
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "dispute_open"


def test_answering_a_dispute_twice_differently_is_a_409_and_evidence_after_the_answer_too(world):
    case_id, _ = world.open_case()
    world.dispute(case_id)
    assert world.resolve(case_id, outcome="rejected").status_code == 200
    assert world.resolve(case_id, outcome="rejected").status_code == 200  # the same answer: a retry
    second = world.resolve(case_id, outcome="upheld")
    assert second.status_code == 409 and second.json_body["error"]["code"] == "already_resolved"
    late = world.customer("/customer/dispute/attachments", world.token(case_id), {
        "dispute_id": "d1", "content_type": "image/png", "filename": "photo.png", "size": 100})
    assert late.status_code == 409 and late.json_body["error"]["code"] == "dispute_closed"
    assert len(world.events(case_id, "dispute_resolved")) == 1


def test_an_unknown_dispute_is_a_404_for_the_broker_and_the_customer(world):
    case_id, _ = world.open_case()
    assert world.resolve(case_id, "d3", outcome="rejected").status_code == 404
    slot = world.customer("/customer/dispute/attachments", world.token(case_id), {
        "dispute_id": "d3", "content_type": "image/png", "filename": "photo.png", "size": 100})
    assert slot.status_code == 404 and slot.json_body["error"]["field"] == "dispute_id"


@pytest.mark.parametrize(("body", "field"), [
    ({"reason": "bored"}, "reason"),
    ({"message": ""}, "message"),
    ({"amount": 0}, "amount"),
    ({"amount": "100"}, "amount"),
    ({"amount": 125001}, "amount"),
    ({"priority": "high"}, "priority"),
])
def test_bad_dispute_input_is_a_400_naming_the_field(world, body, field):
    case_id, _ = world.open_case()
    answer = world.dispute(case_id, **body)
    assert answer.status_code == 400, answer.json_body
    assert answer.json_body["error"]["field"] == field
    assert world.events(case_id, "dispute_opened") == []


@pytest.mark.parametrize(("body", "field"), [
    ({"content_type": "text/html"}, "content_type"),
    ({"size": 10 * 1024 * 1024 + 1}, "size"),
    ({"dispute_id": "../d1"}, "dispute_id"),
    ({"filename": ""}, "filename"),
])
def test_bad_evidence_requests_are_a_400_naming_the_field(world, body, field):
    case_id, _ = world.open_case()
    world.dispute(case_id)
    request = {"dispute_id": "d1", "content_type": "application/pdf", "filename": "a.pdf", "size": 10, **body}
    answer = world.customer("/customer/dispute/attachments", world.token(case_id), request)
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "maybe"}, "outcome"),
    ({"outcome": "partially_upheld"}, "credit_amount"),
    ({"outcome": "mediation", "until": "2026-12-01T10:00:00Z"}, "mediator"),
    ({"outcome": "mediation", "mediator": "Board", "until": "tomorrow"}, "until"),
    ({"outcome": "rejected", "mediator": "Board"}, "mediator"),
])
def test_bad_answers_are_a_400_naming_the_field(world, body, field):
    case_id, _ = world.open_case()
    world.dispute(case_id)
    answer = world.resolve(case_id, **body)
    assert answer.status_code == 400 and answer.json_body["error"]["field"] == field
    assert world.events(case_id, "dispute_resolved") == []


def test_a_dispute_needs_a_working_pay_link(world):
    case_id, _ = world.open_case()
    body = {"reason": "quality", "message": "Broken"}
    assert world.customer("/customer/dispute", None, body).status_code == 401
    assert world.customer("/customer/dispute", world.token(case_id)[:-2] + "xx", body).status_code == 401
    assert world.events(case_id, "dispute_opened") == []
