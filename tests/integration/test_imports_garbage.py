"""A gigabyte of garbage uploaded as an import: it fails as a whole with a clear message, nothing is
created, and the processor reads a bounded amount of it.

moto keeps every S3 object in memory (and joins multipart uploads in one bytearray), so a real 1 GB
object cannot stand there. The S3 client here serves a 1 GB object streamed from a generator, byte
ranges included, and counts what is read; everything else (the real ImportBucket adapter, the
service, DynamoDB, SQS) runs as in the other tests, on moto.
"""
from __future__ import annotations

import io
import random
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody

from chalicelib import bootstrap
from chalicelib.adapters.dynamo_imports import DynamoImports
from chalicelib.adapters.s3_imports import ImportBucket
from chalicelib.adapters.sqs import SqsQueue
from chalicelib.services import brokers
from chalicelib.services.imports import ImportService, Limits
from portal import infra
from tests.conftest import IMPORTS, TABLE

GIGABYTE = 1024**3


class Garbage(io.RawIOBase):
    """`size` bytes of random garbage (no line breaks), made as they are read."""

    def __init__(self, size: int, served: list[int]) -> None:
        self._left, self._served, self._random = size, served, random.Random(7)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._left)
        buffer[:n] = bytes(self._random.randrange(14, 256) for _ in range(n))
        self._left -= n
        self._served[0] += n
        return n


class StreamedObjectS3:
    """The S3 calls the import bucket makes, for one 1 GB object streamed on demand."""

    def __init__(self) -> None:
        self.served = [0]
        self._real = boto3.client("s3")

    def generate_presigned_post(self, **kwargs: Any) -> Any:
        return self._real.generate_presigned_post(**kwargs)

    def head_object(self, **_: Any) -> dict[str, Any]:
        return {"ContentLength": GIGABYTE, "ETag": '"garbage"'}

    def get_object(self, *, Range: str, **_: Any) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        start = int(Range.removeprefix("bytes=").removesuffix("-"))
        return {"Body": StreamingBody(Garbage(GIGABYTE - start, self.served), GIGABYTE - start)}


def service(s3: StreamedObjectS3, max_bytes: int) -> ImportService:
    queue = infra.create_function_queue(boto3.client("sqs"), "ImportQueue", "imports-garbage")
    return ImportService(DynamoImports(bootstrap.aws("dynamodb"), TABLE), ImportBucket(s3, IMPORTS),
                         bootstrap.case_service(), lambda: SqsQueue(bootstrap.aws("sqs"), queue), bootstrap.utc_now,
                         Limits(max_bytes=max_bytes))


@pytest.mark.parametrize(("max_bytes", "message", "read_at_most"), [
    (50 * 1024 * 1024, "the file is 1,073,741,824 bytes; the limit is 52,428,800", 0),  # the documented limit
    (2 * GIGABYTE, "row 1 is longer than 64 KB: is this a CSV file?", 512 * 1024),  # were the limit raised
])
def test_a_gigabyte_of_garbage_fails_whole_having_read_little_of_it(aws_env, max_bytes, message, read_at_most):
    broker, _ = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Acme", "ar@acme.test")
    s3 = StreamedObjectS3()
    imports = service(s3, max_bytes)
    job, _ = imports.start(broker.broker_id, None, None, False, "garbage.csv")
    imports.uploaded(f"imports/{broker.broker_id}/{job.import_id}.csv")
    status = imports.get(broker.broker_id, job.import_id)
    assert (status["status"], status["message"], status["created"]) == ("failed", message, 0)
    assert s3.served[0] <= read_at_most
    assert bootstrap.case_service().list_cases(broker.broker_id, None, 10, None)[0] == []
