"""The SLA's timers: a warning at a share of each target, a breach at the target, in
business time, swept by tick, stopped by the first response, the resolution or a pause.

The instants are worked out by hand on a 09:00-17:00 (Mon-Fri) calendar in Paris (UTC+1
in November and December): a ticket opened on Monday 2026-11-23 at 15:00 has a first
response target of 4 business hours (Mon 15-17, then Tue 09-11: due Tue 11:00; its
warning at 75%, 3 hours, Tue 10:00) and a resolution target of 2 business days, 16
working hours (Mon 2 h, Tue 8 h, Wed 09-15: due Wed 15:00; its warning at 12 hours, Wed
11:00).
"""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.compile import Matrix
from escflow.errors import DefinitionError, InputError
from escflow.records import Event, replay
from escflow.runtime import Engine, simulate
from escflow.store._sqlite import SQLiteStore
from escflow.timing import ManualClock
from tests.conftest import ROOT
from tests.runtime.conftest import Inbox, MakeEngine

PARIS = ZoneInfo("Europe/Paris")

MATRIX = """\
escflow: 1
kind: matrix
name: SLA
calendar: office
issue_types: {cs: {name: CS}}
priorities: {normal: {}}
default_priority: normal
calendars: {office: {timezone: Europe/Paris, hours: {mon-fri: "09:00-17:00"}}}
contacts:
  desk: {name: Desk, kind: team}
  duty-manager: {name: Duty manager, kind: person}
"""

FLOW = """\
escflow: 1
kind: flow
id: f
name: F
issue_type: cs
sla:
  normal: {first_response: 4 business hours, resolution: 2 business days}
levels:
  - level: 1
    contact: desk
    window: until resolution
    triggers: [{id: ok, label: Solved, to: resolved}]
"""


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026 in Paris."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


MON_15 = paris(23, 15)


def sla_matrix(tmp_path: Path, extra: str = "") -> Matrix:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (tmp_path / "f.yaml").write_text(FLOW + extra, encoding="utf-8")
    return load_matrix(tmp_path)


def sla_events(events: list[Event]) -> list[tuple[str, str, datetime]]:
    """(kind, target, when) of the SLA's events."""
    return [(e.kind, str(e.data["target"]), e.at) for e in events if e.kind.startswith("sla_")]


@pytest.fixture
def sla_engine(make_engine: MakeEngine, clock: ManualClock, tmp_path: Path) -> Engine:
    clock.set(MON_15)
    return make_engine(sla_matrix(tmp_path / "flows"))


def test_warnings_and_breaches_come_at_the_instants_worked_out_by_hand(
    sla_engine: Engine, clock: ManualClock, inbox: Inbox
) -> None:
    opened = sla_engine.open("f", ticket_id="T-1").ticket
    assert opened.first_response_due == paris(24, 11)
    assert opened.resolution_due == paris(25, 15)
    assert (opened.response_warn_at, opened.resolution_warn_at) == (paris(24, 10), paris(25, 11))
    assert opened.next_due == paris(24, 10), "the first response's warning is the next timer"

    clock.set(paris(24, 10))
    [change] = sla_engine.tick()
    assert sla_events(list(change.events)) == [("sla_warning", "first_response", paris(24, 10))]
    assert sla_engine.tick() == [], "a second sweep adds nothing"
    [action] = change.actions
    assert (action.kind, action.target, action.key) == ("notify", "desk", "T-1:2:sla-0")
    assert action.payload["sla"] == {
        "event": "sla_warning",
        "target": "first_response",
        "due": "2026-11-24T10:00:00+00:00",
    }
    assert "due by Tue 2026-11-24 11:00 CET" in action.payload["message"]

    clock.set(paris(25, 16))
    sla_engine.tick()
    assert sla_events(sla_engine.history("T-1")) == [
        ("sla_warning", "first_response", paris(24, 10)),
        ("sla_breach", "first_response", paris(24, 11)),
        ("sla_warning", "resolution", paris(25, 11)),
        ("sla_breach", "resolution", paris(25, 15)),
    ]
    ticket = sla_engine.get("T-1")
    assert ticket.breached_at == paris(24, 11)
    assert (ticket.next_due, ticket.breach_due) == (None, None)
    assert sla_engine.tick() == []
    assert ticket == replay(sla_engine.history("T-1"))


def test_an_acknowledgement_before_the_warning_stops_both_first_response_timers(
    sla_engine: Engine, clock: ManualClock
) -> None:
    sla_engine.open("f", ticket_id="T-1")
    clock.set(paris(23, 16))
    sla_engine.acknowledge("T-1", actor="ana")
    clock.set(paris(25, 16))
    sla_engine.tick()
    assert sla_events(sla_engine.history("T-1")) == [
        ("sla_warning", "resolution", paris(25, 11)),
        ("sla_breach", "resolution", paris(25, 15)),
    ]


