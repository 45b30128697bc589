"""AWS calls per operation, counted with botocore's event hooks against moto (in-process).

Steady state, as a warm Lambda sees it: the broker key and the link keys are already cached.
Targets: GET /customer/case = 1 DynamoDB call; GET /admin/cases/{id} = 1; POST /admin/cases <= 2.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-cases", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import bootstrap  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402

SERVICES = ("dynamodb", "secretsmanager", "sqs", "ses", "sesv2", "sns", "s3")


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        for service in SERVICES:
            bootstrap.aws(service).meta.events.register("before-call.*.*", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1

    def measure(self, action: Callable[[], Any]) -> Counter[str]:
        self.calls.clear()
        action()
        return Counter(self.calls)


def body(number: str) -> str:
    return json.dumps({
        "customer": {"name": "Bench Customer", "email": "bench@example.test"},
        "invoice": {"number": number, "amount": 10000, "currency": "EUR", "issued_on": "2026-10-01",
                    "due_on": "2026-10-31"},
    })


def report(name: str, calls: Counter[str], target: str) -> None:
    dynamo = sum(n for op, n in calls.items() if op.startswith("dynamodb."))
    detail = ", ".join(f"{op} x{n}" for op, n in sorted(calls.items())) or "none"
    print(f"{name:34s} DynamoDB calls: {dynamo}   all AWS calls: {sum(calls.values())}   ({detail})   target: {target}")


def main() -> None:
    with mock_aws():
        infra.create_table(boto3.client("dynamodb"), os.environ["TABLE_NAME"])
        infra.create_link_keys_secret(boto3.client("secretsmanager"), os.environ["LINK_KEYS_SECRET_ID"])
        bootstrap.reset()
        _, key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Bench Brokers")
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        from app import app

        counter = CallCounter()
        with Client(app) as client:
            first = client.http.post("/admin/cases", headers=headers, body=body("WARM-1")).json_body
            token = first["pay_url"].split("#", 1)[1]
            customer = {"Authorization": f"Bearer {token}"}
            client.http.get("/customer/case", headers=customer)  # records link_opened once this hour

            report("POST /admin/cases", counter.measure(
                lambda: client.http.post("/admin/cases", headers=headers, body=body("BENCH-2"))), "<= 2 DynamoDB")
            report("GET /admin/cases/{id}", counter.measure(
                lambda: client.http.get(f"/admin/cases/{first['case_id']}", headers=headers)), "1 DynamoDB")
            report("GET /customer/case", counter.measure(
                lambda: client.http.get("/customer/case", headers=customer)), "1 DynamoDB")
            report("GET /admin/cases (list)", counter.measure(
                lambda: client.http.get("/admin/cases?limit=25", headers=headers)), "1 DynamoDB")


if __name__ == "__main__":
    main()
