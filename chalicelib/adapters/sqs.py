"""SQS: the reminder queue the sweep fills, and its dead-letter queue."""
from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

MAX_BATCH = 10
MAX_BATCH_BYTES = 250_000  # SQS allows 256 KiB per batch; leave room for attributes and encoding
MAX_DELAY_SECONDS = 900


class DeliveryError(RuntimeError):
    """SQS refused some messages even after retrying them."""


class SqsQueue:
    def __init__(self, client: Any, url: str) -> None:
        self._sqs = client
        self._url = url

    def send(self, body: str, delay_seconds: int = 0) -> None:
        """`delay_seconds` (at most SQS's 900) keeps the message hidden that long: a throttled reminder's retry."""
        extra = {"DelaySeconds": min(MAX_DELAY_SECONDS, delay_seconds)} if delay_seconds > 0 else {}
        self._sqs.send_message(QueueUrl=self._url, MessageBody=body, **extra)

    def send_batch(self, bodies: list[str]) -> int:
        """Send all `bodies` in as few SendMessageBatch calls as fit; returns the number of calls."""
        calls = 0
        batch: list[str] = []
        size = 0
        for body in bodies:
            if batch and (len(batch) == MAX_BATCH or size + len(body.encode()) > MAX_BATCH_BYTES):
                calls += self._flush(batch)
                batch, size = [], 0
            batch.append(body)
            size += len(body.encode())
        if batch:
            calls += self._flush(batch)
        return calls

    def _flush(self, batch: list[str], attempts: int = 3) -> int:
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)]
        calls = 0
        for _ in range(attempts):
            calls += 1
            result = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            failed = {f["Id"] for f in result.get("Failed", [])}
            if not failed:
                return calls
            entries = [e for e in entries if e["Id"] in failed]
        log.error("sqs batch refused", extra={"count": len(entries)})
        raise DeliveryError(f"{len(entries)} messages could not be queued")