def test_resolving_stops_every_timer(sla_engine: Engine, clock: ManualClock) -> None:
    sla_engine.open("f", ticket_id="T-1")
    clock.set(paris(24, 10, 30))  # after the first response's warning
    change = sla_engine.resolve("T-1")
    assert [e.kind for e in change.events] == ["sla_warning", "resolved"], "caught up first"
    clock.set(paris(30, 9))
    assert sla_engine.tick() == []
    assert sla_engine.get("T-1").breached_at is None


def test_a_reopened_ticket_keeps_the_sla_it_was_resolved_with(
    sla_engine: Engine, clock: ManualClock
) -> None:
    sla_engine.open("f", ticket_id="T-1")
    clock.set(paris(23, 16))
    sla_engine.resolve("T-1")
    reopened = sla_engine.reopen("T-1").ticket
    assert (reopened.next_due, reopened.breach_due) == (None, None)
    clock.set(paris(30, 9))
    assert sla_engine.tick() == []


def test_a_pause_stops_the_timers_and_a_resume_moves_them_by_the_pause(
    sla_engine: Engine, clock: ManualClock
) -> None:
    sla_engine.open("f", ticket_id="T-1")
    clock.set(paris(23, 16))  # 1 business hour gone: 3 left to the first response
    paused = sla_engine.pause("T-1").ticket
    assert paused.next_due is None
    clock.set(paris(24, 11, 30))  # past the targets as they were: nothing while paused
    assert sla_engine.tick() == []
    clock.set(paris(24, 12))
    resumed = sla_engine.resume("T-1").ticket
    # From Tue 12:00: warning after 2 business hours, breach after 3; the resolution had
    # 15 business hours left (Tue 5, Wed 8, Thu 09-11), its warning 11 (Tue 5, Wed 09-15).
    assert (resumed.response_warn_at, resumed.response_breach_at) == (paris(24, 14), paris(24, 15))
    assert resumed.first_response_due == paris(24, 15)
    assert (resumed.resolution_warn_at, resumed.resolution_breach_at) == (
        paris(25, 15),
        paris(26, 11),
    )
    assert resumed.resolution_due == paris(26, 11)
    clock.set(paris(26, 12))
    sla_engine.tick()
    assert [when for _, _, when in sla_events(sla_engine.history("T-1"))] == [
        paris(24, 14),
        paris(24, 15),
        paris(25, 15),
        paris(26, 11),
    ]


def test_the_flow_sets_the_share_and_who_hears(
    make_engine: MakeEngine, clock: ManualClock, tmp_path: Path
) -> None:
    clock.set(MON_15)
    matrix = sla_matrix(tmp_path, "sla_warning: 25%\nsla_notify: [duty-manager, desk]\n")
    engine = make_engine(matrix)
    opened = engine.open("f", ticket_id="T-1").ticket
    assert opened.response_warn_at == paris(23, 16), "25% of 4 business hours"
    clock.set(paris(23, 16))
    [change] = engine.tick()
    assert [(a.target, a.key) for a in change.actions] == [
        ("duty-manager", "T-1:2:sla-0"),
        ("desk", "T-1:2:sla-1"),
    ]
    assert change.events[0].reason == "25% of the first response target (4 business hours) passed"


