"""What a ticket is told and when: windows as its priority scales them, pauses in the
terms of each clock, catching up, and calls that are retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.errors import KeyReused, RuntimeFlowError
from escflow.runtime import Actions, Engine
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import Inbox


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_critical_ticket_is_told_the_windows_its_priority_gives(
    engine: Engine, clock: ManualClock, inbox: Inbox
) -> None:
    # Critical enters level 3 (its own window: 15-30 minutes) and scales the others by
    # 0.25: level 4's 2-5 hours are 30-75 minutes, level 5's 1-2 business days (8 hours
    # each in the office calendar) are 2-4 business hours.
    engine.open("complaint", priority="critical", ticket_id="T-c")
    clock.advance(timedelta(minutes=30))
    engine.tick()  # level 3's 30 minutes end: level 4
    clock.advance(timedelta(minutes=30))
    engine.tick()  # level 4's minimum: the warning
    clock.advance(timedelta(minutes=45))
    engine.tick()  # level 4's 75 minutes end: level 5
    engine.deliver()
    notices = [a.payload["message"] for a in inbox.received if a.kind == "customer"]
    assert any("should answer within 30-75 minutes." in n for n in notices), notices
    assert any("should answer within 2-4 business hours." in n for n in notices), notices
    events = engine.history("T-c")
    assert [(e.at, e.reason) for e in events if e.kind == "warned"] == [
        (utc(2026, 11, 23, 9, 15), "window minimum 15 minutes passed"),  # level 3, as set
        (utc(2026, 11, 23, 10, 0), "window minimum 30 minutes passed"),  # level 4, scaled
    ]
    escalated = [(e.at, e.to_step) for e in events if e.kind == "escalated"]
    assert escalated == [
        (utc(2026, 11, 23, 9, 30), "level-4"),
        (utc(2026, 11, 23, 10, 45), "level-5"),
    ]
    warnings = [a.payload["message"] for a in inbox.received if a.key.endswith(":warning")]
    assert [w.split(" (")[0] for w in warnings] == [
        "Ticket T-c has waited 15 minutes at level 3",
        "Ticket T-c has waited 30 minutes at level 4",
    ]


def test_an_escalation_by_a_window_gives_the_end_its_priority_gave(
    engine: Engine, clock: ManualClock
) -> None:
    # High enters level 2 and halves its 30 minutes - 1 hour: the timer the window adds
    # fires at 30 minutes, and the reason says so (the chart's label says '1 hour').
    engine.open("complaint", priority="high", ticket_id="T-h")
    clock.advance(timedelta(minutes=30))
    (change,) = engine.tick()
    escalated = next(e for e in change.events if e.kind == "escalated")
    assert (escalated.trigger, escalated.reason) == ("timeout", "Unresolved after 30 minutes")


def test_a_medium_ticket_is_told_the_windows_as_written(
    engine: Engine, clock: ManualClock, inbox: Inbox
) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-m")
    engine.fire("T-m", "asks-for-manager")
    engine.deliver()
    notice = next(a for a in inbox.received if a.kind == "customer")
    assert notice.payload["window"] == "30 minutes - 1 hour"


def test_a_pause_keeps_a_wall_time_sla_in_wall_time(engine: Engine, clock: ManualClock) -> None:
    # account-access, critical: resolution in 2 hours of wall time, whatever the level.
    # Moved up to level 5, whose window counts business days, then paused 30 minutes in:
    # 90 minutes are left of the SLA, and they run from the resume, even at night.
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))  # Friday 16:00 Paris
    engine.open("account-access", priority="critical", ticket_id="T-w")
    for trigger in ("locked-by-policy", "ownership-dispute", "legal-question"):
        engine.fire("T-w", trigger)
    assert engine.get("T-w").level == "level-5"
    clock.advance(timedelta(minutes=30))
    engine.pause("T-w")
    clock.set(datetime(2026, 11, 27, 19, 0, tzinfo=UTC))  # Friday 20:00 Paris
    resumed = engine.resume("T-w").ticket
    assert resumed.resolution_due == utc(2026, 11, 27, 20, 30)


def test_a_pause_keeps_a_business_time_sla_in_business_time(
    engine: Engine, clock: ManualClock
) -> None:
    # complaint, medium: 3 business days to resolve, opened Friday 16:00 Paris: due
    # Wednesday 16:00. Paused at 16:05 (23 h 55 of business time left), resumed Monday
    # 09:00: Monday 8 h + Tuesday 8 h + Wednesday 7 h 55 -> Wednesday 16:55 Paris. The level
    # window is wall time (15-30 minutes): the SLA does not follow it.
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    assert engine.open(
        "complaint", priority="medium", ticket_id="T-b"
    ).ticket.resolution_due == utc(2026, 12, 2, 15, 0)
    clock.advance(timedelta(minutes=5))
    engine.pause("T-b")
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday 09:00 Paris
    assert engine.resume("T-b").ticket.resolution_due == utc(2026, 12, 2, 15, 55)


def test_the_notices_read_as_sentences_to_the_last_level(
    engine: Engine, clock: ManualClock, inbox: Inbox
) -> None:
    engine.open("complaint", priority="high", ticket_id="T-s")
    clock.advance(timedelta(days=30))  # every window has passed: level 7, senior management
    engine.tick()
    engine.deliver()
    messages = [a.payload["message"] for a in inbox.received if "message" in a.payload]
    # Level 2 (where 'high' enters) is told why the ticket came, though nothing moved it.
    assert messages[0] == "Complaint T-s needs you: new ticket, priority high"
    assert messages[-1] == (
        "Your request T-s is moving to Senior management because unresolved after 12 business"
        " hours. Senior management will handle it until it is resolved."
    )


def test_resolving_a_paused_ticket_ends_the_pause(engine: Engine, clock: ManualClock) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-r")
    engine.pause("T-r")
    clock.advance(timedelta(minutes=5))
    assert engine.resolve("T-r").ticket.paused_at is None
    reopened = engine.reopen("T-r").ticket
    assert (reopened.status, reopened.paused_at) == ("open", None)


def test_what_a_call_sees_is_where_the_flow_has_taken_the_ticket(
    engine: Engine, clock: ManualClock
) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-p")
    clock.advance(timedelta(minutes=45))  # level 1 ended at 30 minutes; no tick ran
    preview = engine.preview("T-p")
    # and at 45 minutes, 75% of the medium priority's first response target (1 hour)
    assert [e.kind for e in preview.events] == ["warned", "escalated", "sla_warning"]
    assert preview.ticket.level == "level-2"
    assert engine.get("T-p").level == "level-1", "a preview stores nothing"
    assert "asks-for-manager" not in engine.valid_triggers("T-p")
    assert "solution-unsuccessful" in engine.valid_triggers("T-p")
    engine.fire("T-p", "solution-unsuccessful")
    assert engine.get("T-p").level == "level-3"


def test_no_trigger_is_valid_while_a_ticket_waits_on_the_customer(engine: Engine) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-w")
    engine.pause("T-w")
    assert engine.valid_triggers("T-w") == []
    engine.resume("T-w")
    assert "asks-for-manager" in engine.valid_triggers("T-w")


def test_an_open_without_an_id_is_replayed_by_its_key(engine: Engine) -> None:
    first = engine.open("complaint", priority="medium", key="crm-open-7")
    again = engine.open("complaint", priority="medium", key="crm-open-7")
    assert again.replayed
    assert again.ticket.id == first.ticket.id
    assert again.events == first.events
    assert len(engine.tickets()) == 1


def test_a_burst_may_come_as_an_iterator(engine: Engine) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-i")
    changes = engine.fire_many(iter([("T-i", "asks-for-manager"), ("T-i", "solved")]))
    assert [c.ticket.status for c in changes] == ["resolved"]
    assert engine.get("T-i").status == "resolved"


# Fifty levels that each restart their 1-2 minute window a hundred times before the timer
# moves on: 50 x 101 windows, each a warning and an end, are 10,100 timer events in 7 days.
LONG = (
    """\
