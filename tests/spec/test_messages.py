"""Messages a designer can act on: each mistake says where it is and what to write."""

from __future__ import annotations

from datetime import time

import pytest

from escflow.compile import check_paths
from escflow.problems import Problem
from tests.conftest import FLOW, MATRIX, Write

# (the text replaced in the test flow, by what, the code, the line, and what the message
# must say to be acted on).
FLOW_MISTAKES = {
    "a label holding ': '": (
        "{id: done, label: Done, to: resolved}\n  - level: 2",
        "{id: done, label: Done, to: resolved}\n      - id: later\n"
        "        label: Note: call back\n  - level: 2",
        "L004",
        13,
        'put the text in quotes, e.g. label: "Note: call back"',
    ),
    "a label starting with '*' in a flow mapping": (
        "label: Done,",
        "label: *urgent* done,",
        "L004",
        11,
        "the text of 'label' starts with '*', which YAML reads as syntax: put the text in"
        ' quotes, e.g. "*urgent* done"',
    ),
    "a checklist line starting with '*'": (
        "    triggers:\n      - {id: done, label: Done, to: resolved}\n  - level: 2",
        "    responses:\n      - * call the customer\n"
        "    triggers:\n      - {id: done, label: Done, to: resolved}\n  - level: 2",
        "L004",
        11,
        'put the text in quotes, e.g. "* call the customer"',
    ),
    "a '#' in a flow mapping": (
        "label: Done,",
        "label: Issue #3 done,",
        "L004",
        12,
        "on line 11, ' #' starts a comment, which cuts the text short: put the text in quotes",
    ),
    "a '#' starting a label": (
        "      - {id: done, label: Done, to: resolved}\n  - level: 2",
        "      - id: done\n        label: #3 is done\n        to: resolved\n  - level: 2",
        "S003",
        12,
        "a ' #' starts a comment, which took the text: put the text in quotes",
    ),
    "a line one space in": (
        "    contact: agent",
        "     contact: agent",
        "L004",
        8,
        "line 8 starts at column 6, but the key above it ('level', line 7) at column 5:"
        " indent it to column 5 like that key",
    ),
    "a line one space out": (
        "    contact: agent",
        "   contact: agent",
        "L004",
        8,
        "indent it to column 5 like that key",
    ),
    "a window in bare minutes": (
        "window: 15-30 minutes",
        "window: 30",
        "S004",
        9,
        "'30' has no unit; write the window as text, e.g. '15-30 minutes'",
    ),
    "a misspelt business": (
        "window: 15-30 minutes",
        "window: 1-2 busines days",
        "S004",
        9,
        "did you mean '1-2 business days'?",
    ),
    "working days": (
        "window: 15-30 minutes",
        "window: 1-2 working days",
        "S004",
        9,
        "did you mean '1-2 business days'?",
    ),
    "a misspelt unit": (
        "window: 15-30 minutes",
        "window: {min: 15 minutes, max: 30 minuts}",
        "S004",
        9,
        "did you mean '30 minutes'?",
    ),
    "escalates_to naming a step": (
        "    window: 15-30 minutes\n    triggers:\n      - {id: done, label: Done, to: resolved}\n",
        "    window: 15-30 minutes\n    escalates_to: check\n    steps:\n"
        "      - id: ask\n        triggers: [{id: next, label: Next, to: check}]\n"
        "      - id: check\n        triggers: [{id: done, label: Done, to: resolved}]\n",
        "E101",
        10,
        "escalates_to must name a level or a team, not a step (step 'check' is in level 1:"
        " write 'level-1')",
    ),
}


def _problems(write: Write, matrix: str, flow: str) -> list[Problem]:
    write("matrix.yaml", matrix)
    write("flow.yaml", flow)
    return list(check_paths([write("other.txt", "").parent]).problems)


@pytest.mark.parametrize("mistake", list(FLOW_MISTAKES))
def test_a_flow_mistake_says_what_to_do(write: Write, mistake: str) -> None:
    old, new, code, line, advice = FLOW_MISTAKES[mistake]
    assert old in FLOW
    problems = _problems(write, MATRIX, FLOW.replace(old, new, 1))
    assert [(p.code, p.line) for p in problems if p.severity == "error"][:1] == [(code, line)], [
        p.format() for p in problems
    ]
    assert advice in problems[0].message


CALENDAR = """\
escflow: 1
kind: matrix
name: Test matrix
calendar: office
issue_types: {support: {name: Support}}
priorities: {normal: {}, urgent: {entry: 2, factor: 0.5}}
calendars:
  office:
    timezone: Europe/Paris
    hours:
      mon-fri: "09:00-17:00"
contacts:
  agent: {name: Agent, kind: team}
  lead: {name: Lead, kind: person}
"""


