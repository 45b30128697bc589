"""Dispute evidence in S3: presigned POSTs for the customer's browser, presigned GETs for the broker.

The bucket is private and encrypted (infra/resources.json); nothing passes through the API but the
signature. A presigned POST can write exactly one key, one Content-Type, and between 1 byte and the
limit; S3 refuses anything else before a byte is stored. Signing is local (no call to S3); the only
call is HeadObject, to confirm an upload arrived before the broker is shown it.
"""
from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

DOWNLOAD_SECONDS = 15 * 60
_UNSAFE = re.compile(r'[^A-Za-z0-9._ -]')


class EvidenceBucket:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def upload_slot(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """{url, fields}: the browser POSTs the fields, then the file (form field `file`, last), to url."""
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket, Key=key, Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in)
        return {"url": post["url"], "fields": post["fields"], "expires_in": expires_in}

    def stored_size(self, key: str) -> int | None:
        """The object's size in bytes if it is in the bucket, else None (one HeadObject)."""
        try:
            return int(self._s3.head_object(Bucket=self._bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def download_url(self, key: str, filename: str, inline: bool = False) -> str:
        """A link the broker can open for a while; the file comes as a download under its own name, or
        `inline` for the console to show it in a frame (the bucket's own origin, never the console's)."""
        name = _UNSAFE.sub("_", filename)[:120] or "evidence"
        disposition = "inline" if inline else "attachment"
        return str(self._s3.generate_presigned_url("get_object", Params={
            "Bucket": self._bucket, "Key": key, "ResponseContentDisposition": f'{disposition}; filename="{name}"'},
            ExpiresIn=DOWNLOAD_SECONDS))