def test_the_default_share_leaves_a_flow_version_as_it_was(tmp_path: Path) -> None:
    plain = sla_matrix(tmp_path / "a").flow("f")
    said = sla_matrix(tmp_path / "b", "sla_warning: 75%\n").flow("f")
    assert said.digest == plain.digest
    other = sla_matrix(tmp_path / "c", "sla_warning: 50%\n").flow("f")
    assert other.digest != plain.digest


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("sla_warning: 120%\n", "f.yaml:13:14: S004 sla_warning: '120%' is not between 0% and"),
        ("sla_warning: soon\n", "f.yaml:13:14: S004 sla_warning: 'soon' is not a share of"),
        (
            "sla_notify: [duty-manger]\n",
            "f.yaml:13:14: E108 sla_notify[0]: unknown contact point 'duty-manger'; did you"
            " mean 'duty-manager'?",
        ),
    ],
)
def test_a_wrong_share_or_listener_is_refused_where_it_is_written(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        sla_matrix(tmp_path, extra)
    assert message in str(caught.value)


def test_listing_by_breach(sla_engine: Engine, clock: ManualClock) -> None:
    sla_engine.open("f", ticket_id="T-late")
    clock.set(paris(23, 16))
    sla_engine.open("f", ticket_id="T-soon")  # first response due Tue 12:00
    sla_engine.open("f", ticket_id="T-met")
    sla_engine.acknowledge("T-met")  # its next breach is the resolution's, Wed 16:00
    clock.set(paris(24, 11, 40))  # T-late missed its first response at 11:00; no tick ran
    assert [t.id for t in sla_engine.tickets(breached=True)] == ["T-late"]
    within = sla_engine.tickets(breaching_within=timedelta(minutes=30))
    assert [t.id for t in within] == ["T-soon"]
    assert sla_engine.tickets(breaching_within=timedelta(minutes=10)) == []
    assert [t.id for t in sla_engine.tickets(breaching_within=timedelta(days=2))] == [
        "T-soon",
        "T-met",
    ]
    sla_engine.tick()  # records the breach; resolved, it stays breached
    sla_engine.resolve("T-late")
    assert [t.id for t in sla_engine.tickets(breached=True)] == ["T-late"]
    assert sla_engine.tickets(breached=True, status="open") == []
    with pytest.raises(InputError, match="breaching_within is -1; give a positive timedelta"):
        sla_engine.tickets(breaching_within=-1)  # type: ignore[arg-type]


def test_simulate_shows_the_targets_and_their_timers(tmp_path: Path) -> None:
    run = simulate(sla_matrix(tmp_path), "f", MON_15, until="+3 business days")
    assert [t.as_dict() for t in run.targets] == [
        {
            "target": "first_response",
            "length": "4 business hours",
            "warning": "2026-11-24T09:00:00+00:00",
            "warning_local": "Tue 2026-11-24 10:00",
            "due": "2026-11-24T10:00:00+00:00",
            "due_local": "Tue 2026-11-24 11:00",
        },
        {
            "target": "resolution",
            "length": "2 business days",
            "warning": "2026-11-25T10:00:00+00:00",
            "warning_local": "Wed 2026-11-25 11:00",
            "due": "2026-11-25T14:00:00+00:00",
            "due_local": "Wed 2026-11-25 15:00",
        },
    ]
    assert [(r.local, r.what, r.actions) for r in run.rows[1:]] == [
        ("Tue 2026-11-24 10:00", "SLA warning: first response", ("notify -> desk",)),
        ("Tue 2026-11-24 11:00", "SLA breached: first response", ("notify -> desk",)),
        ("Wed 2026-11-25 11:00", "SLA warning: resolution", ("notify -> desk",)),
        ("Wed 2026-11-25 15:00", "SLA breached: resolution", ("notify -> desk",)),
    ]


def test_the_cli_lists_by_breach_and_simulate_prints_the_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sla_matrix(tmp_path / "flows")
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(tmp_path / "flows")]
    assert main(["ticket", "open", "f", "--id", "T-1", "--at", MON_15.isoformat(), *db]) == 0
    capsys.readouterr()
    # The list reads the system clock: by now, these targets of 2026 have long passed.
    assert main(["ticket", "list", "--breached", "--format", "json", *db]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["id"], listed["breached_at"]) == ("T-1", None)
    assert listed["breach_due"] == "2026-11-24T10:00:00+00:00"
    assert main(["ticket", "list", "--breaching-within", "30m", *db]) == 0
    assert capsys.readouterr().out == "no tickets\n"
    assert main(["ticket", "list", "--breaching-within", "2 business days", *db]) == 2
    assert "is business time; give elapsed time" in capsys.readouterr().err
    flows = str(tmp_path / "flows")
    assert main(["simulate", "f", flows, "--start", MON_15.isoformat(), "--until", "+1d"]) == 0
    out = capsys.readouterr().out
    assert "SLA: first response 4 business hours: warning Tue 2026-11-24 10:00, due" in out


README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_s_field_and_filters_work_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [field] = re.findall(r"^sla_warning: .*$", README, flags=re.MULTILINE)
    opened = sla_matrix(tmp_path / "flows", field.split("#")[0] + "\n").flow("f")
    assert opened.spec.sla_warning == 0.75
    commands = re.findall(r"^escflow ticket list --breach.*?(?=\s+#)", README, flags=re.MULTILINE)
    assert len(commands) == 2, "the README shows both filters"
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(tmp_path / "flows")]
    assert main(["ticket", "open", "f", "--id", "T-1", "--at", MON_15.isoformat(), *db]) == 0
    capsys.readouterr()
    for command in commands:
        assert main([*shlex.split(command)[1:], *db]) == 0, command
    assert capsys.readouterr().out.count("T-1") == 1, "breached (its targets of 2026 passed)"


def test_a_pause_recorded_before_the_sla_had_timers_resumes_its_targets(
    tmp_path: Path, clock: ManualClock
) -> None:
    """A pause event written before schema 8 says nothing of the SLA's timers: on resume the
    resolution target moves on as before, and the first response, not yet made, is judged
    by its unmoved target (such a pause did not stop it): passed during the pause, its
    breach is said at the resume."""
    clock.set(MON_15)
    path = tmp_path / "t.db"
    matrix = sla_matrix(tmp_path / "flows")
    store = SQLiteStore(path)
    engine = Engine(matrix, store, clock=clock)
    engine.open("f", ticket_id="T-1")
    clock.set(paris(23, 16))
    engine.pause("T-1")
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE events SET body = json_remove(body, '$.data.sla_left') WHERE seq = 2")
    clock.set(paris(24, 12))
    change = engine.resume("T-1")
    assert [(e.kind, e.at) for e in change.events] == [
        ("resumed", paris(24, 12)),
        ("sla_breach", paris(24, 12)),
    ], "no warning: the pause did not say what was left of it"
    resumed = change.ticket
    assert (resumed.first_response_due, resumed.breached_at) == (paris(24, 11), paris(24, 12))
    assert resumed.resolution_breach_at == resumed.resolution_due == paris(26, 11)
    assert resumed == replay(engine.history("T-1"))
    store.close()
