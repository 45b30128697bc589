"""Build a case's evidence pack (a ZIP) into S3 and hand out a link that expires.

The ZIP is written to a spooled temporary file (memory up to 8 MB, then Lambda's /tmp) and each
attachment is copied in and hashed one at a time, so memory holds one file, the timeline and the PDF,
however big the pack; the API answers with a presigned link, never the bytes (API Gateway stops at 6 MB).
"""
from __future__ import annotations

import logging
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO, Protocol

from chalicelib.domain import pack
from chalicelib.domain.cases import iso
from chalicelib.domain.statement import statement
from chalicelib.ports import AnchorLedger, BrokerStore, CaseStore, Clock
from chalicelib.services.statement_document import StatementDocument, labels

log = logging.getLogger(__name__)
SPOOL_BYTES = 8 * 1024 * 1024
BROKER_LINK = timedelta(minutes=15)


class Bucket(Protocol):
    def read(self, key: str) -> bytes: ...

    def put(self, key: str, body: BinaryIO) -> None: ...

    def url(self, key: str, seconds: int, filename: str) -> str: ...


class Policies(Protocol):
    def policy_for(self, broker_id: str) -> Any: ...


PdfRenderer = Callable[..., bytes]


@dataclass(frozen=True)
class BuiltPack:
    key: str
    sha256: str  # of the manifest: what a partner can compare with the history's `escalation_sent`
    size: int
    version: int
    head_hash: str
    locale: str
    files: int

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "manifest_sha256": self.sha256, "size": self.size, "version": self.version,
                "head_hash": self.head_hash, "locale": self.locale, "files": self.files}


def _attachment_path(dispute_id: str, attachment_id: str, filename: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)[:100] or "file"
    return f"attachments/{dispute_id}/{attachment_id}-{safe}"


class EvidencePacks:
    def __init__(self, *, store: CaseStore, anchors: AnchorLedger, bucket: Callable[[], Bucket],
                 document: StatementDocument, policies: Policies, brokers: BrokerStore, clock: Clock,
                 pdf: PdfRenderer) -> None:
        self._store = store
        self._anchors = anchors
        self._bucket = bucket
        self._document = document
        self._policies = policies
        self._brokers = brokers
        self._clock = clock
        self._pdf = pdf

    def build(self, broker_id: str, case_id: str, key: str, locale: str | None = None) -> BuiltPack:
        case, events = self._store.load(broker_id, case_id)  # the whole history, from the genesis
        anchors = self._anchors.anchors(broker_id, case_id)
        locale = locale or self._brokers.get_broker(broker_id).locale
        generated_at = iso(self._clock())
        blocks = self._document.blocks(statement(case, events), self._policies.policy_for(broker_id), locale,
                                       generated_at)
        words = labels(locale)
        files: list[dict[str, Any]] = []
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                def add(path: str, data: bytes) -> None:
                    archive.writestr(path, data)
                    files.append(pack.entry(path, data))

                add(pack.STATEMENT, self._pdf(blocks, title=f"{words['title']} {case.invoice.number}",
                                              page_label=words["page"]))
                add(pack.TIMELINE, pack.timeline_json(case.case_id, case.version, case.head_hash, events))
                for dispute in case.self_service.disputes:
                    for attachment in dispute.attachments:
                        add(_attachment_path(dispute.dispute_id, attachment.attachment_id, attachment.filename),
                            self._bucket().read(attachment.key))
                manifest = pack.manifest(case_id=case.case_id, broker_id=broker_id, generated_at=generated_at,
                                         locale=locale, version=case.version, head_hash=case.head_hash,
                                         anchors=anchors, files=files)
                archive.writestr(pack.MANIFEST, manifest)
            size = spool.tell()
            spool.seek(0)
            self._bucket().put(key, spool)  # type: ignore[arg-type]
        log.info("evidence pack built", extra={"broker_id": broker_id, "case_id": case_id, "size": size,
                                               "events": len(events)})
        return BuiltPack(key, pack.sha256(manifest), size, case.version, case.head_hash, locale, len(files) + 1)

    def link(self, built: BuiltPack, case_id: str, lifetime: timedelta) -> tuple[str, str]:
        """(url, expires_at) of a presigned GET of the pack."""
        expires = self._clock() + lifetime
        url = self._bucket().url(built.key, int(lifetime.total_seconds()), f"evidence-{case_id}-v{built.version}.zip")
        return url, iso(expires)

