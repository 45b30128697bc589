"""`portal import FILE.csv` against a local stack as the demo runs it: moto's server, the API behind
chalice's local server, and the demo's delivery of S3 and SQS events to the import functions."""
from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.services import brokers
from portal import cli, infra
from portal.api_server import ApiServer
from portal.import_trigger import ImportTrigger, run_in_background
from portal.local_aws import REGION, MotoServer
from tests.integration.test_portal_sweep import TABLE, moto  # noqa: F401 (moto is the fixture)

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "imports" / "invoices-sample.csv"


@pytest.fixture
def stack(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:  # noqa: F811
    """(endpoint, api url) with the import bucket and queue, and event delivery running."""
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    infra.create_import_bucket(s3, "imports-cli", REGION)
    queue = infra.create_function_queue(sqs, "ImportQueue", "imports-cli")
    os.environ.update({"IMPORT_BUCKET": "imports-cli", "IMPORT_QUEUE_URL": queue, "IMPORT_CHUNK_ROWS": "2"})
    bootstrap.reset()
    api = ApiServer("127.0.0.1", 0)
    api.start()
    stop = run_in_background(ImportTrigger(s3, sqs, "imports-cli", queue), "import-trigger", every=0.1)
    try:
        yield f"http://127.0.0.1:{moto.port}", f"http://127.0.0.1:{api.port}"
    finally:
        stop.set()
        api.stop()


def test_portal_import_uploads_follows_with_a_progress_bar_and_prints_the_summary(stack, tmp_path, capsys,
                                                                                  monkeypatch):
    endpoint, api_url = stack
    broker, key = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Acme", "ar@acme.test")
    monkeypatch.setenv("PORTAL_API_KEY", key)
    failed = tmp_path / "failed.csv"
    status = cli.main(["import", str(SAMPLE), "--aws-endpoint", endpoint, "--table", TABLE, "--api-url", api_url,
                       "--failed-csv", str(failed)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "uploaded invoices-sample.csv" in out
    assert "[##############################] 100%  5/5 rows  created 4" in out  # the bar reached the end
    assert "import finished: 5 rows: 4 created, 0 updated, 0 skipped (invoice already has a case), 1 failed" in out
    assert "row 6: amount: has more decimals than USD has (2)" in out
    [header, row] = list(csv.reader(failed.open()))
    assert header[-1] == "error" and row[6] == "IMP-2005"
    cases, _ = bootstrap.case_service().list_cases(broker.broker_id, None, 100, None)
    assert sorted(c.invoice.number for c in cases) == ["IMP-2001", "IMP-2002", "IMP-2003", "IMP-2004"]

    status = cli.main(["import", str(SAMPLE), "--aws-endpoint", endpoint, "--table", TABLE, "--api-url", api_url])
    assert "0 created, 0 updated, 4 skipped" in capsys.readouterr().out  # the same file again creates nothing

    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"PK\x03\x04\x14\x00binary")
    status = cli.main(["import", str(bad), "--aws-endpoint", endpoint, "--table", TABLE, "--api-url", api_url])
    assert status == 1
    assert "import failed: row 1 holds binary data: this is not a CSV text file" in capsys.readouterr().out
