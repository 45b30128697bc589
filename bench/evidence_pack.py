"""Build the evidence pack of a case with 5,000 events and 20 attachments (in-process moto): time, peak
memory and size, against Lambda's limits. The API only queues the build (202) and later answers with a
link (200); the evidence pack worker builds it: the figures are the API's two answers and the worker's build.

The history is what a long case holds: 1,000 reminders (each re-rendered into the statement), 3,000
notes of 1,000 characters, 1,000 payments and fees; the 20 dispute files are 1 MB each of random bytes
(incompressible, the worst case for the ZIP).
"""
from __future__ import annotations

import io
import os
import resource
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as `python bench/evidence_pack.py`

os.environ.update({
    "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "bench-cases", "SITE_URL": "http://site.bench", "LINK_KEYS_SECRET_ID": "bench-link-keys",
    "ANCHOR_BUCKET": "bench-anchors", "EVIDENCE_BUCKET": "bench-evidence",
    "PACK_QUEUE_URL": "",  # set once moto has made the queue
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.calls import body  # noqa: E402
from chalicelib import bootstrap  # noqa: E402
from chalicelib.adapters.dynamo import case_item, event_item  # noqa: E402
from chalicelib.domain.cases import Change, parse_iso, record  # noqa: E402
from chalicelib.domain.self_service_state import Attachment, Dispute  # noqa: E402
from chalicelib.services import brokers  # noqa: E402
from portal import infra  # noqa: E402
from portal.pack_trigger import PackTrigger  # noqa: E402

EVENTS = 5_000
ATTACHMENTS = 20
ATTACHMENT_BYTES = 1024 * 1024


def history(n: int) -> tuple[str, dict[str, object]]:
    if n % 5 == 0:
        return "reminder_sent", {"channel": "email", "step": "+3", "stage": "reminder", "template": "reminder",
                                 "policy_version": 0, "claim": f"c{n}:email:1", "link_id": "l1",
                                 "message_id": f"m{n:06d}"}
    if n % 10 == 1:
        return "payment_received", {"reference": f"offline:T{n}", "currency": "EUR", "amount": 1, "source": "offline"}
    if n % 10 == 6:
        return "fee_applied", {"amount": 1, "currency": "EUR", "kind": "late_fee", "step": "+20"}
    return "note_added", {"kind": "call", "text": f"{n:05d} " + "y" * 994}


def grow(broker_id: str, case_id: str) -> None:
    case, _ = bootstrap.store().load(broker_id, case_id)
    s3 = boto3.client("s3")
    attachments = []
    for a in range(ATTACHMENTS):
        key = f"evidence/{broker_id}/{case_id}/d1/a{a + 1}.pdf"
        s3.put_object(Bucket=os.environ["EVIDENCE_BUCKET"], Key=key, Body=os.urandom(ATTACHMENT_BYTES))
        attachments.append(Attachment(f"a{a + 1}", key, f"file {a + 1}.pdf", "application/pdf", ATTACHMENT_BYTES,
                                      case.created_at))
    dispute = Dispute("d1", "quality", "broken", None, case.balance.due, case.created_at, "open", status="rejected",
                      attachments=tuple(attachments))
    case = replace(case, self_service=replace(case.self_service, disputes=(dispute,)))
    db, table = bootstrap.aws("dynamodb"), bootstrap.settings().table_name
    anchors = bootstrap.anchors()
    items = []
    for n in range(case.version, EVENTS):
        change: Change = record(case, parse_iso(case.updated_at) + timedelta(minutes=1), "system", [history(n)])
        case = change.case
        items += [event_item(broker_id, case_id, e) for e in change.events]
    anchors.record(broker_id, case_id, case.version, case.head_hash)
    for start in range(0, len(items), 25):
        db.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]})
    db.put_item(TableName=table, Item=case_item(case))


