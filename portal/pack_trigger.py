"""The SQS event source of the evidence pack worker, played locally (moto has none): each queued build is
handed to `app.evidence_pack_worker` as Lambda would, with its receive count; a build that raises stays on
the queue and comes back after the visibility timeout. The demo runs it on a thread; the tests `drain` it."""
from __future__ import annotations

from typing import Any

from portal.import_trigger import SqsSource


class PackTrigger:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._queue = SqsSource(sqs, queue_url)

    def deliver(self) -> int:
        """One queued build, if any, to the worker; how many calls were made."""
        from app import evidence_pack_worker

        return self._queue.deliver_one(evidence_pack_worker)

    def drain(self) -> int:
        """Deliver until the queue is empty; how many calls were made."""
        delivered = 0
        while self.deliver():
            delivered += 1
        return delivered
