"""The state at a past instant, rebuilt from the events: ``ticket show --at`` and
``report --at`` say afterwards what ``ticket show`` said at each instant of a run."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escflow.cli import main
from escflow.cli._tickets import _print_ticket
from escflow.compile import Matrix
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from escflow.timing import ManualClock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# What the run does, minute by minute from T0: (minute, call, ticket, argument). Between
# the calls the clock moves on without a tick now and then, so that some timer events are
# only previewed (not stored) when ``ticket show`` looks, and stored later.
SCRIPT: tuple[tuple[int, str, str, str | None], ...] = (
    (0, "open", "A", "medium"),
    (2, "open", "B", "high"),
    (4, "open", "C", "low"),
    (9, "ack", "A", None),
    (20, "fire", "B", "solution-unsuccessful"),
    (26, "pause", "C", None),
    (47, "tick", "", None),  # A's window (30 minutes) ended at 30: stored only now
    (58, "resume", "C", None),
    (75, "resolve", "B", None),
    (95, "reopen", "B", None),
    (130, "tick", "", None),
    (160, "fire", "A", "solved"),
)


def _shown(engine: Engine, ticket_id: str, capsys: pytest.CaptureFixture[str]) -> Any:
    """What ``ticket show ID --format json`` prints with the clock where it is."""
    capsys.readouterr()
    _print_ticket(engine, engine.preview(ticket_id), "json")
    data = json.loads(capsys.readouterr().out)
    data.pop("unstored_events")  # stored by then, or not: the state is the same
    return data


def _call(engine: Engine, call: str, ticket_id: str, argument: str | None) -> None:
    if call == "open":
        engine.open("complaint", priority=argument, ticket_id=ticket_id)
    elif call == "tick":
        engine.tick()
    elif call == "fire":
        assert argument is not None
        engine.fire(ticket_id, argument)
    else:
        getattr(engine, {"ack": "acknowledge"}.get(call, call))(ticket_id)


def test_show_at_an_instant_is_what_show_said_then(
    tmp_path: Path, matrix: Matrix, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    clock = ManualClock(T0)
    seen: list[tuple[datetime, str, Any]] = []
    with open_store(url) as store:
        engine = Engine(matrix, store, clock=clock, actions=Actions.log(io.StringIO()))
        script = list(SCRIPT)
        for minute in range(0, 181, 3):
            while script and script[0][0] <= minute:
                at, call, ticket_id, argument = script.pop(0)
                clock.set(T0 + at * MINUTE)
                _call(engine, call, ticket_id, argument)
            clock.set(T0 + minute * MINUTE)
            for ticket_id in "ABC":
                if store.get(ticket_id) is not None:
                    seen.append((clock.now(), ticket_id, _shown(engine, ticket_id, capsys)))
        # A worker catches up afterwards: report --at counts stored events only, so the
        # timers that passed unticked are stored (each at its own instant) first.
        engine.tick(clock.set(T0 + 200 * MINUTE))
    assert len(seen) > 150
    assert len({json.dumps(s[2], sort_keys=True) for s in seen}) > 15, "the tickets moved"
    for instant, ticket_id, then in seen:
        args = ["ticket", "show", ticket_id, "--db", url, "--at", instant.isoformat()]
        assert main([*args, "--format", "json"]) == 0
        now = json.loads(capsys.readouterr().out)
        now.pop("unstored_events")
        assert now == then, (ticket_id, instant)
    # report --at: the open tickets by flow and level, as the shows saw them at each instant
    for instant in sorted({s[0] for s in seen})[::5]:
        shows = [s[2] for s in seen if s[0] == instant and s[2]["status"] != "resolved"]
        assert main(["report", "--db", url, "--at", instant.isoformat(), "--format", "json"]) == 0
        got = json.loads(capsys.readouterr().out)["open"]
        assert {(o["flow"], o["level"]): o["open"] for o in got} == Counter(
            (s["flow"], s["level"]) for s in shows
        ), instant
        assert sum(o["paused"] for o in got) == sum(s["status"] == "paused" for s in shows)


def test_show_before_the_ticket_opened(
    tmp_path: Path, matrix: Matrix, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    with open_store(url) as store:
        Engine(matrix, store, clock=ManualClock(T0), actions=Actions.log(io.StringIO())).open(
            "complaint", ticket_id="A"
        )
    args = ["ticket", "show", "A", "--db", url, "--at", "2026-11-01T00:00Z"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "ticket 'A' was opened at 2026-11-02T09:00:00+00:00, after 2026-11-01" in err
    assert main([*args[:-1], "yesterday"]) == 2
    assert "'yesterday' is not an instant" in capsys.readouterr().err
