"""The evidence pack's manifest, and the offline check of a pack (`portal verify PACK.zip`).

A pack holds `statement.pdf`, `timeline.json` (every event with its hash), the dispute attachments and
`manifest.json`: each file's sha256 and size, the case's head hash and every head hash anchored for the
case in the Object Lock bucket when the pack was built. The manifest carries a `seal`: the sha256 of the
anchored head chained with its own canonical text, so a changed manifest is named as such rather than
blamed on the file whose line was changed. (Anyone can recompute a seal: what makes the pack hard to
forge is that its head hashes are the ones anchored, which whoever holds the bucket can confirm.)

The check needs nothing but the pack: it recomputes the event chain from the timeline, checks it
against the anchored heads (domain/audit.py), every file against the manifest and the manifest
against the timeline's head, and names the first thing that does not match.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.audit import Anchor, audit
from chalicelib.domain.history import Event

MANIFEST = "manifest.json"
TIMELINE = "timeline.json"
STATEMENT = "statement.pdf"
FORMAT = 1
PREFIX = "packs"  # where packs are kept in the evidence bucket


def pack_key(broker_id: str, case_id: str, stamp: str) -> str:
    return f"{PREFIX}/{broker_id}/{case_id}/{''.join(c for c in stamp if c.isalnum())}.zip"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal(body: dict[str, Any]) -> str:
    unsealed = {k: v for k, v in body.items() if k != "seal"}
    anchored = (body.get("anchored") or {}).get("head_hash", "")
    return sha256((anchored + _canonical(unsealed)).encode("utf-8"))


def timeline_json(case_id: str, version: int, head_hash: str, events: list[Event]) -> bytes:
    return json.dumps({"case_id": case_id, "version": version, "head_hash": head_hash, "events": [
        {**e.as_dict(), "prev_hash": e.prev_hash, "hash": e.hash} for e in events]},
        ensure_ascii=False, indent=1).encode("utf-8")


def entry(path: str, data: bytes) -> dict[str, Any]:
    """A file's line in the manifest."""
    return {"path": path, "sha256": sha256(data), "size": len(data)}


def manifest(*, case_id: str, broker_id: str, generated_at: str, locale: str, version: int, head_hash: str,
             anchors: list[Anchor], files: list[dict[str, Any]]) -> bytes:
    newest = max(anchors, default=None)
    body: dict[str, Any] = {
        "format": FORMAT, "case_id": case_id, "broker_id": broker_id, "generated_at": generated_at,
        "locale": locale, "version": version, "head_hash": head_hash,
        "anchored": {"version": newest.version, "head_hash": newest.head_hash} if newest else None,
        "anchors": [[a.version, a.head_hash] for a in sorted(anchors)],
        "files": files,
    }
    body["seal"] = seal(body)
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


@dataclass(frozen=True)
class PackCheck:
    problems: list[str] = field(default_factory=list)
    events: int = 0
    version: int = 0
    head_hash: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> str | None:
        return self.problems[0] if self.problems else None


def _events(timeline: dict[str, Any]) -> list[Event]:
    return [Event(seq=e["seq"], type=e["type"], at=e["at"], actor=e["actor"], data=e["data"],
                  prev_hash=e["prev_hash"], hash=e["hash"], by=e.get("by")) for e in timeline["events"]]


def check(files: dict[str, bytes]) -> PackCheck:
    """Every problem of a pack (its files by path), the first being the one to name."""
    try:
        body = json.loads(files[MANIFEST])
        listed = {f["path"]: f for f in body["files"]}
    except (KeyError, TypeError, ValueError) as exc:
        return PackCheck([f"{MANIFEST}: missing or unreadable ({type(exc).__name__})"])
    problems: list[str] = []
    if body.get("seal") != seal(body):
        problems.append(f"{MANIFEST}: changed (its seal does not match its content)")
    try:
        timeline = json.loads(files[TIMELINE])
        events = _events(timeline)
    except (KeyError, TypeError, ValueError) as exc:
        return PackCheck([*problems, f"{TIMELINE}: missing or unreadable ({type(exc).__name__})"])
    anchors = [Anchor(int(v), str(h)) for v, h in body.get("anchors", [])]
    result = audit(int(body.get("version", 0)), str(body.get("head_hash", "")), events, anchors)
    problems += [f"{TIMELINE}: event {p.seq}: {p.what}" for p in sorted(result.found, key=lambda p: p.seq)]
    for path, entry in listed.items():
        data = files.get(path)
        if data is None:
            problems.append(f"{path}: listed in the manifest but missing")
        elif sha256(data) != entry["sha256"] or len(data) != entry["size"]:
            problems.append(f"{path}: does not match the manifest (sha256 {sha256(data)[:16]}...)")
    problems += [f"{path}: not listed in the manifest" for path in files if path not in listed and path != MANIFEST]
    if timeline.get("head_hash") != body.get("head_hash"):
        problems.append(f"{TIMELINE}: its head hash is not the manifest's")
    return PackCheck(problems, len(events), int(body.get("version", 0)), str(body.get("head_hash", "")))
