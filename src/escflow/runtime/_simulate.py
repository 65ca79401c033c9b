"""Dry runs: one ticket through one flow, with scripted events, on a manual clock.

Nothing is stored and nothing is sent: the store is in memory and actions are
collected, so a process designer can see who is contacted when, and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from escflow.compile import CompiledFlow, Matrix
from escflow.errors import EscflowError, InputError
from escflow.records import Action, Event, Ticket
from escflow.runtime._actions import Actions
from escflow.runtime._engine import Engine
from escflow.runtime._timing import Timing
from escflow.timing._clock import ManualClock, ensure_aware
from escflow.timing._duration import Duration

COMMANDS = ("ack", "pause", "resume", "resolve", "reopen")
_OFFSET = re.compile(r"^\+\s*(?P<duration>.+)$")
_SIMULATION_ID = "SIM-1"
_LOCAL = "%a %Y-%m-%d %H:%M"
ROWS_LIMIT = 100_000
"""The most events a dry run lists: far more than a person reads through. A run that
would list more stops there and says so, rather than print a timeline cut short."""


@dataclass(frozen=True)
class Row:
    """One line of the timeline."""

    at: datetime
    local: str
    level: str
    step: str
    on_duty: str | None
    what: str
    why: str | None
    next_deadline: datetime | None
    next_local: str | None
    actions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "at": self.at.isoformat(),
            "local": self.local,
            "level": self.level,
            "step": self.step,
            "on_duty": self.on_duty,
            "what": self.what,
            "why": self.why,
            "next_deadline": self.next_deadline.isoformat() if self.next_deadline else None,
            "next_local": self.next_local,
            "actions": list(self.actions),
        }


@dataclass(frozen=True)
class Target:
    """One SLA target of the simulated ticket, as it was set when the ticket opened:
    ``name`` (``first_response`` or ``resolution``), ``length`` as the flow gives it,
    when its warning comes and when it is due (pauses move both; the timeline says so)."""

    name: str
    length: str
    warning: datetime | None
    due: datetime
    zone: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view, instants in UTC and in the flow's local time."""
        tz = ZoneInfo(self.zone)
        return {
            "target": self.name,
            "length": self.length,
            "warning": self.warning.isoformat() if self.warning else None,
            "warning_local": self.warning.astimezone(tz).strftime(_LOCAL) if self.warning else None,
            "due": self.due.isoformat(),
            "due_local": self.due.astimezone(tz).strftime(_LOCAL),
        }

    def text(self) -> str:
        """``first response 1 hour: warning Mon 2026-11-23 10:45, due Mon 2026-11-23 11:00``."""
        shown = self.as_dict()
        warning = f"warning {shown['warning_local']}, " if self.warning else ""
        return f"{self.name.replace('_', ' ')} {self.length}: {warning}due {shown['due_local']}"


@dataclass(frozen=True)
class Simulation:
    """The timeline of a dry run and where the ticket ended; ``targets`` are its SLA's."""

    flow: CompiledFlow
    priority: str
    timezone: str
    rows: tuple[Row, ...]
    status: str
    targets: tuple[Target, ...] = ()


def parse_when(text: str) -> datetime | Duration:
    """The instant (``2026-11-23T10:45+01:00``) or the offset from the start (``+45m``,
    ``+2 business days``) that ``text`` gives."""
    match = _OFFSET.match(text.strip())
    if match is None:
        try:
            return ensure_aware(datetime.fromisoformat(text.strip()), "time")
        except ValueError:
            raise InputError(
                f"'{text}' is not a time: write an offset such as '+45m' or '+2 business days',"
                " or an instant such as 2026-11-23T10:45:00+01:00"
            ) from None
    try:
        return Duration.parse(match["duration"])
    except ValueError as exc:
        raise InputError(f"'{text}': {exc}") from None


def parse_event(text: str) -> tuple[datetime | Duration, str]:
    """When a scripted event (``'+45m asks-for-manager'``) comes, and its trigger or command."""
    parts = text.strip().rsplit(" ", 1)
    if len(parts) != 2:
        raise InputError(
            f"'{text}' is not an event: write '<when> <trigger>', e.g. '+45m asks-for-manager'"
            f" (or a command: {', '.join(COMMANDS)})"
        )
    return parse_when(parts[0]), parts[1]


def _at(
    given: datetime | Duration, text: str, start: datetime, flow: CompiledFlow, timing: Timing
) -> datetime:
    """The instant ``given`` (read from ``text``) names in ``flow``'s time."""
    if isinstance(given, datetime):
        return given
    calendar = flow.calendar
    if given.business and calendar is None:
        raise InputError(f"'{text}' counts business time but flow '{flow.id}' has no calendar")
    return timing.add(flow, calendar, given, 1.0, start)


