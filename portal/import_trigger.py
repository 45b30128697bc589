"""What AWS does between S3, SQS and the import functions, done locally: moto has no S3 -> Lambda trigger
and no SQS -> Lambda event source.

`s3_event` builds the event S3 sends a function when an object is created (the notification's JSON,
with the key URL-encoded as S3 does); `deliver` hands every new upload in the imports bucket and every
queued continuation to the app's handlers, with the same at-least-once rules: a handler that raises
leaves its message on the queue to come back after the visibility timeout. The demo runs `deliver`
on a thread every half second; the tests call it until the import is over.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus

log = logging.getLogger(__name__)


def s3_event(bucket: str, key: str, size: int, etag: str, region: str = "eu-west-1") -> dict[str, Any]:
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": region,
        "eventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "eventName": "ObjectCreated:Post",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "ImportFileCreated",
               "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag.strip('"')}}}]}


def sqs_event(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {"Records": [{"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                         "body": message["Body"], "attributes": message.get("Attributes", {}),
                         "messageAttributes": {}, "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
                         "eventSourceARN": queue_arn, "awsRegion": queue_arn.split(":")[3]}]}


class SqsSource:
    """A queue's Lambda event source: one message at a time to `handler` as an SQS event, deleted only when
    the handler returns (one that raises comes back after the visibility timeout, its receive count up)."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs, self._queue_url = sqs, queue_url
        self._queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def deliver_one(self, handler: Any) -> int:
        """The next queued message, if any, to `handler`; how many were handed over (0 or 1)."""
        messages = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0,
                                             AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
        for message in messages:
            if call(handler, sqs_event(message, self._queue_arn)):
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


def call(handler: Any, event: dict[str, Any]) -> bool:
    """Invoke a function as Lambda would; False when it raised (AWS retries it; so do we)."""
    try:
        handler(event, None)
    except Exception:  # a Lambda that raised: the event or message stays to be delivered again
        log.exception("function failed")
        return False
    return True


class ImportTrigger:
    """Delivers new import files and queued chunks to the app's two import functions."""

    def __init__(self, s3: Any, sqs: Any, bucket: str, queue_url: str) -> None:
        self._s3, self._bucket = s3, bucket
        self._queue = SqsSource(sqs, queue_url)
        self._seen: set[tuple[str, str]] = set()

    def deliver(self) -> int:
        """One round: S3 events for new files, or else one queued continuation; how many calls were made."""
        from app import import_uploaded, import_worker

        handled = 0
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix="imports/")
        for obj in (o for page in pages for o in page.get("Contents", [])):
            if (obj["Key"], obj["ETag"]) in self._seen:
                continue
            # Lambda retries an event whose function failed: it is marked seen only once handled.
            if call(import_uploaded, s3_event(self._bucket, obj["Key"], obj["Size"], obj["ETag"])):
                self._seen.add((obj["Key"], obj["ETag"]))
            handled += 1
        if handled:
            return handled  # one kind of call per round, so a caller can watch each step
        return self._queue.deliver_one(import_worker)


def run_in_background(trigger: Any, name: str, every: float = 0.5) -> threading.Event:
    """The demo's S3 and SQS event delivery, on a thread until the returned event is set."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                while trigger.deliver():  # a file's chunks follow each other without waiting
                    if stop.is_set():
                        return
            except Exception:  # moto stopping under us at exit; the next round tries again
                log.exception("%s round failed", name)

    threading.Thread(target=loop, name=name, daemon=True).start()
    return stop
