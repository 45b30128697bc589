"""An anchor S3 cannot take: the change is stored whole (it cannot be undone), botocore retries a failed
connection, and an anchor that is never written is logged and named by verify until the case's next
anchored change covers it."""
from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from chalicelib import bootstrap
from tests.api.conftest import open_case, read_case
from tests.api.test_verify import note, verify


class S3Unreachable:
    """The next `times` PutObject requests to the anchor bucket never reach S3 (a dropped connection, before
    moto sees them), as when S3 or the network fails."""

    def __init__(self, times: int) -> None:
        self.left = times
        self.refused = 0

    def __call__(self, request: Any, **_: Any) -> None:
        if self.left == 0 or bootstrap.settings().anchor_bucket not in request.url:
            return
        self.left -= 1
        self.refused += 1
        raise EndpointConnectionError(endpoint_url=request.url)


@pytest.fixture
def case(client, broker) -> tuple[str, str]:
    _, key = broker
    return key, open_case(client, key)["case_id"]


def refuse(times: int) -> S3Unreachable:
    refusing = S3Unreachable(times)
    bootstrap.aws("s3").meta.events.register_first("before-send.s3.PutObject", refusing)
    return refusing


def test_a_refused_anchor_is_retried_and_the_case_verifies(client, case):
    key, case_id = case
    refusing = refuse(times=2)

    note(client, key, case_id, "Called, no answer")

    assert refusing.refused == 2  # failed twice, written on the third try
    assert verify(client, key, case_id)["verified"] is True
    assert read_case(client, key, case_id)["events"][-1]["data"]["text"] == "Called, no answer"


def test_an_anchor_never_written_leaves_the_case_whole_and_is_logged_and_named_by_verify(client, case, caplog):
    key, case_id = case
    before = read_case(client, key, case_id)
    refusing = refuse(times=1_000)

    with caplog.at_level(logging.ERROR, logger="chalicelib.adapters.anchors"):
        note(client, key, case_id, "Called, no answer")
    refusing.left = 0

    after = read_case(client, key, case_id)
    assert after["version"] == before["version"] + 1 and after["history_verified"] is True
    assert after["events"][-1]["data"]["text"] == "Called, no answer"
    [logged] = [r for r in caplog.records if r.getMessage() == "anchor not written"]
    assert (logged.case_id, logged.version, logged.error) == (case_id, after["version"], "EndpointConnectionError")
    result = verify(client, key, case_id)
    assert result["verified"] is False and result["anchored_version"] == before["version"]
    assert result["first_bad_event"]["seq"] == after["version"]
    assert "never anchored" in result["first_bad_event"]["problem"]

    # The case goes on: the next change's anchor chains over the unanchored event, so the case verifies again.
    note(client, key, case_id, "Called again")
    assert verify(client, key, case_id) | {"problems": []} == {
        "case_id": case_id, "verified": True, "version": after["version"] + 1, "events": after["version"] + 1,
        "anchored_version": after["version"] + 1, "first_bad_event": None, "problems": []}