def _until(until: str | datetime, start: datetime, flow: CompiledFlow, timing: Timing) -> datetime:
    if isinstance(until, datetime):
        return ensure_aware(until, "until")
    if not isinstance(until, str):
        raise InputError(
            f"until is {until!r}; give a time such as '+5 business days' or an instant"
        )
    return _at(parse_when(until), until, start, flow, timing)


def _parse_event(
    text: str, start: datetime, flow: CompiledFlow, timing: Timing
) -> tuple[datetime, str]:
    given, name = parse_event(text)
    return _at(given, text, start, flow, timing), name


def simulate(
    matrix: Matrix,
    flow_id: str,
    start: datetime,
    *,
    priority: str | None = None,
    events: Iterable[str] = (),
    until: str | datetime | None = None,
    limit: int | None = None,
) -> Simulation:
    """Run one ticket of ``flow_id`` from ``start`` through ``events`` until ``until``.

    ``events`` are texts such as ``'+45m asks-for-manager'``; ``until`` is such a time
    (``'+5 business days'``) or an instant, at or after the start and the last event.
    Every warning and deadline due is applied, however many; a run that would list more
    than ``limit`` events (default :data:`ROWS_LIMIT`) raises an
    :class:`~escflow.errors.InputError` saying where it stopped.
    """
    most = ROWS_LIMIT if limit is None else limit
    flow = matrix.flow(flow_id)
    start = ensure_aware(start, "start")
    # An iterator is read once, here.
    texts = list(events) if isinstance(events, Iterable) and not isinstance(events, str) else None
    if texts is None or not all(isinstance(text, str) for text in texts):
        raise InputError(
            f"events is {events!r}; give a list of texts such as ['+45m asks-for-manager']"
        )
    timing = Timing()
    script = sorted(
        ((*_parse_event(text, start, flow, timing), n) for n, text in enumerate(texts)),
        key=lambda item: (item[0], item[2]),
    )
    if script and script[0][0] < start:
        raise InputError(f"event '{texts[script[0][2]]}' comes before the start")
    last = max([start, *(t for t, _, _ in script)])
    end = _until(until, start, flow, timing) if until is not None else last
    if end < last:
        what = f"event '{texts[script[-1][2]]}'" if script else "the start"
        raise InputError(
            f"until ({end.isoformat()}) comes before {what} ({last.isoformat()}); the run"
            " would stop before it: give a later until"
        )
    sent: list[Action] = []
    handlers = dict.fromkeys(matrix.handler_names, sent.append)
    clock = ManualClock(start)
    engine = Engine(
        matrix,
        clock=clock,
        actions=Actions(notify=sent.append, webhook=sent.append, handlers=handlers),
    )
    engine.open(flow.id, priority=priority, ticket_id=_SIMULATION_ID)
    for at, name, n in script:
        clock.set(at)
        _catch_up(engine, most)
        try:
            _apply(engine, name)
        except EscflowError as exc:
            step = engine.get(_SIMULATION_ID).step
            raise type(exc)(
                f"event '{texts[n]}' (at {at.isoformat()}, ticket at step '{step}'): {exc}"
            ) from None
    if end > clock.now():
        clock.set(end)
    _catch_up(engine, most)
    ticket = engine.get(_SIMULATION_ID)
    zone = flow.timezone
    history, outbox = engine.history(_SIMULATION_ID), engine.outbox(_SIMULATION_ID)
    rows = _rows(flow, history, outbox, zone, timing)
    targets = _targets(flow, ticket.priority, history[0], zone)
    return Simulation(flow, ticket.priority, zone, rows, ticket.status, targets)


def _targets(flow: CompiledFlow, priority: str, opened: Event, zone: str) -> tuple[Target, ...]:
    """The SLA targets the opening event set (none when the priority has no SLA)."""
    from escflow.records._records import _instant

    spec = flow.sla.get(priority)
    data = opened.data
    if spec is None:
        return ()
    found = []
    for name, length, warn, due in (
        ("first_response", spec.first_response, "response_warn_at", "first_response_due"),
        ("resolution", spec.resolution, "resolution_warn_at", "resolution_due"),
    ):
        instant = _instant(data.get(due))
        if instant is not None:
            found.append(Target(name, str(length), _instant(data.get(warn)), instant, zone))
    return tuple(found)


