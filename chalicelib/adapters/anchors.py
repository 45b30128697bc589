"""Head-hash anchors in an S3 bucket with Object Lock in compliance mode (infra/resources.json).

One empty object per case version; its key says everything (case, version, head hash), so reading a
case's anchors is a listing, no GETs. Compliance-mode retention means nobody, the application and the
account's root included, can delete or overwrite an anchor before it expires; the application may only
add objects (s3:PutObject) and list them.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.audit import Anchor
from chalicelib.domain.cases import Change

log = logging.getLogger(__name__)

PREFIX = "anchors"


def _prefix(broker_id: str, case_id: str) -> str:
    return f"{PREFIX}/{broker_id}/{case_id}/"


class S3Anchors:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def record(self, broker_id: str, case_id: str, version: int, head_hash: str) -> None:
        key = f"{_prefix(broker_id, case_id)}{version:012d}.{head_hash}"
        try:
            # Write-once: a retry finds its own anchor; Object Lock needs a checksum on the upload.
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=b"", IfNoneMatch="*", ChecksumAlgorithm="SHA256")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "PreconditionFailed":
                raise

    def anchors(self, broker_id: str, case_id: str) -> list[Anchor]:
        prefix = _prefix(broker_id, case_id)
        found: list[Anchor] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                version, _, head_hash = item["Key"].removeprefix(prefix).partition(".")
                if version.isdigit() and head_hash:
                    found.append(Anchor(int(version), head_hash))
        return found


def anchor_changes(anchors: S3Anchors | None, changes: Iterable[Change]) -> None:
    """After a change is stored: its head is anchored. The change stays stored if this fails (it cannot be
    undone); verify then names its events as never anchored, and the error log says why."""
    if anchors is None:
        return
    for change in changes:
        case = change.case
        try:
            anchors.record(case.broker_id, case.case_id, case.version, case.head_hash)
        except (ClientError, BotoCoreError) as exc:
            log.error("anchor not written", extra={"broker_id": case.broker_id, "case_id": case.case_id,
                                                   "version": case.version, "error": type(exc).__name__})