class Phases:
    """CPU seconds spent reading the history and making the PDF (averaged over the runs by the caller)."""

    def __init__(self, packs: Any) -> None:
        self.cpu: Counter[str] = Counter()
        packs._pdf = self._timed("pdf", packs._pdf)
        store = packs._store
        store.load = self._timed("load", store.load)

    def _timed(self, name: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[name] += time.process_time() - started
        return run


def timed(call: Callable[[], Any]) -> tuple[Any, tuple[float, float]]:
    """What `call` answers, and its (wall, CPU) seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    answer = call()
    return answer, (time.perf_counter() - wall, time.process_time() - cpu)


def main() -> None:
    with mock_aws():
        infra.create_table(boto3.client("dynamodb"), os.environ["TABLE_NAME"])
        infra.create_link_keys_secret(boto3.client("secretsmanager"), os.environ["LINK_KEYS_SECRET_ID"])
        infra.create_anchor_bucket(boto3.client("s3"), os.environ["ANCHOR_BUCKET"], os.environ["AWS_DEFAULT_REGION"])
        infra.create_evidence_bucket(boto3.client("s3"), os.environ["EVIDENCE_BUCKET"], "http://site.bench",
                                     os.environ["AWS_DEFAULT_REGION"])
        os.environ["PACK_QUEUE_URL"] = infra.create_function_queue(boto3.client("sqs"), "EvidencePackQueue",
                                                                   "bench-packs")
        bootstrap.reset()
        broker, key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Bench Brokers")
        from chalice.test import Client

        from app import app

        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with Client(app) as client:
            case_id = client.http.post("/admin/cases", headers=headers, body=body("PACK-1")).json_body["case_id"]
            grow(broker.broker_id, case_id)
            packs = bootstrap.evidence_packs()
            phases = Phases(packs)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            wall, cpu = time.perf_counter(), time.process_time()  # pays for importing fpdf2 and reading the font
            packs.build(broker.broker_id, case_id, "packs/bench-warm-up.zip")
            runs = [(time.perf_counter() - wall, time.process_time() - cpu)]
            path = f"/admin/cases/{case_id}/evidence-pack"
            queued, asked = timed(lambda: client.http.get(path, headers=headers))
            assert queued.status_code == 202, queued.json_body
            trigger = PackTrigger(boto3.client("sqs"), os.environ["PACK_QUEUE_URL"])
            delivered, worker = timed(trigger.deliver)
            assert delivered == 1
            runs.append(worker)
            ready, linked = timed(lambda: client.http.get(path, headers=headers))
            assert ready.status_code == 200, ready.json_body
            answer = ready.json_body
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with zipfile.ZipFile(io.BytesIO(boto3.client("s3").get_object(
                    Bucket=os.environ["EVIDENCE_BUCKET"], Key=answer["key"])["Body"].read())) as archive:
                pdf_size = archive.getinfo("statement.pdf").file_size
        print(f"evidence pack: {EVENTS:,} events ({EVENTS // 5:,} reminders re-rendered), {ATTACHMENTS} attachments "
              f"of {ATTACHMENT_BYTES // 1024} KB, on in-process moto")
        print(f"  API: GET evidence-pack queues the build (202) in {asked[0] * 1000:.0f} ms wall, "
              f"{asked[1] * 1000:.0f} ms CPU; once built, answers the link (200) in {linked[0] * 1000:.0f} ms wall")
        for n, (wall, cpu) in enumerate(runs, start=1):
            where = "direct, warming up" if n == 1 else "evidence_pack_worker from the queue; its timeout is 120 s"
            print(f"  build {n} ({where}): {wall:.1f} s wall, {cpu:.1f} s CPU (ours and moto's)")
        print(f"  per build, CPU: statement + PDF {phases.cpu['pdf'] / len(runs):.1f} s, reading the history "
              f"{phases.cpu['load'] / len(runs):.1f} s (moto's Query), the rest (files, ZIP, upload) on moto")
        print(f"  process max RSS grew {max(0, rss_after - rss_before) / 1024:.0f} MB while building "
              f"(moto keeps the bucket and table in the same process)")
        print(f"  ZIP {answer['size'] / 2**20:.1f} MB, {answer['files']} files; "
              f"statement.pdf {pdf_size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
