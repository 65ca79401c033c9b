"""No flow that validates lets its timers grow a ticket's history without bound.

Flows are generated (levels, teams, steps, windows, repeats, automatic triggers and
escalations pointing anywhere); each that compiles runs one ticket in the engine on a
manual clock, with nobody acting, far into the future. Its history must stay under a
bound read off the flow alone:

- a ticket is opened once (1 event);
- each window it enters ends in at most two events: the warning at its minimum, then at
  its maximum a restart (``repeat``), a move by the step's timer, or the end;
- a level's window restarts at most ``repeat`` times before the timer moves the ticket,
  so each entry into a step by a move (or by the opening) gives at most ``repeat + 1``
  windows;
- a timer move leaves a step by its one automatic trigger; taking the same one twice
  would mean a loop of timers, which validate refuses (E133), so there are at most as
  many moves as steps.

Hence at most ``1 + 2 * (steps + 1) * (max repeat + 1)`` events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escflow.compile import Matrix, compile_flow
from escflow.errors import DefinitionError
from escflow.runtime import Actions, Engine
from escflow.spec import FlowDoc, MatrixDoc
from escflow.timing._clock import ManualClock

MATRIX = MatrixDoc.model_validate(
    {
        "escflow": 1,
        "kind": "matrix",
        "name": "Generated",
        "calendar": "office",
        "issue_types": {"support": {"name": "Support"}},
        "calendars": {"office": {"timezone": "Europe/Paris", "hours": {"mon-fri": "09:00-17:00"}}},
        "contacts": {"desk": {"name": "Desk", "kind": "team"}},
    }
)
WINDOWS = [
    "until resolution",
    "1-2 minutes",
    "5 minutes",
    "10-30 minutes",
    "1-2 hours",
    "1-2 business hours",
    "1 business day",
]
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@st.composite
def flows(draw: st.DrawFn) -> dict[str, Any]:
    """A flow document: every reference it makes is to a unit or step it has."""
    ladder = draw(st.integers(1, 4))
    teams = draw(st.integers(0, 2))
    units = [f"level-{n}" for n in range(1, ladder + 1)] + [f"team-{n}" for n in range(teams)]
    shapes = {unit: draw(st.integers(1, 2)) for unit in units}
    steps = {unit: [f"{unit}-s{k}" for k in range(shapes[unit])] for unit in units}
    targets = [*units, *(s for unit in units for s in steps[unit]), "resolved"]

    def unit(name: str, position: int) -> dict[str, Any]:
        team = name.startswith("team")
        window = draw(st.sampled_from(WINDOWS))
        timed = window != "until resolution"
        level: dict[str, Any] = {
            "level": position if not team else 1,
            "contact": "desk",
            "window": window,
            "repeat": draw(st.integers(0, 2)),
        }
        if team:
            level["id"] = name
        escalation = draw(st.none() | st.sampled_from([*units, "resolved"]))
        if escalation is not None or (team and timed):
            level["escalates_to"] = escalation or draw(st.sampled_from([*units, "resolved"]))
        last = not team and position == ladder
        shaped = []
        for k, step in enumerate(steps[name]):
            triggers: list[dict[str, Any]] = [
                {"id": "done", "label": "Done", "to": "resolved"},
            ]
            if name == "level-1" and k == 0:  # every unit and step can be reached
                triggers += [
                    {"id": f"to-{t}", "label": t, "to": t}
                    for t in targets
                    if t not in ("resolved", "level-1", "level-1-s0")
                ]
            if timed and draw(st.booleans()):
                to = draw(
                    st.sampled_from(targets) if last else st.none() | st.sampled_from(targets)
                )
                timer: dict[str, Any] = {"id": "timer", "label": "Timer", "automatic": True}
                if to is not None:
                    timer["to"] = to
                triggers.append(timer)
            shaped.append({"id": step, "triggers": triggers})
        level["steps"] = shaped
        return level

    return {
        "escflow": 1,
        "kind": "flow",
        "id": "generated",
        "name": "Generated",
        "issue_type": "support",
        "levels": [unit(f"level-{n}", n) for n in range(1, ladder + 1)],
        "teams": [unit(f"team-{n}", 1) for n in range(teams)],
    }


def _bound(flow: FlowDoc) -> int:
    levels = [*flow.levels, *flow.teams]
    steps = sum(len(level.all_steps()) for level in levels)
    repeat = max(level.repeat for level in levels)
    return 1 + 2 * (steps + 1) * (repeat + 1)


def _done() -> dict[str, Any]:
    return {"id": "done", "label": "Done", "to": "resolved"}


# Timers through a level that restarts its window: entering the level from the queue
# starts its count of restarts again, so the ticket goes round for ever.
THROUGH_A_RESTART = {
    "escflow": 1,
    "kind": "flow",
    "id": "generated",
    "name": "Generated",
    "issue_type": "support",
    "levels": [
        {
            "level": 1,
            "contact": "desk",
            "window": "1-2 minutes",
            "triggers": [_done(), {"id": "t", "label": "T", "to": "recheck", "automatic": True}],
        }
    ],
    "teams": [
        {
            "id": "recheck",
            "level": 1,
            "contact": "desk",
            "window": "5-10 minutes",
            "repeat": 1,
            "escalates_to": "resolved",
            "steps": [
                {
                    "id": "look",
                    "triggers": [
                        _done(),
                        {"id": "q", "label": "Q", "to": "queue", "automatic": True},
                    ],
                },
                {"id": "answer", "triggers": [_done()]},
            ],
        },
        {
            "id": "queue",
            "level": 1,
            "contact": "desk",
            "window": "5-10 minutes",
            "triggers": [_done(), {"id": "b", "label": "B", "to": "answer", "automatic": True}],
        },
    ],
}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(flows())
@example(THROUGH_A_RESTART)
def test_a_valid_flow_never_grows_a_history_without_bound(data: dict[str, Any]) -> None:
    flow = FlowDoc.model_validate(data)
    try:
        compiled = compile_flow(MATRIX, flow)
    except DefinitionError:
        return  # validate refuses it: nothing runs
    clock = ManualClock(START)
    engine = Engine(
        Matrix(MATRIX, "<generated>", {compiled.id: compiled}),
        clock=clock,
        actions=Actions(notify=lambda action: None),
    )
    engine.open(compiled.id, priority=None, ticket_id="T-1")
    clock.set(START + timedelta(days=400))
    for _ in range(3):  # one round catches up 10,000 events; a bounded flow needs one
        if not engine.tick():
            break
    ticket = engine.get("T-1")
    history = engine.history("T-1")
    assert len(history) <= _bound(flow), [e.kind for e in history][:40]
    assert ticket.next_due is None or ticket.next_due > clock.now()
