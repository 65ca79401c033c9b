"""``escflow simulate``: a dry run prints who is contacted when, and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow import EscflowError, load_matrix
from escflow.cli import main
from escflow.runtime import simulate
from tests.conftest import FLOWS

START = "2026-11-23T10:00+01:00"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_timeline_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "complaint",
        str(FLOWS),
        "--start",
        START,
        "--event",
        "+10m asks-for-manager",
        "--event",
        "+20m ack",
        "--until",
        "+5 business days",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["timezone"] == "Europe/Paris"
    assert data["status"] == "open"
    rows = data["timeline"]
    assert [r["local"] for r in rows[:3]] == [
        "Mon 2026-11-23 10:00",
        "Mon 2026-11-23 10:10",
        "Mon 2026-11-23 10:20",
    ]
    assert rows[0]["on_duty"] == "chloe"
    assert rows[1]["what"] == "moved by trigger: Customer asks to speak to a manager"
    assert rows[1]["why"] == "you asked to speak to a manager"
    assert rows[1]["next_local"] == "Mon 2026-11-23 11:10"
    assert "customer -> customer" in rows[1]["actions"]
    escalated = [r for r in rows if r["what"].startswith("escalated by timer")]
    assert [r["level"] for r in escalated] == [
        "3 Account manager",
        "4 Sales manager",
        "5 Director of sales and operations",
        "6 Stakeholder",
    ]


def test_timeline_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "helpdesk",
        str(FLOWS),
        "--start",
        START,
        "--priority",
        "critical",
        "--event",
        "+5m ack",
        "--event",
        "+9m solved",
    )
    assert code == 0
    assert "Tiered helpdesk" in out
    assert "priority critical" in out
    assert "Ticket is resolved." in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        # A time or an event misspelt is a usage error (2); one the flow refuses is not (1).
        (["--event", "soon asks-for-manager"], 2, "'soon' is not a time"),
        (["--event", "+10m"], 2, "'+10m' is not an event: write '<when> <trigger>'"),
        (
            ["--event", "+45m asks-for-manager"],
            1,
            "event '+45m asks-for-manager' (at 2026-11-23T09:45:00+00:00, ticket at step"
            " 'level-2')",
        ),
        (["--event", "+1 fortnight resolve"], 2, "'fortnight' in '1 fortnight' is not a unit"),
        (["--start", "2026-11-23T10:00"], 2, "has no offset"),
        (["--start", "tomorrow"], 2, "is not an instant"),
        (
            ["--start", "9999-12-31T20:00Z"],
            2,
            "the instant 9999-12-31T20:00:00+00:00 is out of range",
        ),
        (["--until", "+3000000 days"], 2, "'3000000 days' is too long; a duration is at most"),
        # A run that would stop before what it was asked to show.
        (
            ["--until", "2026-11-22T10:00+01:00"],
            1,
            "until (2026-11-22T09:00:00+00:00) comes before the start (2026-11-23T09:00:00+00:00)",
        ),
        (
            ["--event", "+5h solved", "--until", "+10m"],
            1,
            "until (2026-11-23T09:10:00+00:00) comes before event '+5h solved'",
        ),
    ],
)
def test_bad_scripts_are_explained(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    got, out, err = run(capsys, "complaint", str(FLOWS), "--start", START, *args)
    assert got == code
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_the_python_api_refuses_what_is_not_a_script() -> None:
    matrix = load_matrix(FLOWS)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with pytest.raises(EscflowError, match="events is '\\+45m asks-for-manager'; give a list"):
        simulate(matrix, "complaint", start, events="+45m asks-for-manager")
    with pytest.raises(EscflowError, match="events is \\[None\\]; give a list of texts"):
        simulate(matrix, "complaint", start, events=[None])  # type: ignore[list-item]
    with pytest.raises(EscflowError, match=r"until is datetime\.timedelta"):
        simulate(matrix, "complaint", start, until=timedelta(days=1))  # type: ignore[arg-type]
    until = simulate(matrix, "complaint", start, until=start + timedelta(minutes=45))
    # Level 1 (30 minutes) escalated; at 45 minutes, 75% of the first response's hour.
    assert [row.what for row in until.rows][-2].startswith("escalated")
    assert [row.what for row in until.rows][-1] == "SLA warning: first response"


ROTA_MATRIX = """\
escflow: 1
kind: matrix
name: Rota
calendar: office
issue_types: {cs: {name: CS}}
priorities: {medium: {}, high: {factor: 0.5}}
default_priority: medium
calendars: {office: {timezone: Europe/Paris, hours: {mon-fri: "09:00-17:00"}}}
contacts:
  rep:
    name: Rep
    kind: team
    members: [ana, bruno]
    shifts: [{starts: "0 8 * * mon-fri", lasts: 9 hours, since: 2026-01-05}]
  mgr: {name: Manager, kind: person}
"""

ROTA_FLOW = """\
escflow: 1
kind: flow
id: f
name: F
issue_type: cs
priorities:
  high: {windows: {1: 5-10 minutes}}
levels:
  - level: 1
    contact: rep
    window: 15-30 minutes
    triggers: [{id: ok, label: Solved, to: resolved}]
  - level: 2
    contact: mgr
    window: until resolution
    triggers: [{id: ok, label: Solved, to: resolved}]
"""


def rota_timeline(tmp_path: Path, start: str, priority: str) -> list[dict[str, object]]:
    (tmp_path / "matrix.yaml").write_text(ROTA_MATRIX, encoding="utf-8")
    (tmp_path / "f.yaml").write_text(ROTA_FLOW, encoding="utf-8")
    matrix = load_matrix(tmp_path)
    at = datetime.fromisoformat(start)
    timeline = simulate(matrix, "f", start=at, priority=priority, until=at + timedelta(days=3))
    return [row.as_dict() for row in timeline.rows]


def test_a_timer_escalation_quotes_the_window_the_priority_gave(tmp_path: Path) -> None:
    # 'high' overrides level 1's window with 5-10 minutes: the ticket moves on after 10.
    rows = rota_timeline(tmp_path, "2026-11-23T10:00+01:00", "high")
    escalated = [r for r in rows if str(r["what"]).startswith("escalated by timer")]
    assert [(r["local"], r["what"], r["why"]) for r in escalated] == [
        ("Mon 2026-11-23 10:10", "escalated by timer: Unresolved after 10 minutes", None)
    ]


def test_nobody_is_on_duty_while_a_ticket_is_held(tmp_path: Path) -> None:
    # Opened on a Saturday: the rota's next shift starts on Monday at 08:00, with bruno.
    rows = rota_timeline(tmp_path, "2026-11-28T10:00+01:00", "medium")
    assert [(r["what"], r["on_duty"]) for r in rows[:3]] == [
        ("opened", None),
        ("held until someone is on duty: bruno from Mon 2026-11-30 08:00", None),
        ("window minimum passed", "bruno"),
    ]
    assert rows[2]["local"] == "Mon 2026-11-30 08:15"


def test_events_may_come_from_any_iterable() -> None:
    matrix = load_matrix(FLOWS)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    given = simulate(matrix, "complaint", start, events=(e for e in ["+10m solved"]))
    assert given.status == "resolved"
