"""Who is acting in the request being handled: the route layer sets it once it has checked the credentials,
and every change a service stores while it is set records that person or API key (`by`) in its events.

A context variable rather than a parameter through every service: each request (or thread of the local
server) has its own, and a change made outside a staff request (the sweep, Stripe, a customer) has none.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace

from chalicelib.domain.cases import Change
from chalicelib.domain.history import attributed
from chalicelib.domain.staff import Principal

_CURRENT: ContextVar[Principal | None] = ContextVar("acting", default=None)


def current() -> Principal | None:
    return _CURRENT.get()


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    token = _CURRENT.set(principal)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def on_behalf_of(broker_id: str, by: dict[str, str] | None) -> contextlib.AbstractContextManager[None]:
    """For work a person or key started and a worker carries on (an import): its changes name them.
    The role is not checked there (it was when the work was started); only who is recorded."""
    if by is None:
        return contextlib.nullcontext()
    return acting_as(Principal(broker_id, "viewer", by["kind"], by["id"], by["name"]))


def attribute(change: Change) -> Change:
    """The change with its events sealed again naming who caused them (unchanged outside a staff request)."""
    principal = _CURRENT.get()
    if principal is None or not change.events:
        return change
    events = attributed(change.events, principal.by)
    return replace(change, events=tuple(events), case=replace(change.case, head_hash=events[-1].hash))
