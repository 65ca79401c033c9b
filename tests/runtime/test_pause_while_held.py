"""Pausing a ticket held for the next shift: the hold is not part of its window.

A ticket opened at 10:00 at a level whose only shift starts at 13:00 is held: its window
(1-2 hours) starts at 13:00, so it warns at 14:00 and escalates at 15:00. A pause moves
those instants only by the part of the pause after 13:00. The expected instants below are
worked out by hand from those figures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import MakeEngine

ROTA = """\
escflow: 1
kind: matrix
name: Rota
calendar: utc
issue_types: {support: {name: Support}}
calendars:
  utc: {timezone: UTC, hours: {mon-fri: "09:00-17:00"}}
contacts:
  desk:
    name: Desk
    kind: team
    members: [ana, ben]
    shifts: [{starts: "0 13 * * mon-fri", lasts: 4 hours, since: 2026-11-02}]
    off_duty: hold
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
    window: {window}
    triggers: [{id: done, label: Done, to: resolved}]
  - level: 2
    contact: lead
    window: until resolution
    triggers: [{id: done, label: Done, to: resolved}]
"""
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def _at(hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(hours=hour, minutes=minute)


# (pause, resume, warning after, deadline after): by hand, from a window of 13:00-14:00-15:00.
CASES = {
    # 11:00-12:00 lies wholly inside the hold: nothing moves.
    "inside the hold": ((11, 0), (12, 0), _at(14), _at(15)),
    # 12:30-13:30: only 13:00-13:30 counts, 30 minutes.
    "over the shift start": ((12, 30), (13, 30), _at(14, 30), _at(15, 30)),
    # 13:20-13:40, after the shift start: all 20 minutes count.
    "after the shift start": ((13, 20), (13, 40), _at(14, 20), _at(15, 20)),
}


@pytest.mark.parametrize("window", ["1-2 hours", "1-2 business hours"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_pause_moves_the_window_only_by_its_part_after_the_shift_start(
    make_engine: MakeEngine, clock: ManualClock, tmp_path: Path, case: str, window: str
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "rota.yaml").write_text(
        ROTA.replace("{window}", window), encoding="utf-8"
    )
    engine = make_engine(load_matrix(tmp_path / "flows"))
    clock.set(_at(10))
    opened = engine.open("f", ticket_id="T-p")
    assert [e.kind for e in opened.events] == ["opened", "held"]
    assert opened.events[1].data["until"] == _at(13)
    assert opened.ticket.warn_at == _at(14)
    assert opened.ticket.deadline == _at(15)

    (pause, resume, warn_at, deadline) = CASES[case]
    clock.set(_at(*pause))
    engine.pause("T-p")
    clock.set(_at(*resume))
    resumed = engine.resume("T-p").ticket
    assert resumed.warn_at == warn_at
    assert resumed.deadline == deadline
    assert engine.get("T-p").deadline == deadline  # as stored and read back
