"""Batches: group commit in tick, and fire_many for services that receive bursts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escflow.errors import InvalidTrigger, UnknownTicket
from escflow.runtime import Engine
from escflow.timing._clock import ManualClock


def test_fire_many_applies_every_call_in_one_transaction(engine: Engine) -> None:
    for n in range(3):
        engine.open("complaint", priority="medium", ticket_id=f"T-{n}")
    changes = engine.fire_many(
        [
            ("T-0", "asks-for-manager"),
            ("T-1", "solved"),
            ("T-0", "needs-specialist"),
            ("T-2", "unable-to-solve"),
        ]
    )
    assert [c.ticket.step for c in changes] == ["billing", "level-1", "level-2"]
    assert engine.get("T-1").status == "resolved"
    assert [e.trigger for e in engine.history("T-0")[1:]] == [
        "asks-for-manager",
        "needs-specialist",
    ]


def test_fire_many_is_all_or_nothing(engine: Engine) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-a")
    engine.open("complaint", priority="medium", ticket_id="T-b")
    with pytest.raises(InvalidTrigger, match="ticket 'T-b' is at step 'level-1'"):
        engine.fire_many([("T-a", "asks-for-manager"), ("T-b", "bad-review")])
    assert len(engine.history("T-a")) == 1
    assert len(engine.history("T-b")) == 1


def test_fire_many_names_an_unknown_ticket_and_changes_nothing(engine: Engine) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-a")
    with pytest.raises(UnknownTicket, match="no ticket 'T-missing'"):
        engine.fire_many([("T-a", "asks-for-manager"), ("T-missing", "asks-for-manager")])
    assert len(engine.history("T-a")) == 1


def test_tick_commits_a_batch_together(engine: Engine, clock: ManualClock) -> None:
    for n in range(5):
        engine.open("complaint", priority="medium", ticket_id=f"T-{n}")
    clock.advance(timedelta(minutes=30))
    changes = engine.tick()
    assert sorted(c.ticket.id for c in changes) == [f"T-{n}" for n in range(5)]
    assert all(c.ticket.level == "level-2" for c in changes)
    assert all([e.kind for e in c.events] == ["warned", "escalated"] for c in changes)
    assert engine.tick() == []
