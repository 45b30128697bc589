"""A customer and a broker on the API, with the reminder sweep, SES, SQS and S3 on moto and a clock to move.

What was emailed is read from moto's own record of SES; what the sweep did, from the case history.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.domain.history import Event
from portal import infra
from tests.conftest import SITE
from tests.integration.reminder_stack import REGION, SentEmail, Stack, sent_emails

BUCKET = "evidence-test"
START = datetime.fromisoformat("2026-10-01T09:00:00+00:00")  # the invoice is due on Saturday 31 October
CUSTOMER = "jane@example.test"
BROKER = "ar@acme.test"


class World:
    def __init__(self, client: Client, monkeypatch: pytest.MonkeyPatch, start: datetime = START) -> None:
        monkeypatch.setenv("EVIDENCE_BUCKET", BUCKET)
        infra.create_evidence_bucket(boto3.client("s3"), BUCKET, SITE, REGION)
        self.stack = Stack(monkeypatch, start)  # patches the services' clock, then rebuilds them
        self.client = client
        self.key = self.stack.key

    @property
    def now(self) -> datetime:
        return self.stack.clock.now

    def at(self, text: str) -> None:
        """Set the clock, sweeping whatever fell due on the way (as the 15-minute schedule would)."""
        self.stack.travel(datetime.fromisoformat(text.replace("Z", "+00:00")))

    def open_case(self, number: str = "INV-1", **overrides: Any) -> tuple[str, str]:
        """(case id, pay token) of a new case."""
        case = self.stack.open_case(number, **overrides)
        return case.case_id, bootstrap.pay_links().token(case)

    def token(self, case_id: str) -> str:
        """The token of the case's current link, as in the customer's latest email."""
        return bootstrap.pay_links().token(self.stack.case(case_id)[0])

    # --- as the customer's page and the broker call the API ---------------------------------------------

    def customer(self, path: str, token: str | None, body: Any) -> Any:
        headers = {"Content-Type": "application/json", "Origin": SITE}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.http.post(path, headers=headers, body=json.dumps(body))

    def broker(self, path: str, body: Any) -> Any:
        return self.client.http.post(path, headers={"Authorization": f"Bearer {self.key}",
                                                    "Content-Type": "application/json"}, body=json.dumps(body))

    def read(self, case_id: str) -> dict[str, Any]:
        answer = self.client.http.get(f"/admin/cases/{case_id}", headers={"Authorization": f"Bearer {self.key}"})
        assert answer.status_code == 200, answer.json_body
        return answer.json_body

    def dispute(self, case_id: str, **body: Any) -> Any:
        """The customer disputes, with the link of their latest email (reminders renew it as it ages)."""
        return self.customer("/customer/dispute", self.token(case_id), {
            "reason": "quality", "message": "The chairs arrived broken", **body})

    def resolve(self, case_id: str, dispute_id: str = "d1", **body: Any) -> Any:
        return self.broker(f"/admin/cases/{case_id}/disputes/{dispute_id}/resolve",
                           {"message": "We looked at the delivery", **body})

    # --- what happened ---------------------------------------------------------------------------------------

    def events(self, case_id: str, *types: str) -> list[Event]:
        return [e for e in self.stack.case(case_id)[1] if not types or e.type in types]

    def emails(self, to: str | None = None) -> list[SentEmail]:
        return [m for m in sent_emails() if to is None or m.to == to]

    def subjects(self, to: str) -> list[str]:
        return [m.subject for m in self.emails(to)]


def link_in(text: str) -> str:
    """The pay token of the pay link in an email."""
    match = re.search(r"http://site\.test/pay#([A-Za-z0-9._-]+)", text)
    assert match, text
    return match.group(1)
