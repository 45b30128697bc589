"""`portal verify CASE_ID` against a moto server, as an operator runs it against the demo's moto."""
from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import pytest

from chalicelib import bootstrap
from chalicelib.adapters import keys
from chalicelib.services import brokers
from portal import cli, infra
from portal.local_aws import REGION, LocalResources, MotoServer, clients, point_boto3_at
from tests.conftest import case_body

NAMES = LocalResources(table="portal-verify-cases", link_keys_secret="portal-verify/link-keys")


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    saved = dict(os.environ)
    server = MotoServer("127.0.0.1", 0)
    server.start()
    url = f"http://127.0.0.1:{server.port}"
    reset = lambda: urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))  # noqa: E731
    reset()  # the server shares this process's moto state: start from nothing, and leave nothing behind
    try:
        client = clients(url)
        infra.create_table(client("dynamodb"), NAMES.table)
        infra.create_link_keys_secret(client("secretsmanager"), NAMES.link_keys_secret)
        infra.create_anchor_bucket(client("s3"), NAMES.anchors, REGION)
        point_boto3_at(url)
        os.environ.update({"TABLE_NAME": NAMES.table, "LINK_KEYS_SECRET_ID": NAMES.link_keys_secret,
                           "SITE_URL": "http://site.test", "ANCHOR_BUCKET": NAMES.anchors})
        bootstrap.reset()
        yield url
    finally:
        reset()
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()


def portal_verify(endpoint: str, broker_id: str, case_id: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = cli.main(["verify", case_id, "--broker", broker_id, "--aws-endpoint", endpoint, "--table", NAMES.table])
    return status, capsys.readouterr().out


def test_portal_verify_passes_an_intact_case_and_names_a_rollback(endpoint, capsys):
    broker, _ = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Acme", "ar@acme.test")
    case, _ = bootstrap.case_service().create(broker.broker_id, case_body(), None)
    service = bootstrap.case_service()
    service.add_note(broker.broker_id, case.case_id, "call", "promised to pay")

    status, out = portal_verify(endpoint, broker.broker_id, case.case_id, capsys)
    assert status == 0, out
    assert f"case {case.case_id}: verified" in out

    db = bootstrap.aws("dynamodb")
    pk = {":pk": {"S": keys.case_pk(broker.broker_id, case.case_id)}}
    backup = db.query(TableName=NAMES.table, KeyConditionExpression="PK = :pk", ExpressionAttributeValues=pk)["Items"]
    rolled_back_to = len(backup) - 1  # the case item and its events
    service.add_note(broker.broker_id, case.case_id, "email", "sent the invoice again")
    for item in backup:  # restore the older, consistent copy over the newer one
        db.put_item(TableName=NAMES.table, Item=item)
    db.delete_item(TableName=NAMES.table, Key={"PK": pk[":pk"], "SK": {"S": keys.event_sk(rolled_back_to + 1)}})

    status, out = portal_verify(endpoint, broker.broker_id, case.case_id, capsys)
    assert status == 2
    assert f"NOT VERIFIED: first bad event {rolled_back_to + 1}" in out and "rolled back" in out