def _calendar(write: Write, old: str, new: str) -> list[Problem]:
    assert old in CALENDAR
    return _problems(write, CALENDAR.replace(old, new, 1), FLOW)


def test_an_hours_error_points_at_the_hours_entry(write: Write) -> None:
    problems = _calendar(write, '"09:00-17:00"', '"09:00-17:60"')
    assert [(p.code, p.line, p.column) for p in problems] == [("S004", 11, 16)]
    assert problems[0].message == "'17:60' in '09:00-17:60' is not a time; write e.g. '09:00'"


def test_every_problem_of_a_calendar_is_reported(write: Write) -> None:
    problems = _calendar(
        write,
        'timezone: Europe/Paris\n    hours:\n      mon-fri: "09:00-17:00"',
        'timezone: Europe/Pari\n    hours:\n      mon-fri: "09:00-17:0"\n      sat: "10-14"',
    )
    assert [(p.code, p.line) for p in problems] == [("S004", 9), ("S004", 11), ("S004", 12)]
    assert "did you mean 'Europe/Paris'?" in problems[0].message
    assert "'17:0' in '09:00-17:0' is not a time" in problems[1].message
    assert "'10' in '10-14' is not a time" in problems[2].message


@pytest.mark.parametrize(
    ("days", "weekdays"),
    [
        ("sun-thu", [6, 0, 1, 2, 3]),
        ("fri-sat", [4, 5]),
        ("sat-wed", [5, 6, 0, 1, 2]),
        ("sun", [6]),
        ("mon-fri", [0, 1, 2, 3, 4]),
    ],
)
def test_a_week_may_start_on_any_day(write: Write, days: str, weekdays: list[int]) -> None:
    write("matrix.yaml", CALENDAR.replace("mon-fri", days))
    report = check_paths([write("flow.yaml", FLOW).parent])
    assert report.problems == (), [p.format() for p in report.problems]
    assert report.matrix is not None
    week = report.matrix.doc.calendars["office"].weekly_hours()
    assert sorted(week) == sorted(weekdays)
    assert all(week[d] == [(time(9), time(17))] for d in weekdays)


def test_a_day_twice_across_a_wrapped_range_is_refused(write: Write) -> None:
    problems = _calendar(
        write, 'mon-fri: "09:00-17:00"', 'sun-thu: "09:00-17:00"\n      sat-sun: "10:00-12:00"'
    )
    assert [p.code for p in problems] == ["S004"]
    assert "sun is given twice (in 'sun-thu' and 'sat-sun')" in problems[0].message


def test_a_night_across_midnight_is_refused_saying_how_to_write_it(write: Write) -> None:
    problems = _calendar(write, '"09:00-17:00"', '"22:00-06:00"')
    assert [(p.code, p.line) for p in problems] == [("S004", 11)]
    advice = "{mon: '22:00-24:00', tue-fri: '00:00-06:00, 22:00-24:00', sat: '00:00-06:00'}"
    assert advice in problems[0].message
    # What it says to write is taken, and works the nights it meant.
    written = (
        'mon: "22:00-24:00"\n      tue-fri: "00:00-06:00, 22:00-24:00"\n      sat: "00:00-06:00"'
    )
    assert _calendar(write, 'mon-fri: "09:00-17:00"', written) == []


@pytest.mark.parametrize(
    ("hours", "business_day", "longest"),
    [
        ('mon-fri: "09:00-17:00"', "1 day", "8 hours: mon-fri 09:00-17:00"),
        ('mon-fri: "09:00-17:00"', "9 hours", "8 hours: mon-fri 09:00-17:00"),
        (
            'mon-fri: "08:00-12:00, 13:00-17:00"\n      sat: "09:00-18:30"',
            "10 hours",
            "570 minutes: sat 09:00-18:30",
        ),
    ],
)
def test_a_business_day_longer_than_any_working_day_is_refused(
    write: Write, hours: str, business_day: str, longest: str
) -> None:
    problems = _calendar(
        write, 'mon-fri: "09:00-17:00"', f"{hours}\n    business_day: {business_day}"
    )
    assert [p.code for p in problems] == ["S004"]
    assert problems[0].path == ("calendars", "office", "business_day")
    message = problems[0].message
    assert message.startswith(f"business_day is {business_day} (")
    assert f"longer than this calendar's longest working day ({longest})" in message


@pytest.mark.parametrize("business_day", ["8 hours", "7 hours", "480 minutes"])
def test_a_business_day_within_the_longest_day_is_taken(write: Write, business_day: str) -> None:
    hours = 'mon-fri: "09:00-17:00"'
    assert _calendar(write, hours, f"{hours}\n    business_day: {business_day}") == []
