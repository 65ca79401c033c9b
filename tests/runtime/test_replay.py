"""Property: whatever happens to a ticket, replaying its events rebuilds its state."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escflow import EscflowError, Matrix
from escflow.records import replay
from escflow.runtime import Actions, Engine
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import MONDAY_9_UTC, Inbox

COMMANDS = [
    "fire",
    "fire",
    "fire",
    "acknowledge",
    "pause",
    "resume",
    "resolve",
    "reopen",
    "attach",
    "wait",
    "wait",
    "repeat-key",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_replaying_events_rebuilds_the_ticket(matrix: Matrix, data: st.DataObject) -> None:
    inbox = Inbox()
    handlers = dict.fromkeys(matrix.handler_names, inbox)
    clock = ManualClock(MONDAY_9_UTC)
    engine = Engine(
        matrix, clock=clock, actions=Actions(notify=inbox, webhook=inbox, handlers=handlers)
    )
    flow = matrix.flow(data.draw(st.sampled_from(sorted(matrix.flows))))
    priority = data.draw(st.sampled_from(sorted(flow.priorities)))
    engine.open(flow.id, priority=priority, ticket_id="T")
    triggers = sorted({t.id for s in flow.steps.values() for t in s.triggers})
    last_key = "k-0"
    for n in range(data.draw(st.integers(1, 25))):
        command = data.draw(st.sampled_from(COMMANDS))
        try:
            if command == "fire":
                engine.fire("T", data.draw(st.sampled_from(triggers)), key=f"k-{n}")
                last_key = f"k-{n}"
            elif command == "wait":
                clock.advance(timedelta(minutes=data.draw(st.integers(1, 3 * 24 * 60))))
                engine.tick()
            elif command == "repeat-key":
                engine.fire("T", data.draw(st.sampled_from(triggers)), key=last_key)
            elif command == "attach":
                engine.attach("T", "note", f"note {n}")
            else:
                getattr(engine, command)("T")
        except EscflowError:
            pass
        history = engine.history("T")
        assert replay(history) == engine.get("T")
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
        assert all(a.at <= b.at for a, b in itertools.pairwise(history))
