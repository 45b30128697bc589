"""The audit of a case against its anchors: the cases the API tests cannot stage through the table."""
from __future__ import annotations

from chalicelib.domain.audit import Anchor, audit
from chalicelib.domain.history import Event
from tests.unit.test_history import timeline  # noqa: F401 (the fixture)


def test_a_second_anchor_for_a_version_is_a_forgers_trace(timeline):  # noqa: F811
    case, events = timeline
    anchors = [Anchor(e.seq, e.hash) for e in events] + [Anchor(5, "f" * 64)]
    result = audit(case.version, case.head_hash, events, anchors)
    assert not result.ok
    assert result.first_bad is not None and "two different head hashes were anchored for version 5" in \
        result.first_bad.what


def test_a_change_of_several_events_rehashed_is_named_from_its_first_event(timeline):  # noqa: F811
    case, events = timeline
    anchors = [Anchor(v, events[v - 1].hash) for v in (2, 3, 4, 8)]  # one per change: the payment is events 5..8
    forged, prev = events[:4], events[3].hash
    for e in events[4:]:  # event 6 edited, the payment's events all rehashed
        data = {**e.data, "amount": 1} if e.seq == 6 else e.data
        forged.append(Event.seal(prev, e.seq, e.type, e.at, e.actor, data))
        prev = forged[-1].hash
    result = audit(case.version, prev, forged, anchors)
    assert result.first_bad is not None and result.first_bad.seq == 5
    assert "events 5..8 do not lead to the head hash anchored for version 8" in result.first_bad.what
