"""A level skipped for nobody on duty still sends what needs no person (an incident
opened, a status page posted, a manager told), and not what is addressed to the people
off duty or the customer (``when_skipped`` decides when written)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from escflow import load_matrix
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.timing import ManualClock
from tests.conftest import FLOWS, Write

# sla-violation runs on the around-the-clock calendar (UTC). Its NOC works weekday shifts
# at 00:00, 08:00 and 16:00 lasting 8 hours (Friday's last one ends Saturday 00:00) and
# weekend shifts at 08:00 lasting 12 hours (to 20:00), and skips when off duty. Saturday
# 2026-11-28 (Monday 2026-11-23 + 5 days) at 22:00 UTC: nobody is on duty at the NOC.
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)


def engine_at(folder: str | Path, now: datetime, sent: list[Action]) -> Engine:
    matrix = load_matrix(folder)
    handlers = dict.fromkeys(matrix.handler_names, sent.append)
    actions = Actions(notify=sent.append, webhook=sent.append, handlers=handlers)
    return Engine(matrix, clock=ManualClock(now), actions=actions)


def test_a_saturday_night_breach_opens_the_incident_and_posts_the_status_page() -> None:
    sent: list[Action] = []
    engine = engine_at(FLOWS, SATURDAY_NIGHT, sent)
    change = engine.open("sla-violation", ticket_id="S-1")
    assert [(e.kind, e.to_step) for e in change.events] == [
        ("opened", "level-1"),
        ("skipped", "level-2"),
    ]
    skipped = [(a.kind, a.target) for a in change.actions if a.payload.get("skipped")]
    assert skipped == [
        ("handler", "open-incident"),
        ("webhook", "https://status.example.com/api/v1/incidents"),
        ("notify", "service-delivery-manager"),
    ]
    engine.deliver()
    delivered = {a.key: a for a in sent}
    assert delivered["S-1:1:0"].payload["args"] == {"source": "sla-monitor", "severity": 2}
    assert delivered["S-1:1:2"].payload["message"] == (
        "SLA breach S-1 detected: new ticket, priority medium"
    )
    assert "S-1:2:0" in delivered, "level 2's own handler, as it is entered"


def test_on_saturday_morning_the_noc_level_is_entered_and_nothing_says_skipped() -> None:
    sent: list[Action] = []
    engine = engine_at(FLOWS, SATURDAY_NIGHT.replace(hour=10), sent)  # the 08:00 shift
    change = engine.open("sla-violation", ticket_id="S-2")
    assert change.ticket.level == "level-1"
    assert len(change.actions) == 3
    assert not any("skipped" in a.payload for a in change.actions)


MATRIX = """\
escflow: 1
kind: matrix
name: Night desk
calendar: always
issue_types: {support: {name: Support}}
priorities: {normal: {}}
calendars: {always: {timezone: UTC, hours: {daily: "00:00-24:00"}}}
contacts:
  noc:
    name: NOC
    kind: team
    members: [ana]
    calendar: always
    shifts: [{starts: "0 8 * * *", lasts: 12 hours}]
    off_duty: skip
  lead: {name: Lead, kind: person}
"""

FLOW = """\
escflow: 1
kind: flow
id: night
name: Night
issue_type: support
levels:
  - level: 1
    contact: noc
    window: 15-30 minutes
    responses:
      - Look at the alert
      - {handler: page-vendor}
      - {handler: quiet-hook, when_skipped: drop}
      - {notify: noc, message: "New $ticket"}
      - {notify: noc, message: "Read $ticket tomorrow", when_skipped: run}
      - {notify: lead, message: "The NOC missed $ticket"}
      - {notify: customer, message: "The NOC is on $ticket"}
      - {webhook: "https://status.example.com/hook"}
    triggers:
      - {id: done, label: Done, to: resolved}
  - level: 2
    contact: lead
    window: until resolution
    triggers:
      - {id: done, label: Done, to: resolved}
"""


def test_each_kind_of_action_has_its_default_and_when_skipped_overrides_it(
    write: Write,
) -> None:
    write("matrix.yaml", MATRIX)
    folder = write("night.yaml", FLOW).parent
    sent: list[Action] = []
    engine = engine_at(folder, datetime(2026, 11, 28, 22, 0, tzinfo=UTC), sent)  # off shift
    change = engine.open("night", ticket_id="N-1")
    assert change.events[-1].kind == "skipped"
    # Keyed by the place among the level's actions, as when the level is entered.
    assert [(a.key, a.target, a.payload.get("message")) for a in change.actions] == [
        ("N-1:1:0", "page-vendor", None),
        ("N-1:1:3", "noc", "Read N-1 tomorrow"),
        ("N-1:1:4", "lead", "The NOC missed N-1"),
        ("N-1:1:6", "https://status.example.com/hook", None),
        ("N-1:2:notice", "customer", change.actions[-1].payload["message"]),
    ]
    assert all(a.payload.get("skipped") for a in change.actions[:-1])
