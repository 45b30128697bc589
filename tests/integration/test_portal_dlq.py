"""`portal dlq redrive` against a moto server, as an operator runs it against the demo's moto."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal import cli, infra
from portal.local_aws import clients
from tests.moto_server import running_moto


@pytest.fixture
def endpoint() -> Iterator[str]:
    with running_moto() as url:
        yield url


def test_redrive_moves_the_demos_dead_letters_back_and_says_how_many(endpoint, capsys):
    sqs = clients(endpoint)("sqs")
    queue, dead = infra.create_reminder_queues(sqs)
    for i in range(3):
        sqs.send_message(QueueUrl=dead, MessageBody=f'{{"case_id": "c{i}"}}')
    assert cli.main(["dlq", "redrive", "--aws-endpoint", endpoint]) == 0
    assert "moved 3 message(s)" in capsys.readouterr().out
    assert len(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]) == 3
    assert "Messages" not in sqs.receive_message(QueueUrl=dead)

    assert cli.main(["dlq", "redrive", "--aws-endpoint", endpoint]) == 0  # nothing left: says so
    assert "moved 0 message(s)" in capsys.readouterr().out
