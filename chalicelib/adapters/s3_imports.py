"""Import files in S3: a presigned POST for the upload, and the file read as lines from any byte offset.

Reading is one ranged GetObject per chunk, streamed through a small buffer: a file of any size costs
the processor the same memory, and a line is never read past the record limit.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.csv_records import FileProblem

READ_BUFFER = 256 * 1024


class _Raw(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so io.BufferedReader can give bounded readline()."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class ImportBucket:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    @staticmethod
    def object_key(broker_id: str, import_id: str) -> str:
        """Where an import's file goes: the S3 event then names the broker and the import."""
        return f"imports/{broker_id}/{import_id}.csv"

    @staticmethod
    def named(key: str) -> tuple[str, str] | None:
        """(broker id, import id) of an object key, or None for a key no import gave out."""
        parts = key.split("/")
        if len(parts) != 3 or parts[0] != "imports" or not parts[2].endswith(".csv"):
            return None
        return parts[1], parts[2].removesuffix(".csv")

    def upload_slot(self, key: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """{url, fields}: POST the fields, then the file (form field `file`, last); S3 refuses any other
        key and a file over max_bytes before a byte is stored."""
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket, Key=key, Conditions=[["content-length-range", 1, max_bytes]], ExpiresIn=expires_in)
        return {"url": post["url"], "fields": post["fields"], "expires_in": expires_in, "max_bytes": max_bytes}

    def stat(self, key: str) -> tuple[int, str] | None:
        """(size, ETag) of the uploaded file, or None when nothing was uploaded."""
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"]), str(head["ETag"])

    def lines(self, key: str, offset: int, line_limit: int, etag: str) -> Iterator[bytes]:
        """The file's lines from byte `offset` on (each at most line_limit bytes; a longer line comes in
        pieces, which the record reader refuses), if it is still the file with `etag`: the upload slot
        takes a second file until it expires, and offsets into another file would mean nothing."""
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes={offset}-", IfMatch=etag)["Body"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("PreconditionFailed", "412"):
                raise FileProblem("the file was replaced during the import: start a new import for it") from exc
            raise
        reader = io.BufferedReader(_Raw(body), READ_BUFFER)
        try:
            while line := reader.readline(line_limit):
                yield line
        finally:
            body.close()
