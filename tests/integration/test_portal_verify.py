"""`portal verify CASE_ID` against a moto server, as an operator runs it against the demo's moto."""
from __future__ import annotations

import pytest

from chalicelib import bootstrap
from chalicelib.adapters import keys
from chalicelib.services import brokers
from portal import cli
from portal.local_aws import MotoServer
from tests.conftest import case_body
from tests.integration.test_portal_sweep import TABLE, moto  # noqa: F401 (moto is the fixture)


@pytest.fixture
def endpoint(moto: MotoServer) -> str:  # noqa: F811 (the imported fixture)
    """The moto server of `portal sweep`'s tests: the demo's resource names, anchor bucket included."""
    return f"http://127.0.0.1:{moto.port}"


def portal_verify(endpoint: str, broker_id: str, case_id: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = cli.main(["verify", case_id, "--broker", broker_id, "--aws-endpoint", endpoint, "--table", TABLE])
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
    backup = db.query(TableName=TABLE, KeyConditionExpression="PK = :pk", ExpressionAttributeValues=pk)["Items"]
    rolled_back_to = len(backup) - 1  # the case item and its events
    service.add_note(broker.broker_id, case.case_id, "email", "sent the invoice again")
    for item in backup:  # restore the older, consistent copy over the newer one
        db.put_item(TableName=TABLE, Item=item)
    db.delete_item(TableName=TABLE, Key={"PK": pk[":pk"], "SK": {"S": keys.event_sk(rolled_back_to + 1)}})

    status, out = portal_verify(endpoint, broker.broker_id, case.case_id, capsys)
    assert status == 2
    assert f"NOT VERIFIED: first bad event {rolled_back_to + 1}" in out and "rolled back" in out
