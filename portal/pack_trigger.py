"""The SQS event source of the evidence pack worker, played locally (moto has none): each queued build is
handed to `app.evidence_pack_worker` as Lambda would, with its receive count; a build that raises stays on
the queue and comes back after the visibility timeout. The demo runs it on the import trigger's thread
loop; the tests call `deliver` until the queue is empty."""
from __future__ import annotations

from typing import Any

from portal.import_trigger import ImportTrigger, sqs_event


class PackTrigger:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def deliver(self) -> int:
        """One queued build, if any, to the worker; how many calls were made."""
        from app import evidence_pack_worker

        messages = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0,
                                             AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
        for message in messages:
            if ImportTrigger.call(evidence_pack_worker, sqs_event(message, self._queue_arn)):
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)