escflow: 1
kind: matrix
name: Long
issue_types: {support: {name: Support}}
contacts:
  desk: {name: Desk, kind: team}
---
escflow: 1
kind: flow
id: long
name: Long
issue_type: support
levels:
"""
    + "".join(
        f"  - {{level: {n}, contact: desk, window: 1-2 minutes, repeat: 100,"
        " triggers: [{id: done, label: Done, to: resolved}]}\n"
        for n in range(1, 51)
    )
    + (
        "  - {level: 51, contact: desk, window: until resolution,"
        " triggers: [{id: done, label: Done, to: resolved}]}\n"
    )
)


def test_more_timer_events_than_a_call_applies_are_caught_up_by_ticks(tmp_path: Path) -> None:
    # A call is refused rather than applied to a ticket that is not where its flow has
    # taken it; ticks move it on, 10,000 events at a time.
    (tmp_path / "long.yaml").write_text(LONG, encoding="utf-8")
    clock = ManualClock(utc(2026, 1, 5, 10, 0))
    engine = Engine(load_matrix(tmp_path), clock=clock, actions=Actions(notify=Inbox()))
    engine.open("long", priority=None, ticket_id="T-long")
    clock.set(utc(2026, 1, 20, 10, 0))
    before = engine.history("T-long")
    with pytest.raises(RuntimeFlowError, match="more than 10,000 warnings and deadlines due"):
        engine.fire("T-long", "done")
    with pytest.raises(RuntimeFlowError, match="more than 10,000 warnings and deadlines due"):
        engine.preview("T-long")
    assert engine.history("T-long") == before
    versions = []
    while engine.tick():
        versions.append(engine.get("T-long").version)
    assert versions == [1 + 10_000, 1 + 50 * 101 * 2]
    caught_up = engine.get("T-long")
    assert caught_up.level == "level-51"
    assert caught_up.next_due is None
    assert engine.fire("T-long", "done").ticket.status == "resolved"


def test_a_keyed_call_after_a_warning_keeps_its_key(engine: Engine, clock: ManualClock) -> None:
    # The call first applies the warning that passed at 15 minutes; its own event, not the
    # warning's action, carries the call's key, so a retry finds it and replays.
    engine.open("complaint", priority="medium", ticket_id="T-k")
    clock.advance(timedelta(minutes=20))
    change = engine.fire("T-k", "asks-for-manager", key="crm-9")
    assert [(e.kind, e.key) for e in change.events] == [("warned", None), ("moved", "crm-9")]
    retry = engine.fire("T-k", "asks-for-manager", key="crm-9")
    assert retry.replayed
    assert retry.events == change.events
    assert len(engine.history("T-k")) == 3


def test_a_replay_answers_with_the_whole_call(engine: Engine, clock: ManualClock) -> None:
    """The events the first call appended, the warning it caught up on first, and the
    actions it queued: the retry's answer equals the first one's."""
    engine.open("complaint", priority="medium", ticket_id="T-1")
    clock.advance(timedelta(minutes=20))
    change = engine.fire(
        "T-1", "asks-for-manager", actor="ana", note="wants a manager", key="crm-event-81"
    )
    assert [e.kind for e in change.events] == ["warned", "moved"]
    assert [a.key for a in change.actions] == ["T-1:2:warning", "T-1:3:0", "T-1:3:notice"]
    retry = engine.fire(
        "T-1", "asks-for-manager", actor="ana", note="wants a manager", key="crm-event-81"
    )
    assert retry.replayed
    assert not change.replayed
    assert (retry.ticket, retry.events, retry.actions) == (
        change.ticket,
        change.events,
        change.actions,
    )
    with pytest.raises(KeyReused, match="used on ticket 'T-1' for another call"):
        engine.fire(
            "T-1", "asks-for-manager", actor="bo", note="wants a manager", key="crm-event-81"
        )
