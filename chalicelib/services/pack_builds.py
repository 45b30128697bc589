"""Evidence packs built off the API's clock: a 5,000-event case with 20 files takes longer to build than API
Gateway waits (29 s), so the route records a build and queues it, and answers 202 with where to ask; the
evidence pack worker builds it and records the outcome. A pack already built for the case's current head
(its version) and locale is answered at once with a fresh link.
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any, Protocol

from chalicelib.domain import pack
from chalicelib.domain.cases import iso
from chalicelib.domain.errors import PortalError
from chalicelib.ports import BrokerStore, CaseReader, Clock
from chalicelib.services.evidence_packs import BROKER_LINK, BuiltPack, EvidencePacks

log = logging.getLogger(__name__)
# Past the worker's timeout (infra/: 120 s) a build still "building" lost its worker: a request starts it again.
STALE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5  # the queue's maxReceiveCount: the last attempt that fails records the pack as failed


class PackJobs(Protocol):
    def get(self, broker_id: str, case_id: str, pack_id: str) -> dict[str, Any] | None: ...

    def require(self, broker_id: str, case_id: str, pack_id: str) -> dict[str, Any]: ...

    def start(self, broker_id: str, case_id: str, pack_id: str, job: dict[str, Any], stale_before: str) -> bool: ...

    def record(self, broker_id: str, case_id: str, pack_id: str, job: dict[str, Any]) -> None: ...

    def claim(self, broker_id: str, case_id: str, pack_id: str, flag: str) -> bool: ...

    def release(self, broker_id: str, case_id: str, pack_id: str, flag: str) -> None: ...


class Queue(Protocol):
    def send(self, body: str, delay_seconds: int = 0) -> None: ...


def status_path(case_id: str, pack_id: str) -> str:
    return f"/admin/cases/{case_id}/evidence-packs/{pack_id}"


class PackBuilds:
    def __init__(self, *, packs: EvidencePacks, jobs: PackJobs, cases: CaseReader, brokers: BrokerStore,
                 queue: Any, clock: Clock, on_ready: Any = None) -> None:
        self._packs = packs
        self._on_ready = on_ready  # a callable (job, BuiltPack) for a job that hands the pack on (escalation)
        self._jobs = jobs
        self._cases = cases
        self._brokers = brokers
        self._queue = queue  # a callable giving the Queue: only a request that starts a build needs it
        self._clock = clock

    def request(self, broker_id: str, case_id: str, locale: str | None) -> tuple[int, dict[str, Any]]:
        """(200, the link) when the pack of the current head is built, else (202, where to ask)."""
        case = self._cases.get_case(broker_id, case_id)  # 404 for another broker's case
        locale = locale or self._brokers.get_broker(broker_id).locale
        pack_id = f"v{case.version}-{locale}"
        job = self._jobs.get(broker_id, case_id, pack_id)
        if job is not None and job["status"] == "ready":
            return 200, self._answer(case_id, pack_id, job)
        if job is None or job["status"] != "building" or job["started_at"] < self._stale_before():
            fresh = {"status": "building", "started_at": iso(self._clock()), "locale": locale,
                     "version": case.version}
            if self._jobs.start(broker_id, case_id, pack_id, fresh, self._stale_before()):
                self._queue().send(json.dumps({"broker_id": broker_id, "case_id": case_id, "pack_id": pack_id,
                                               "locale": locale}))
                log.info("evidence pack queued", extra={"broker_id": broker_id, "case_id": case_id,
                                                        "pack_id": pack_id})
                return 202, self._answer(case_id, pack_id, fresh)  # the job just written: no second read
        return 202, self.status(broker_id, case_id, pack_id)

    def queue_for(self, broker_id: str, case_id: str, version: int, key: str,
                  hand_on: dict[str, Any]) -> dict[str, Any]:
        """Queue the build of a just-written head into `key`; the worker then hands it on (`on_ready`)."""
        locale = self._brokers.get_broker(broker_id).locale
        pack_id = f"v{version}-{locale}"
        job = {"status": "building", "started_at": iso(self._clock()), "locale": locale, "version": version,
               "key": key, "hand_on": hand_on}
        self._jobs.record(broker_id, case_id, pack_id, job)  # a head written just now has no build yet
        self._queue().send(json.dumps({"broker_id": broker_id, "case_id": case_id, "pack_id": pack_id,
                                       "locale": locale}))
        return self._answer(case_id, pack_id, job)

    def status(self, broker_id: str, case_id: str, pack_id: str) -> dict[str, Any]:
        self._cases.get_case(broker_id, case_id)  # another broker's case is a 404 here too
        return self._answer(case_id, pack_id, self._jobs.require(broker_id, case_id, pack_id))

    def build(self, body: str, attempt: int) -> None:
        """The worker: build the queued pack and record it; an error leaves the message to SQS to retry, and
        the last attempt records the pack as failed so the broker is not told "building" for ever."""
        message = json.loads(body)
        broker_id, case_id, pack_id = message["broker_id"], message["case_id"], message["pack_id"]
        job = self._jobs.get(broker_id, case_id, pack_id)
        if job is None:
            return
        if job["status"] != "ready":  # else SQS delivered it twice: the first delivery built it
            job = self._build(broker_id, case_id, pack_id, job, message["locale"], attempt)
        if job["status"] == "ready" and "hand_on" in job and self._on_ready is not None \
                and self._jobs.claim(broker_id, case_id, pack_id, "handed_on"):
            try:
                self._on_ready(broker_id, case_id, job["hand_on"], _built(job["built"]))
            except Exception:  # noqa: BLE001 - deliberate: undo the claim whatever failed, then re-raise for SQS
                self._jobs.release(broker_id, case_id, pack_id, "handed_on")  # the retry hands it on
                raise

    def _build(self, broker_id: str, case_id: str, pack_id: str, job: dict[str, Any], locale: str,
               attempt: int) -> dict[str, Any]:
        try:
            built = self._packs.build(broker_id, case_id, job.get("key") or pack.pack_key(
                broker_id, case_id, iso(self._clock())), locale)
        except PortalError as exc:  # the case is gone, say: no retry can help
            failed = {**job, "status": "failed", "error": exc.code}
            self._jobs.record(broker_id, case_id, pack_id, failed)
            return failed
        except Exception:  # noqa: BLE001 - deliberate: any error re-raises for SQS; the last try records failed
            if attempt >= MAX_ATTEMPTS:
                self._jobs.record(broker_id, case_id, pack_id, {**job, "status": "failed", "error": "build_failed"})
            raise
        ready = {**job, "status": "ready", "built": built.as_dict()}
        self._jobs.record(broker_id, case_id, pack_id, ready)
        return ready

    def _answer(self, case_id: str, pack_id: str, job: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {"case_id": case_id, "pack_id": pack_id, "status": job["status"],
                                  "status_url": status_path(case_id, pack_id), "version": job["version"],
                                  "locale": job["locale"]}
        if job["status"] == "ready":
            built = job["built"]
            url, expires_at = self._packs.link(_built(built), case_id, BROKER_LINK)
            answer.update({"url": url, "expires_at": expires_at, **built})
        if job["status"] == "failed":
            answer["error"] = job.get("error", "build_failed")
        return answer

    def _stale_before(self) -> str:
        return iso(self._clock() - STALE_AFTER)


def _built(built: dict[str, Any]) -> BuiltPack:
    return BuiltPack(built["key"], built["manifest_sha256"], built["size"], built["version"], built["head_hash"],
                     built["locale"], built["files"])
