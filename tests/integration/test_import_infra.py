"""The import functions' infra: a private, stage-scoped bucket whose files expire, and roles that allow
exactly the AWS actions the functions were seen to call while importing."""
from __future__ import annotations

from typing import Any

import boto3
import pytest
import requests

from chalicelib import bootstrap
from chalicelib.services import brokers
from portal import infra
from portal.import_trigger import ImportTrigger
from tests.conftest import IMPORTS
from tests.integration import function_access as fa

RESOURCES = infra.template()["Resources"]
BUCKET_NAME = {"Fn::Sub": "${AWS::StackName}-imports-${AWS::AccountId}"}


def role_actions(role: str) -> set[str]:
    statements = RESOURCES[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    return {a for s in statements for a in s["Action"] if not a.startswith(("logs:", "xray:"))}


def test_the_bucket_is_private_stage_scoped_and_forgets_files():
    bucket = RESOURCES["ImportBucket"]["Properties"]
    assert bucket["BucketName"] == BUCKET_NAME  # one per stack, hence per stage
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert {r["Id"]: r.get("ExpirationInDays") for r in bucket["LifecycleConfiguration"]["Rules"]}[
        "expire-import-files"] == 30
    for function in ("ImportUploaded", "ImportWorker", "APIHandler"):
        assert RESOURCES[function]["Properties"]["Environment"]["Variables"]["IMPORT_BUCKET"] == BUCKET_NAME


class Calls:
    """The IAM action of each AWS call, under the function that was running."""

    def __init__(self) -> None:
        self.function = ""
        self.seen: dict[str, set[str]] = {"ImportUploaded": set(), "ImportWorker": set()}

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.function:
            self.seen[self.function] |= fa.iam_actions(model.service_model.signing_name, model.name, params)

    def running(self, function: str, handler: Any) -> Any:
        def run(event: dict[str, Any], context: Any) -> Any:
            self.function = function
            try:
                return handler(event, context)
            finally:
                self.function = ""
        return run


@pytest.fixture
def trigger(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> ImportTrigger:
    sqs = boto3.client("sqs")
    url = infra.create_function_queue(sqs, "ImportQueue", "imports-infra")
    monkeypatch.setenv("IMPORT_QUEUE_URL", url)
    monkeypatch.setenv("IMPORT_CHUNK_ROWS", "2")
    return ImportTrigger(boto3.client("s3"), sqs, IMPORTS, url)


def test_each_import_function_may_do_exactly_what_it_was_seen_doing(trigger, monkeypatch):
    import app

    calls = Calls()
    monkeypatch.setattr(app, "import_uploaded", calls.running("ImportUploaded", app.import_uploaded))
    monkeypatch.setattr(app, "import_worker", calls.running("ImportWorker", app.import_worker))
    session = boto3._get_default_session()
    session.events.register("provide-client-params.*.*", calls, unique_id="import-infra")
    bootstrap.reset()  # every client is built from here on, so each one hears the calls
    try:
        broker, _ = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Infra Ltd", "ar@infra.test")
        header = "customer_name,customer_email,invoice_number,amount,currency,issued_on,due_on\n"
        rows = "".join(f"C{i},c{i}@example.test,INV-{i},{i}.00,EUR,2026-10-01,2026-10-31\n" for i in range(1, 4))
        # A first import (a failed row), then the same invoices with ?update=true (new contact details).
        for update, text in ((False, header + rows + "Bad,bad,INV-9,1.00,EUR,2026-10-01,2026-10-31\n"),
                             (True, header + rows.replace("@example", "@new.example"))):
            job, slot = bootstrap.import_service().start(broker.broker_id, None, None, update, "f.csv")
            requests.post(slot["url"], data=slot["fields"], files={"file": ("f.csv", text.encode())}, timeout=30)
            while trigger.deliver():
                pass
            status = bootstrap.import_service().get(broker.broker_id, job.import_id)
            assert status["status"] == "finished" and status["created"] + status["updated"] == 3
    finally:
        session.events.unregister("provide-client-params.*.*", unique_id="import-infra")
    for function, seen in calls.seen.items():
        allowed = role_actions(f"{function}Role")
        received = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}  # Lambda's SQS poller
        assert seen == allowed - (received if function == "ImportWorker" else set()), function
