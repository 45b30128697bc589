"""One way to change a case: read it, let the domain decide, store the decision in one transaction
conditioned on the version it was decided on; when another writer got there first, read the case again
and decide again (optimistic locking). Every service changes a case through `change_case`.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.cases import Case, Change
from chalicelib.domain.errors import Conflict, VersionConflict
from chalicelib.domain.history import TIMELINE_PAGE, Event
from chalicelib.ports import CaseReader, CaseStore
from chalicelib.services.acting import attribute

# Each failed attempt means another writer's change landed in between, so N concurrent writers on one
# case all land within N attempts (5 turned one of 10 simultaneous notes into a 409 busy).
RETRIES = 16

Decide = Callable[[Case], "Change | None"]


@dataclass(frozen=True)
class Changed:
    """What `change_case` did: the case as it now stands and the change stored (None: nothing to do)."""

    case: Case
    change: Change | None
    history: tuple[Event, ...] = ()  # the timeline as read, with this change's events (see change_case)

    @property
    def created(self) -> bool:
        return self.change is not None

    @property
    def events(self) -> tuple[Event, ...]:
        """The events this change added."""
        return self.change.events if self.change is not None else ()


def change_case(store: CaseStore, broker_id: str, case_id: str, decide: Decide, *,
                unique: dict[str, dict[str, Any]] | None = None, case: Case | None = None,
                reader: CaseReader | None = None) -> Changed:
    """Store what `decide` makes of the case; on a concurrent change, read again and decide again.

    By default the case is read with the newest page of its timeline, and `history` holds it: one event
    more than a view shows, so the view knows whether older ones exist, and a write to a case with
    years of history reads a page, not all of it (the decision needs only the case). A caller that
    already holds the case (a queued snapshot) passes it as `case`, and a `reader` to read only the case
    item again after a conflict; `history` then holds only this change's events. `unique` items are
    written in the same transaction (a webhook's event id); their Conflict reaches the caller.
    """
    timeline: tuple[Event, ...] = ()
    for attempt in range(RETRIES):
        if case is None:
            case, events, _ = store.load_page(broker_id, case_id, before=None, limit=TIMELINE_PAGE + 1)
            timeline = tuple(events)
        change = decide(case)
        if change is None:
            return Changed(case, None, timeline)
        change = attribute(change)  # who made it, when a person or an API key did
        try:
            store.save(change, unique=unique)
        except VersionConflict:
            # DynamoDB may cancel both of two racing transactions: a short random pause lets one win.
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
            case = reader.get_case(broker_id, case_id) if reader is not None else None
            timeline = ()
            continue
        return Changed(change.case, change, timeline + change.events)
    raise Conflict("the case is busy; try again", "case_id", code="busy")