def _on_duty(timing: Timing, flow: CompiledFlow, ticket: Ticket, event: Event) -> str | None:
    """Who is on duty at the ticket's level at the event's instant: by the rota when the
    level's contact point has shifts, else as the ticket says (a person, or nobody named)."""
    level = flow.level(ticket.level)
    if timing.rotation(flow, level.contact_id) is None:
        return ticket.assignee
    return timing.on_duty(flow, level, event.at)[1]


def _catch_up(engine: Engine, limit: int) -> None:
    """Apply every warning and deadline due by the clock's time (one tick applies at most
    a round of them), unless the timeline would grow past ``limit`` events."""
    while engine.tick():
        history = engine.history(_SIMULATION_ID)
        if len(history) > limit:
            last = history[limit - 1]
            raise InputError(
                f"the simulation stopped at its limit of {limit:,} events, reached at"
                f" {last.at.isoformat()} (ticket at step '{engine.get(_SIMULATION_ID).step}'),"
                f" before {engine.clock.now().isoformat()}: nothing is listed; give an"
                " earlier until (--until)"
            )


def _apply(engine: Engine, name: str) -> None:
    if name == "ack":
        engine.acknowledge(_SIMULATION_ID, actor="simulation")
    elif name in ("pause", "resume", "resolve", "reopen"):
        getattr(engine, name)(_SIMULATION_ID, actor="simulation")
    else:
        engine.fire(_SIMULATION_ID, name, actor="simulation")


_WHAT = {
    "opened": "opened",
    "moved": "moved by trigger",
    "escalated": "escalated by timer",
    "warned": "window minimum passed",
    "repeated": "window restarted (repeat)",
    "skipped": "skipped: nobody on duty",
    "held": "held until someone is on duty",
    "acknowledged": "acknowledged",
    "paused": "paused (waiting on the customer)",
    "resumed": "resumed",
    "resolved": "resolved",
    "reopened": "reopened",
    "attached": "evidence attached",
    "expired": "window ended",
    "sla_warning": "SLA warning",
    "sla_breach": "SLA breached",
}


def _rows(
    flow: CompiledFlow, history: list[Event], outbox: list[Action], zone: str, timing: Timing
) -> tuple[Row, ...]:
    """The timeline: a row per event, "On duty" as the level's rota has it at the row's
    instant (who was on duty when the ticket entered may have handed over since)."""
    from escflow.records._records import _instant, apply

    tz = ZoneInfo(zone)
    by_seq: dict[int, list[str]] = {}
    for action in outbox:
        seq = int(action.key.split(":")[1])
        label = action.target if action.kind != "customer" else "customer"
        by_seq.setdefault(seq, []).append(f"{action.kind} -> {label}")
    rows: list[Row] = []
    ticket = None
    # A level entered while nobody is on duty is followed, at the same instant, by its
    # 'held' event: from the entry until the shift starts, nobody is on duty there.
    held: dict[int, datetime] = {}
    for before, event in pairwise(history):
        until = _instant(event.data.get("until")) if event.kind == "held" else None
        if until is not None:
            held[before.seq] = until
    nobody_until: datetime | None = None
    for event in history:
        ticket = apply(ticket, event)
        level = flow.level(ticket.level)
        what = _WHAT[event.kind]
        if "level" in event.data:
            nobody_until = held.get(event.seq)
        if nobody_until is not None and event.at >= nobody_until:
            nobody_until = None
        if event.kind == "held" and nobody_until is not None:
            local = nobody_until.astimezone(tz).strftime(_LOCAL)
            what = f"{what}: {ticket.assignee} from {local}" if ticket.assignee else what
        trigger = None
        if event.trigger and event.from_step is not None and event.from_step in flow.steps:
            edges = flow.steps[event.from_step].triggers
            trigger = next((t for t in edges if t.id == event.trigger), None)
        named = trigger.label if trigger else None
        if trigger is not None and trigger.implicit and event.reason:
            named = event.reason  # the window's end as the ticket's priority gave it
        if named is not None and event.kind in ("moved", "escalated", "resolved"):
            what = f"{what}: {named}"
        if event.kind in ("sla_warning", "sla_breach"):
            what = f"{what}: {str(event.data.get('target', '')).replace('_', ' ')}"
        rows.append(
            Row(
                at=event.at,
                local=event.at.astimezone(tz).strftime(_LOCAL),
                level=f"{level.number} {level.name}",
                step=ticket.step,
                on_duty=None if nobody_until is not None else _on_duty(timing, flow, ticket, event),
                what=what,
                why=event.reason if event.reason != named else None,
                next_deadline=ticket.deadline,
                next_local=ticket.deadline.astimezone(tz).strftime(_LOCAL)
                if ticket.deadline
                else None,
                actions=tuple(by_seq.get(event.seq, [])),
            )
        )
    return tuple(rows)
