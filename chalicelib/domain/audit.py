"""Is a case's stored history the one the application wrote?

The hash chain from the genesis catches an event edited, removed or reordered by someone who did not
recompute the hashes. Whoever can write the table can recompute them all, so the head hash of every
change is also anchored outside the table, write-once (adapters/anchors.py): the chain must pass
through every anchored head, and the case must be at least as new as its newest anchor.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from chalicelib.domain.history import Event, Problem, verify_history


@dataclass(frozen=True, order=True)
class Anchor:
    version: int  # the case version, which is also the seq of the change's newest event
    head_hash: str


@dataclass(frozen=True)
class Audit:
    version: int
    events: int
    anchored_version: int  # 0: nothing anchored yet
    found: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.found

    @property
    def first_bad(self) -> Problem | None:
        return min(self.found, key=lambda p: p.seq) if self.found else None


def audit(version: int, head_hash: str, events: Sequence[Event], anchors: Iterable[Anchor]) -> Audit:
    found = list(verify_history(events, head_hash).found)
    count = len(events)
    if version != count:
        found.append(Problem(min(version, count) + 1, f"the case is at version {version} but has {count} events "
                                                      "(events removed or added)"))
    heads: dict[int, set[str]] = {}
    for anchor in anchors:
        heads.setdefault(anchor.version, set()).add(anchor.head_hash)
    matched = 0
    for anchored, hashes in sorted(heads.items()):
        if len(hashes) > 1:  # only the application writes anchors: a second one is a forgery's trace
            found.append(Problem(matched + 1, f"two different head hashes were anchored for version {anchored}"))
            break
        if anchored > count:
            found.append(Problem(count + 1, f"version {anchored} was anchored but the history ends at event {count}"
                                            " (rolled back, or its newest events removed)"))
            break
        if events[anchored - 1].hash not in hashes:
            found.append(Problem(matched + 1, f"events {matched + 1}..{anchored} do not lead to the head hash "
                                              f"anchored for version {anchored} (edited and rehashed)"))
            break
        matched = anchored
    newest = max(heads, default=0)
    if newest < version and count >= version:
        found.append(Problem(newest + 1, f"events {newest + 1}..{version} were never anchored (written outside "
                                         "the application, or their anchor write failed)"))
    return Audit(version, count, newest, found)
