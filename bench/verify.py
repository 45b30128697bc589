"""GET /admin/cases/{id}/verify on a case with 5,000 events (in-process moto): wall time and AWS calls.

Every event is its own change, so the case also has 5,000 anchors: the worst case for the listing.
Notes are 4,000 characters (the most a note may hold), so the timeline is about 20 MB.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as `python bench/verify.py`

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-cases", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
    "ANCHOR_BUCKET": "bench-anchors",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.calls import CallCounter, body  # noqa: E402
from chalicelib import bootstrap  # noqa: E402
from chalicelib.adapters.dynamo import case_item, event_item  # noqa: E402
from chalicelib.domain import cases as domain  # noqa: E402
from chalicelib.domain.cases import parse_iso  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402

EVENTS = 5_000


def grow(broker_id: str, case_id: str, notes: int) -> list[float]:
    """`notes` changes written straight to the table, each anchored as the app anchors it; the anchor times."""
    case, _ = bootstrap.store().load(broker_id, case_id)
    anchors = bootstrap.anchors()
    assert anchors is not None
    db, table = bootstrap.aws("dynamodb"), bootstrap.settings().table_name
    items, timings = [], []
    for n in range(notes):
        change = domain.add_note(case, kind="call", text=f"{n:05d} " + "x" * 3994,
                                 at=parse_iso(case.updated_at) + timedelta(seconds=1))
        case = change.case
        items += [event_item(broker_id, case_id, e) for e in change.events]
        started = time.perf_counter()
        anchors.record(broker_id, case_id, case.version, case.head_hash)
        timings.append(time.perf_counter() - started)
    for start in range(0, len(items), 25):
        db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]})
    db.put_item(TableName=table, Item=case_item(case))
    return timings


def main() -> None:
    with mock_aws():
        infra.create_table(boto3.client("dynamodb"), os.environ["TABLE_NAME"])
        infra.create_link_keys_secret(boto3.client("secretsmanager"), os.environ["LINK_KEYS_SECRET_ID"])
        infra.create_anchor_bucket(boto3.client("s3"), os.environ["ANCHOR_BUCKET"], os.environ["AWS_DEFAULT_REGION"])
        bootstrap.reset()
        broker, key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Bench Brokers")
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        from app import app

        with Client(app) as client:
            case_id = client.http.post("/admin/cases", headers=headers, body=body("VERIFY-1")).json_body["case_id"]
            opened = client.http.get(f"/admin/cases/{case_id}/verify", headers=headers).json_body["events"]
            anchor_times = grow(broker.broker_id, case_id, EVENTS - opened)
            counter = CallCounter()
            runs, answer = [], {}
            for _ in range(3):
                started = time.perf_counter()
                calls = counter.measure(lambda: answer.update(
                    client.http.get(f"/admin/cases/{case_id}/verify", headers=headers).json_body))
                runs.append(time.perf_counter() - started)
        detail = ", ".join(f"{op} x{n}" for op, n in sorted(calls.items()))
        print(f"verify, {answer['events']} events, verified={answer['verified']}: "
              f"median {statistics.median(runs):.2f} s of {len(runs)} runs ({detail})")
        print(f"anchor PutObject on moto: median {statistics.median(anchor_times) * 1000:.2f} ms "
              f"over {len(anchor_times)} writes")
        print(json.dumps({k: answer[k] for k in ("version", "anchored_version", "first_bad_event")}))


if __name__ == "__main__":
    main()
