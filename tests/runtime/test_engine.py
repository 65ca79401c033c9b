"""The engine on the shipped flows: every kind of escalation, at the instants a person computes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escflow.runtime import Engine
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import MONDAY_9_UTC, Inbox


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_open_starts_at_level_1_with_its_window(engine: Engine) -> None:
    change = engine.open("complaint", priority="medium", ticket_id="T-1")
    ticket = change.ticket
    assert (ticket.step, ticket.level, ticket.status) == ("level-1", "level-1", "open")
    # "15-30 minutes": warn at 15, escalate at 30 (wall time).
    assert ticket.warn_at == utc(2026, 11, 23, 9, 15)
    assert ticket.deadline == utc(2026, 11, 23, 9, 30)
    # SLA medium: first response 1 hour; resolution 3 business days from Monday 10:00 Paris
    # = Thursday 10:00 Paris = 09:00 UTC.
    assert ticket.first_response_due == utc(2026, 11, 23, 10, 0)
    assert ticket.resolution_due == utc(2026, 11, 26, 9, 0)
    assert [e.kind for e in change.events] == ["opened"]


def test_the_complaint_walked_by_triggers_from_level_1_to_resolution(
    engine: Engine, clock: ManualClock, inbox: Inbox
) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-1")
    walk = [
        ("asks-for-manager", "level-2"),
        ("solution-unsuccessful", "level-3"),
        ("competitor-switch", "level-4"),
        ("formal-complaint", "level-5"),
        ("demands-refund", "level-6"),
        ("approval-required", "level-7"),
    ]
    for trigger, step in walk:
        clock.advance(timedelta(minutes=5))
        change = engine.fire("T-1", trigger, actor="ana")
        assert change.ticket.step == step
        assert change.events[-1].trigger == trigger
        assert change.events[-1].kind == "moved"
        notice = [a for a in change.actions if a.kind == "customer" and "notice" in a.key]
        assert len(notice) == 1, "each escalation tells the customer why, to whom, how long"
    clock.advance(timedelta(minutes=5))
    done = engine.fire("T-1", "resolved", actor="ceo")
    assert done.ticket.status == "resolved"
    history = engine.history("T-1")
    assert [e.to_step for e in history if e.kind == "moved"] == [s for _, s in walk]
    assert history[-1].kind == "resolved"
    assert history[-1].trigger == "resolved"


def test_automatic_escalation_through_all_seven_levels_at_exact_instants(
    engine: Engine, clock: ManualClock
) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-7")
    clock.set(utc(2026, 12, 7, 0, 0))
    engine.tick()
    escalations = [(e.at, e.to_step) for e in engine.history("T-7") if e.kind == "escalated"]
    assert escalations == [
        (utc(2026, 11, 23, 9, 30), "level-2"),  # 30 minutes
        (utc(2026, 11, 23, 10, 30), "level-3"),  # + 1 hour
        (utc(2026, 11, 23, 12, 30), "level-4"),  # + 2 hours
        (utc(2026, 11, 23, 17, 30), "level-5"),  # + 5 hours (18:30 in Paris)
        # 2 business days (2 x 8 h) from Monday 18:30 Paris: Tuesday and Wednesday
        # 09:00-17:00 -> Wednesday 17:00 Paris.
        (utc(2026, 11, 25, 16, 0), "level-6"),
        # 3 business days from Wednesday 17:00 Paris: Thursday, Friday, Monday -> Monday
        # 30 November 17:00 Paris.
        (utc(2026, 11, 30, 16, 0), "level-7"),
    ]
    ticket = engine.get("T-7")
    assert ticket.step == "level-7", "level 7: until resolution"
    assert ticket.deadline is None, "level 7: until resolution"
    warnings = [e.at for e in engine.history("T-7") if e.kind == "warned"]
    assert warnings[:3] == [
        utc(2026, 11, 23, 9, 15),
        utc(2026, 11, 23, 10, 0),
        utc(2026, 11, 23, 11, 30),
    ]


def test_priority_sets_the_entry_level_and_scales_the_windows(engine: Engine) -> None:
    high = engine.open("complaint", priority="high", ticket_id="T-high").ticket
    assert high.step == "level-2"
    # level 2 "30 minutes - 1 hour", high's factor 0.5 -> 15 and 30 minutes.
    assert (high.warn_at, high.deadline) == (utc(2026, 11, 23, 9, 15), utc(2026, 11, 23, 9, 30))
    critical = engine.open("complaint", priority="critical", ticket_id="T-crit").ticket
    # critical enters at level 3 with the flow's explicit window 15-30 minutes (no factor).
    assert critical.step == "level-3"
    assert critical.deadline == utc(2026, 11, 23, 9, 30)
    low = engine.open("complaint", priority="low", ticket_id="T-low").ticket
    assert low.deadline == utc(2026, 11, 23, 9, 45)  # 30 minutes x 1.5


def test_functional_escalation_to_the_billing_team_and_its_timer(
    engine: Engine, clock: ManualClock
) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-b")
    engine.fire("T-b", "asks-for-manager")
    change = engine.fire("T-b", "needs-specialist", actor="manager")
    assert change.ticket.step == "billing"
    assert change.ticket.level == "billing"
    assert change.ticket.deadline == MONDAY_9_UTC + timedelta(hours=2)
    clock.advance(timedelta(hours=2))
    [timed] = engine.tick()
    assert timed.ticket.step == "level-3"
    assert timed.events[-1].trigger == "timeout"


def test_repeat_restarts_the_window_before_moving_on(engine: Engine, clock: ManualClock) -> None:
    opened = engine.open("follow-up-call", priority="medium", ticket_id="T-r").ticket
    first_deadline = opened.deadline
    assert first_deadline is not None
    clock.set(first_deadline)
    [change] = engine.tick()
    assert [e.kind for e in change.events][-1] == "repeated"
    assert change.ticket.step == opened.step
    assert change.ticket.repeats == 1
    assert change.ticket.deadline == first_deadline + (first_deadline - MONDAY_9_UTC)
    assert change.ticket.deadline is not None
    clock.set(change.ticket.deadline)
    [change] = engine.tick()
    assert change.ticket.level == "level-2"


def test_acknowledgement_stops_the_warning_and_meets_the_first_response(
    engine: Engine, clock: ManualClock
) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-a")
    clock.advance(timedelta(minutes=10))
    change = engine.acknowledge("T-a", actor="ana")
    assert change.ticket.first_response_at == MONDAY_9_UTC + timedelta(minutes=10)
    assert change.events[0].data["within_sla"] is True
    clock.advance(timedelta(minutes=10))
    assert engine.tick() == [], "acknowledged: no warning at 15 minutes"


def test_pause_stops_the_clock_and_resume_gives_back_what_was_left(
    engine: Engine, clock: ManualClock
) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-p")
    clock.advance(timedelta(minutes=20))
    paused = engine.pause("T-p", reason="waiting for the customer's invoice").ticket
    assert paused.status == "paused"
    assert paused.deadline is None
    clock.advance(timedelta(days=2))
    assert engine.tick() == []
    resumed = engine.resume("T-p").ticket
    assert resumed.deadline == clock.now() + timedelta(minutes=10)
    # The SLA counts business days whatever the level's window: 3 business days less the
    # 20 minutes used, from Wednesday 10:20 Paris, end Monday 10:00 Paris (not Saturday).
    assert resumed.resolution_due == utc(2026, 11, 30, 9, 0)


def test_pause_in_business_time_keeps_business_minutes(engine: Engine, clock: ManualClock) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-bp")
    for trigger in ("asks-for-manager", "solution-unsuccessful", "bad-review", "formal-complaint"):
        engine.fire("T-bp", trigger)
    # level 5 entered Monday 10:00 Paris: 2 business days -> Wednesday 10:00 Paris.
    assert engine.get("T-bp").deadline == utc(2026, 11, 25, 9, 0)
    clock.set(utc(2026, 11, 23, 15, 0))  # Monday 16:00 Paris: 6 business hours used
    engine.pause("T-bp")
    clock.set(utc(2026, 11, 27, 12, 0))  # Friday 13:00 Paris
    resumed = engine.resume("T-bp").ticket
    # 10 business hours left: Friday 13:00-17:00 (4 h), Monday 09:00-15:00 (6 h).
    assert resumed.deadline == utc(2026, 11, 30, 14, 0)


def test_resolve_and_reopen(engine: Engine, clock: ManualClock) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-o")
    engine.fire("T-o", "asks-for-manager")
    resolved = engine.resolve("T-o", actor="manager", note="refund issued")
    assert resolved.ticket.status == "resolved"
    assert resolved.events[0].trigger == "solved"
    clock.advance(timedelta(hours=1))
    reopened = engine.reopen("T-o", reason="the refund did not arrive").ticket
    assert (reopened.status, reopened.step) == ("open", "level-2")
    assert reopened.deadline == clock.now() + timedelta(hours=1)


def test_attach_evidence(engine: Engine, clock: ManualClock) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-e")
    call = utc(2026, 11, 23, 8, 45)
    change = engine.attach(
        "T-e",
        "call",
        "Customer called about the broken blender",
        actor="ana",
        occurred_at=call,
        ref="call-991",
    )
    event = change.events[-1]
    assert (event.kind, event.note) == ("attached", "Customer called about the broken blender")
    assert event.data == {"kind": "call", "ref": "call-991", "occurred_at": call}


def test_actions_name_the_person_on_duty(engine: Engine, inbox: Inbox) -> None:
    # The representatives' shift rota starts 2026-01-05 (a Monday) with ana, bruno, chloe
    # taking weekday shifts in turn; 2026-11-23 is shift number 230: 230 % 3 = 2 -> chloe.
    change = engine.open("complaint", priority="medium", ticket_id="T-d")
    assert change.ticket.assignee == "chloe"
    assert change.events[0].data["assignee"] == "chloe"
