"""An action names who is on duty when the engine queues it (the instant of the event
that sends it), not who was on duty when the ticket entered the level; so do the ticket
and the simulation's "On duty" column, across a rota change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from escflow import load_matrix, simulate
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.timing import ManualClock
from tests.conftest import Write

# One daily shift at 09:00 UTC lasting 24 hours, in turn from Monday 2026-11-23: Monday's
# (to Tuesday 09:00) is ana's, Tuesday's ben's.
MATRIX = """\
escflow: 1
kind: matrix
name: Desk
calendar: always
issue_types: {support: {name: Support}}
priorities: {normal: {}}
calendars: {always: {timezone: UTC, hours: {daily: "00:00-24:00"}}}
contacts:
  desk:
    name: Desk
    kind: team
    members: [ana, ben]
    calendar: always
    shifts: [{starts: "0 9 * * *", lasts: 24 hours, since: 2026-11-23}]
  lead: {name: Lead, kind: person}
"""

FLOW = """\
escflow: 1
kind: flow
id: desk
name: Desk
issue_type: support
levels:
  - level: 1
    contact: desk
    window: 20-30 hours
    steps:
      - id: triage
        responses:
          - {notify: desk, message: "Triage $ticket, $contact"}
        triggers:
          - {id: triaged, label: Triaged, to: fixing}
          - {id: done, label: Done, to: resolved}
      - id: fixing
        responses:
          - {notify: desk, message: "Fix $ticket, $contact"}
        triggers:
          - {id: done, label: Done, to: resolved}
  - level: 2
    contact: lead
    window: until resolution
    triggers:
      - {id: done, label: Done, to: resolved}
"""

MONDAY_EVENING = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # ana's shift


def definitions(write: Write) -> Path:
    write("matrix.yaml", MATRIX)
    return write("desk.yaml", FLOW).parent


def test_the_warning_sent_on_tuesday_names_tuesdays_person(write: Write) -> None:
    matrix = load_matrix(definitions(write))
    clock = ManualClock(MONDAY_EVENING)
    sent: list[Action] = []
    engine = Engine(matrix, clock=clock, actions=Actions(notify=sent.append))
    opened = engine.open("desk", ticket_id="D-1")
    assert opened.ticket.assignee == "ana"
    assert opened.actions[0].payload["message"] == "Triage D-1, ana"

    # The window's minimum, 20 hours on: Tuesday 16:00, in ben's shift (from 09:00).
    clock.set(MONDAY_EVENING + timedelta(hours=20))
    (warned,) = engine.tick()
    (warning,) = warned.actions
    assert warning.key == "D-1:2:warning"
    assert warning.payload["assignee"] == "ben"
    assert warned.ticket.assignee == "ben"
    assert engine.get("D-1").assignee == "ben", "stored, and read back from the events"


def test_a_move_within_the_level_after_the_handover_names_the_new_person(
    write: Write,
) -> None:
    matrix = load_matrix(definitions(write))
    clock = ManualClock(MONDAY_EVENING)
    engine = Engine(matrix, clock=clock, actions=Actions(notify=print))
    engine.open("desk", ticket_id="D-2")
    engine.open("desk", ticket_id="D-3")
    clock.set(datetime(2026, 11, 24, 8, 59, tzinfo=UTC))  # still ana's shift
    before = engine.fire("D-3", "triaged")
    assert before.actions[0].payload["message"] == "Fix D-3, ana"
    assert "assignee" not in before.events[-1].data, "the rota has not turned: nothing said"
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # ben's shift starts
    after = engine.fire("D-2", "triaged")
    assert after.actions[0].payload["message"] == "Fix D-2, ben"
    assert after.ticket.assignee == "ben"


def test_the_simulations_on_duty_column_follows_the_rota(write: Write) -> None:
    matrix = load_matrix(definitions(write))
    run = simulate(matrix, "desk", MONDAY_EVENING, until="+1 day")
    assert [(row.what, row.on_duty) for row in run.rows] == [
        ("opened", "ana"),
        ("window minimum passed", "ben"),
    ]
