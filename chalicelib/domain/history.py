"""The tamper-evident timeline: each event's hash covers the previous hash plus its own canonical form."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Events per page of a case's timeline in a response: 100 notes of 4,000 characters are about 0.5 MB,
# far under Lambda's 6 MB response limit however long the history grows.
TIMELINE_PAGE = 100


GENESIS = "0" * 64


def canonical(seq: int, type_: str, at: str, actor: str, data: dict[str, Any],
              by: dict[str, str] | None = None) -> str:
    """One stable text per event: sorted keys, no spaces, so any edit changes the hash.

    `by` (the person or API key that caused the event) is covered when present; events written before
    it existed have none, so their text and hash are what they always were.
    """
    body: dict[str, Any] = {"seq": seq, "type": type_, "at": at, "actor": actor, "data": data}
    if by is not None:
        body["by"] = by
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, canonical_form: str) -> str:
    return hashlib.sha256((prev_hash + canonical_form).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Event:
    seq: int
    type: str
    at: str
    actor: str
    data: dict[str, Any]
    prev_hash: str
    hash: str
    by: dict[str, str] | None = None  # {"kind": "user" | "api_key", "id", "name"}: who, when a person or key

    @classmethod
    def seal(cls, prev_hash: str, seq: int, type_: str, at: str, actor: str, data: dict[str, Any],
             by: dict[str, str] | None = None) -> Event:
        digest = chain_hash(prev_hash, canonical(seq, type_, at, actor, data, by))
        return cls(seq, type_, at, actor, data, prev_hash, digest, by)

    def as_dict(self) -> dict[str, Any]:
        shown = {"seq": self.seq, "type": self.type, "at": self.at, "actor": self.actor, "data": self.data}
        return shown if self.by is None else {**shown, "by": self.by}


def attributed(events: Sequence[Event], by: dict[str, str]) -> list[Event]:
    """`events` (a run of the chain) sealed again with who caused them: same links, new hashes."""
    sealed: list[Event] = []
    prev = events[0].prev_hash if events else GENESIS
    for e in events:
        sealed.append(Event.seal(prev, e.seq, e.type, e.at, e.actor, e.data, by))
        prev = sealed[-1].hash
    return sealed


@dataclass(frozen=True)
class Problem:
    seq: int  # the first event it concerns (one past the newest when events are missing at the end)
    what: str


@dataclass(frozen=True)
class HistoryReport:
    found: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.found

    @property
    def problems(self) -> list[str]:
        """For people: each problem with the position in the chain where it shows."""
        return [f"event {p.seq}: {p.what}" for p in self.found]

    @property
    def first(self) -> Problem | None:
        """The earliest bad event: everything before it is intact."""
        return min(self.found, key=lambda p: p.seq) if self.found else None


def verify_history(events: Sequence[Event], head_hash: str | None = None, *, segment: bool = False) -> HistoryReport:
    """Find edited, removed or reordered events.

    `head_hash` is the hash the case item remembers for its newest event: without it, dropping the
    newest events would leave a shorter chain that still verifies. A `segment` (one page of a long
    timeline) starts from its first event's link instead of the genesis, so only the events shown are checked.
    Problems are named by position, so a removed or reordered event shows where the chain first breaks.
    """
    found: list[Problem] = []
    prev = events[0].prev_hash if segment and events else GENESIS
    first = events[0].seq if segment and events else 1
    for expected_seq, event in enumerate(events, start=first):
        if event.seq != expected_seq:
            found.append(Problem(expected_seq, f"found event {event.seq} here (removed or reordered)"))
        if event.prev_hash != prev:
            found.append(Problem(expected_seq, "does not follow the event before it (removed or reordered)"))
        recomputed = chain_hash(event.prev_hash,
                                canonical(event.seq, event.type, event.at, event.actor, event.data, event.by))
        if recomputed != event.hash:
            found.append(Problem(expected_seq, "content does not match its hash (edited)"))
        prev = event.hash
    if head_hash is not None and prev != head_hash:
        found.append(Problem(first + len(events),
                             "the newest event is not the one the case points to (events removed or added)"))
    return HistoryReport(found)
