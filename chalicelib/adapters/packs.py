"""Evidence packs in the evidence bucket (`packs/`), and the dispute files they copy (`evidence/`).

A pack is written once under a key naming its case and version, and handed out by a presigned GET:
signing is local, the link works until it expires and only for that one object.
"""
from __future__ import annotations

import re
from typing import Any, BinaryIO

MAX_LINK_SECONDS = 7 * 24 * 3600  # the longest a SigV4 presigned URL may live
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class PackBucket:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def read(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def put(self, key: str, body: BinaryIO) -> None:
        """Multipart for a big pack: the file is read in parts, never all at once."""
        self._s3.upload_fileobj(body, self._bucket, key, ExtraArgs={"ContentType": "application/zip"})

    def url(self, key: str, seconds: int, filename: str) -> str:
        name = _UNSAFE.sub("_", filename)[:120] or "evidence-pack.zip"
        return str(self._s3.generate_presigned_url("get_object", Params={
            "Bucket": self._bucket, "Key": key, "ResponseContentDisposition": f'attachment; filename="{name}"'},
            ExpiresIn=min(seconds, MAX_LINK_SECONDS)))
