"""Reports of small histories made by hand: one ticket, open or paused at the end, a flow
edited halfway, a period with no events. Each figure is worked out from the calls made."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow.compile import Matrix, load_matrix
from escflow.report import build_report, open_at
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris: on duty
MINUTE = timedelta(minutes=1)


@pytest.fixture
def engine(tmp_path: Path, matrix: Matrix) -> Iterator[Engine]:
    with open_store(f"sqlite:///{tmp_path / 'edges.db'}") as store:
        yield Engine(matrix, store, clock=ManualClock(T0), actions=Actions.log(io.StringIO()))


def _at(engine: Engine, instant: datetime) -> None:
    clock = engine.clock
    assert isinstance(clock, ManualClock)
    clock.set(instant)
    engine.tick(instant)


def test_one_ticket(engine: Engine) -> None:
    engine.open("complaint", priority="medium", ticket_id="C-1")
    _at(engine, T0 + 5 * MINUTE)
    engine.acknowledge("C-1")
    _at(engine, T0 + 10 * MINUTE)
    engine.resolve("C-1")
    report = build_report(engine.store, until=T0 + timedelta(hours=2))
    [level] = report.levels
    assert (level.flow, level.level, level.entered, level.left) == (
        "complaint",
        "level-1",
        1,
        {"resolved": 1},
    )
    assert (level.dwell.ended, level.dwell.median, level.dwell.p90) == (1, 600.0, 600.0)
    [sla] = report.sla
    assert (sla.tickets, sla.response_met, sla.response_judged) == (1, 1, 1)
    assert (sla.resolution_met, sla.resolution_judged) == (1, 1)
    assert (sla.mtta, sla.mttr, sla.first_contact_rate, sla.reopen_rate) == (300.0, 600.0, 1, 0)
    assert sla.escalations_per_ticket == 0
    assert report.open_at_end == []
    assert report.findings == []


def test_a_ticket_still_open_at_until(engine: Engine) -> None:
    engine.open("complaint", priority="medium", ticket_id="C-1")
    _at(engine, T0 + 40 * MINUTE)  # the timer moved it to level 2 at 30 minutes
    before = build_report(engine.store, until=T0 + 20 * MINUTE)
    [level] = before.levels
    assert level.left == {"open": 1}
    assert level.dwell.ended == 0
    assert level.dwell.median is None
    assert level.timer_share is None
    [sla] = before.sla
    assert (sla.response_judged, sla.resolution_judged, sla.mtta, sla.mttr) == (0, 0, None, None)
    assert [(o.flow, o.level, o.open) for o in before.open_at_end] == [("complaint", "level-1", 1)]
    after = build_report(engine.store, until=T0 + 40 * MINUTE)
    first, second = after.levels
    assert first.left == {"timer": 1}
    assert first.dwell.median == 1800.0
    assert second.left == {"open": 1}
    assert after.sla[0].escalations == 1


def test_a_paused_ticket_is_not_judged_late_while_it_waits(engine: Engine) -> None:
    engine.open("complaint", priority="medium", ticket_id="C-1")
    _at(engine, T0 + 5 * MINUTE)
    engine.pause("C-1", reason="waiting on the customer")
    until = T0 + timedelta(days=10)  # the resolution target (3 business days) long past
    [sla] = build_report(engine.store, until=until).sla
    assert (sla.resolution_judged, sla.resolution_met) == (0, 0)
    assert (sla.response_judged, sla.response_met) == (1, 0), "no first response by its hour"
    assert sla.breaches == {"response": ["C-1"]}
    [where] = open_at(engine.store, until)
    assert (where.open, where.paused) == (1, 1)


def test_a_flow_edited_halfway(tmp_path: Path, engine: Engine) -> None:
    edited = tmp_path / "flows"
    shutil.copytree(FLOWS, edited)
    complaint = edited / "complaint.yaml"
    text = complaint.read_text(encoding="utf-8")
    complaint.write_text(text.replace("window: 15-30 minutes", "window: 20-40 minutes", 1))
    engine.open("complaint", priority="medium", ticket_id="C-1")
    _at(engine, T0 + 2 * MINUTE)
    engine.resolve("C-1")
    clock = ManualClock(T0 + 3 * MINUTE)
    later = Engine(load_matrix(edited), engine.store, clock=clock, actions=engine.actions)
    later.open("complaint", priority="medium", ticket_id="C-2")
    later.tick(clock.set(T0 + 50 * MINUTE))  # its window of 40 minutes ended at 43
    assert later.get("C-2").digest != engine.get("C-1").digest
    report = build_report(later.store, until=T0 + timedelta(hours=2))
    by_level = {lv.level: lv for lv in report.levels}
    assert by_level["level-1"].entered == 2
    assert by_level["level-1"].left == {"resolved": 1, "timer": 1}
    assert by_level["level-1"].dwell.median == 120.0  # nearest rank of (120, 2400)
    assert by_level["level-1"].dwell.p90 == 2400.0
    assert sum(row.stays for row in report.load if row.level == "level-1") == 2
    assert report.sla[0].tickets == 2


def test_a_period_with_no_events(engine: Engine) -> None:
    engine.open("complaint", priority="medium", ticket_id="C-1")
    report = build_report(
        engine.store, since=T0 - timedelta(days=30), until=T0 - timedelta(days=20)
    )
    assert (report.tickets, report.levels, report.sla, report.weeks) == (0, [], [], [])
    assert report.open_at_end == []
    assert report.findings == []
