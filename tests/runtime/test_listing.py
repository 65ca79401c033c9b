"""Listing tickets: what ops look at, on every store, refused cleanly when asked wrongly."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from escflow.errors import RuntimeFlowError, TimeError
from escflow.runtime import Engine
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import MONDAY_9_UTC


def test_the_overdue_tickets_are_the_ones_a_worker_would_move(
    engine: Engine, clock: ManualClock
) -> None:
    engine.open(
        "complaint", priority="medium", ticket_id="T-1"
    )  # warns at 09:15, escalates at 09:30
    engine.open("helpdesk", priority="low", ticket_id="T-2")  # warns at 09:07:30
    clock.advance(timedelta(minutes=5))
    engine.open("complaint", priority="medium", ticket_id="T-3")
    engine.pause("T-3")  # no deadline while paused: listed last
    assert [t.id for t in engine.tickets()] == ["T-2", "T-1", "T-3"]
    assert engine.tickets(due_by=clock.now()) == []
    clock.advance(timedelta(minutes=5))  # 09:10: T-2's warning is due, nobody ticked
    overdue = engine.tickets(due_by=clock.now())
    assert [t.id for t in overdue] == ["T-2"]
    assert overdue[0].next_due == MONDAY_9_UTC + timedelta(minutes=7, seconds=30)
    engine.tick()
    assert engine.tickets(due_by=clock.now()) == []
    assert [t.id for t in engine.tickets(status="paused")] == ["T-3"]
    assert [t.id for t in engine.tickets(flow="helpdesk")] == ["T-2"]
    assert [t.id for t in engine.tickets(status="open", limit=1)] == ["T-1"]  # T-2: 09:22:30


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        ({"status": "opn"}, RuntimeFlowError, "'opn' is not a ticket status (use one of: open,"),
        ({"flow": "complant"}, RuntimeFlowError, "did you mean 'complaint'?"),
        ({"limit": 0}, RuntimeFlowError, "limit is 0; give a whole number from 1 to 100,000"),
        ({"due_by": datetime(2026, 11, 23, 9, 0)}, TimeError, "due_by must be timezone-aware"),
        ({"flow": "caf\udce9"}, RuntimeFlowError, "flow is not valid text: position 4"),
    ],
)
def test_a_wrong_question_is_refused_with_what_to_ask(
    engine: Engine, query: dict[str, object], error: type[Exception], message: str
) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-1")
    with pytest.raises(error) as raised:
        engine.tickets(**query)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_paused_and_resolved_tickets_are_never_overdue(engine: Engine, clock: ManualClock) -> None:
    # They have no deadline: asking for the overdue ones among them finds none (this
    # question built no SQL at all before, and failed inside the store).
    for ticket_id in ("T-p", "T-r"):
        engine.open("complaint", priority="medium", ticket_id=ticket_id)
    engine.pause("T-p")
    engine.resolve("T-r")
    clock.advance(timedelta(days=30))
    assert engine.tickets(status="paused", due_by=clock.now()) == []
    assert engine.tickets(status="resolved", due_by=clock.now()) == []
    assert [t.id for t in engine.tickets(status="paused")] == ["T-p"]
    assert [t.id for t in engine.tickets(status="resolved")] == ["T-r"]
