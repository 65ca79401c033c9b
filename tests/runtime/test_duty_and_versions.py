"""Duty rotations with hold and skip, loops, and flow versions pinned by running tickets."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.runtime import Engine
from escflow.store import MemoryStore
from escflow.timing._clock import ManualClock
from tests.conftest import FLOWS
from tests.runtime.conftest import Inbox, MakeEngine

ROTA = """\
escflow: 1
kind: matrix
name: Rota
calendar: paris
issue_types: {support: {name: Support}}
calendars:
  paris: {timezone: Europe/Paris, hours: {mon-fri: "09:00-17:00"}}
contacts:
  desk:
    name: Desk
    kind: team
    members: [ana, ben]
    shifts: [{starts: "0 9 * * mon-fri", lasts: 8 hours, since: 2026-11-02}]
    off_duty: {policy}
  lead: {name: Lead, kind: person}
---
escflow: 1
kind: flow
id: f
name: F
issue_type: support
levels:
  - level: 1
    contact: desk
    window: 1-2 hours
    triggers: [{id: done, label: Done, to: resolved}]
  - level: 2
    contact: lead
    window: until resolution
    triggers: [{id: done, label: Done, to: resolved}]
"""
SATURDAY_NOON_PARIS = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


def _engine(tmp_path: Path, policy: str, clock: ManualClock) -> Engine:
    (tmp_path / "rota.yaml").write_text(ROTA.replace("{policy}", policy), encoding="utf-8")
    inbox = Inbox()
    from escflow.runtime import Actions

    return Engine(load_matrix(tmp_path), clock=clock, actions=Actions(notify=inbox))


def test_hold_waits_for_the_next_shift(tmp_path: Path) -> None:
    clock = ManualClock(SATURDAY_NOON_PARIS)
    engine = _engine(tmp_path, "hold", clock)
    change = engine.open("f", ticket_id="T-h")
    assert [e.kind for e in change.events] == ["opened", "held"]
    monday_9_paris = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert change.events[1].data["until"] == monday_9_paris
    ticket = change.ticket
    assert ticket.warn_at == monday_9_paris + timedelta(hours=1)
    assert ticket.deadline == monday_9_paris + timedelta(hours=2)
    # Shifts since Monday 2 November: Monday 30 November is the 20th weekday shift -> ana.
    assert ticket.assignee == "ana"


def test_skip_moves_on_when_nobody_is_on_duty(tmp_path: Path) -> None:
    clock = ManualClock(SATURDAY_NOON_PARIS)
    engine = _engine(tmp_path, "skip", clock)
    change = engine.open("f", ticket_id="T-s")
    assert [e.kind for e in change.events] == ["opened", "skipped"]
    assert change.events[1].reason == "nobody on duty at Desk"
    assert change.ticket.level == "level-2"
    weekday = _engine(tmp_path, "skip", ManualClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC)))
    assert weekday.open("f", ticket_id="T-w").ticket.assignee == "ana"


def test_a_trigger_loops_back_to_an_earlier_step(engine: Engine) -> None:
    flow = engine.matrix.flow("it-project")
    loops = [t for s in flow.steps.values() for t in s.triggers if t.kind == "loop"]
    assert loops, "it-project loops back"
    edge = loops[0]
    engine.open("it-project", priority="medium", ticket_id="T-l")
    path = _path_to(flow, flow.entry("medium"), edge.source)
    for trigger in path:
        engine.fire("T-l", trigger)
    change = engine.fire("T-l", edge.id)
    assert change.ticket.step == edge.target


def _path_to(flow: object, start: str, goal: str) -> list[str]:
    from collections import deque

    from escflow.compile import CompiledFlow

    assert isinstance(flow, CompiledFlow)
    queue: deque[tuple[str, list[str]]] = deque([(start, [])])
    seen = {start}
    while queue:
        step, path = queue.popleft()
        if step == goal:
            return path
        for trigger in flow.steps[step].triggers:
            if (
                not trigger.automatic
                and trigger.target in flow.steps
                and trigger.target not in seen
            ):
                seen.add(trigger.target)
                queue.append((trigger.target, [*path, trigger.id]))
    raise AssertionError(f"no manual path from {start} to {goal}")


def test_editing_a_flow_never_changes_a_running_ticket(
    tmp_path: Path, make_engine: MakeEngine, clock: ManualClock
) -> None:
    store = MemoryStore()
    copy = tmp_path / "flows"
    shutil.copytree(FLOWS, copy)
    before = load_matrix(copy)
    engine = make_engine(before)
    engine.store = store
    old = engine.open("complaint", priority="medium", ticket_id="T-old").ticket
    path = copy / "complaint.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("window: 15-30 minutes", "window: 5-10 minutes"),
        encoding="utf-8",
    )
    after = load_matrix(copy)
    assert after.flow("complaint").digest != old.digest
    engine = make_engine(after)
    engine.store = store
    new = engine.open("complaint", priority="medium", ticket_id="T-new").ticket
    assert new.deadline == clock.now() + timedelta(minutes=10)
    assert old.deadline == clock.now() + timedelta(minutes=30)
    clock.advance(timedelta(minutes=10))
    changes = {c.ticket.id: c for c in engine.tick()}
    assert changes["T-new"].ticket.level == "level-2"
    assert engine.get("T-old").level == "level-1", "the old ticket keeps its own window"
    assert engine.flow_of(engine.get("T-old")).digest == old.digest


@pytest.mark.parametrize("when", [datetime(2026, 11, 23, 6, 0, tzinfo=UTC)])
def test_a_ticket_opened_outside_working_hours(engine: Engine, when: datetime) -> None:
    engine.open(
        "complaint", priority="medium", ticket_id="T-x", at=when
    )  # Monday 07:00 Paris, before opening
    for trigger in ("asks-for-manager", "solution-unsuccessful", "bad-review", "formal-complaint"):
        engine.fire("T-x", trigger, at=when)
    ticket = engine.get("T-x")
    # Level 5 counts business days: from 09:00 Paris, 2 x 8 h -> Tuesday 17:00 Paris.
    assert ticket.warn_at == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert ticket.deadline == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
