"""What a customer holding a pay link may do. Every failure to authenticate looks the same."""
from __future__ import annotations

import logging

from chalicelib.domain import cases as domain
from chalicelib.domain.cases import Case
from chalicelib.domain.errors import NotFound, Unauthorized, VersionConflict
from chalicelib.domain.history import TIMELINE_PAGE, Event
from chalicelib.ports import CaseStore, Clock
from chalicelib.services.links import INVALID_LINK, PayLinks

log = logging.getLogger(__name__)


class CustomerService:
    def __init__(self, store: CaseStore, links: PayLinks, clock: Clock) -> None:
        self._store = store
        self._links = links
        self._clock = clock

    def authenticate(self, token: str | None, before: int | None = None) -> tuple[Case, list[Event]]:
        """The one case this token reaches (signed by a live key, not expired, not revoked), with the
        newest page of its timeline under `before` (`older` then holds the cursor to the page below)."""
        case, events, _ = self.page(token, before)
        return case, events

    def page(self, token: str | None, before: int | None) -> tuple[Case, list[Event], int | None]:
        claims = self._links.read(token or "")
        if claims.expired(self._clock()):
            raise Unauthorized(INVALID_LINK, code="invalid_link")
        try:
            case, events, older = self._store.load_page(claims.broker_id, claims.case_id, before=before,
                                                        limit=TIMELINE_PAGE)
        except NotFound:
            raise Unauthorized(INVALID_LINK, code="invalid_link") from None
        if not claims.matches(case):
            raise Unauthorized(INVALID_LINK, code="invalid_link")
        return case, events, older

    def reminder_of(self, token: str | None) -> str | None:
        """Which reminder carried this (already authenticated) link, if one did."""
        return self._links.read(token or "").ref

    def open(self, token: str | None, before: int | None = None) -> tuple[Case, list[Event], int | None]:
        """The customer's view of the case: the newest page of its timeline (under `before`), its cursor."""
        case, events, older = self.page(token, before)
        change = domain.record_link_opened(case, at=self._clock())
        if change is None:
            return case, events, older
        try:
            self._store.save(change)
        except VersionConflict:
            # Someone changed the case at the same moment; the next open records the visit.
            log.info("link_opened not recorded", extra={"case_id": case.case_id})
            return case, events, older
        return change.case, events + list(change.events) if before is None else events, older
