"""A seeded history: days of tickets run through a matrix on the real engine (for demos,
reports and their tests).

:func:`generate_history` drives an :class:`~escflow.runtime.Engine` on a
:class:`~escflow.timing.ManualClock`: tickets arrive by hour of the week, some are
acknowledged, some wait on the customer, each level resolves a share and passes on the
rest (by a person's trigger, or by letting its window end and calling ``tick``), and some
resolved tickets are reopened. It returns its own record of what happened to each ticket
(:class:`TicketRecord`), folded from the changes the engine returned, never read back from
the store: tests derive a report's expected figures from it.
"""

from __future__ import annotations

import heapq
import io
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from escflow.compile import CompiledTrigger, Matrix
from escflow.errors import InputError
from escflow.records import Change, Event
from escflow.runtime._actions import Actions
from escflow.runtime._engine import Engine
from escflow.store import Store
from escflow.timing import ManualClock, ensure_aware

# Arrivals: the weight of each weekday (Monday first) and of each hour of the day (UTC).
# A ticket's chance to arrive in an hour of the week is the product, scaled so that a
# week brings 7 x ``per_day`` tickets on average.
WEEKDAY_WEIGHTS = (1.2, 1.1, 1.0, 1.0, 1.1, 0.4, 0.2)
HOUR_WEIGHTS = (
    *(0.1,) * 6,  # 00-05
    0.4, 1.0, 2.0, 2.5, 2.5, 2.0,  # 06-11
    1.5, 2.0, 2.2, 2.0, 1.5, 1.0,  # 12-17
    0.6, 0.4, 0.3, 0.2, 0.1, 0.1,  # 18-23
)  # fmt: skip

# What a level does with a ticket, by how many levels the ticket has entered so far
# (the last row for every later one): the share it resolves, the share a person moves on
# by a trigger; the rest waits for the window to end (the timer).
LEVEL_BEHAVIOUR = (
    # (resolve, trigger)
    (0.55, 0.30),
    (0.45, 0.35),
    (0.45, 0.35),
    (0.55, 0.30),
)
# A level that gets worse: from the middle of the period on, at the given level of the
# flow (by number), only this share of the tickets is decided before the window ends (a
# team short of staff); the report's findings should see it.
DRIFTS = (("billing-payment", 2, 0.2),)
ACK_SHARE = 0.85  # of the levels entered, those where someone acknowledges the ticket
PAUSE_SHARE = 0.10  # of the tickets, those that wait on the customer once
REOPEN_SHARE = 0.06  # of the resolutions, those reopened later

TICK = timedelta(minutes=5)  # how often the generator's worker ticks

LeftBy = Literal["resolved", "trigger", "timer", "skipped"]


@dataclass
class Visit:
    """One stay of a ticket at a level: when it entered and left, and how it left.

    ``left_by`` is None while the ticket is still there; ``trigger`` is the trigger that
    took it away (a person's, or the timer's); ``warned`` and ``held`` count the warnings
    and the holds for nobody on duty during the stay.
    """

    level: str
    entered_at: datetime
    assignee: str | None
    left_at: datetime | None = None
    left_by: LeftBy | None = None
    trigger: str | None = None
    warned: int = 0
    held: int = 0


@dataclass
class TicketRecord:
    """What happened to one ticket, in the generator's own words."""

    id: str
    flow: str
    digest: str
    priority: str
    opened_at: datetime
    first_response_due: datetime | None
    visits: list[Visit] = field(default_factory=list)
    acks: list[tuple[datetime, bool | None]] = field(default_factory=list)
    """First acknowledgements and later ones: the instant, and for the first one whether
    it met the first-response target (None for the later ones or without a target)."""
    resolutions: list[tuple[datetime, bool | None]] = field(default_factory=list)
    """Each resolution: the instant, and whether it met the resolution target."""
    reopens: list[datetime] = field(default_factory=list)
    pauses: list[list[datetime]] = field(default_factory=list)
    """Each pause as ``[start]`` or ``[start, end]``."""
    resolution_due: datetime | None = None
    """The resolution target as last set (at opening, moved by each resume)."""
    status: str = "open"
    events: int = 0

    def note(self, event: Event) -> None:
        """Fold one event the engine returned into the record."""
        self.events += 1
        data, kind = event.data, event.kind
        self.status = _STATUS.get(kind, self.status)
        if kind in ("opened", "resumed"):
            self.resolution_due = _instant(data.get("resolution_due"))
        current = self.visits[-1] if self.visits else None
        if "level" in data and kind not in ("opened", "repeated"):
            if current is not None and current.left_by is None:
                current.left_at, current.trigger = event.at, event.trigger
                current.left_by = _LEFT_BY[kind]
            self.visits.append(Visit(data["level"], event.at, data.get("assignee")))
        if kind == "reopened":
            self.reopens.append(event.at)
        elif kind == "resolved":
            assert current is not None
            current.left_at, current.left_by, current.trigger = event.at, "resolved", event.trigger
            self.resolutions.append((event.at, data.get("within_sla")))
        elif kind == "acknowledged":
            self.acks.append((event.at, data.get("within_sla") if data.get("first") else None))
        elif kind == "warned" and current is not None:
            current.warned += 1
        elif kind == "held" and current is not None:
            current.held += 1
        elif kind == "paused":
            self.pauses.append([event.at])
        elif kind == "resumed":
            self.pauses[-1].append(event.at)


_STATUS = {"paused": "paused", "resumed": "open", "resolved": "resolved", "reopened": "open"}


def _instant(value: object) -> datetime | None:
    """An instant of event data (a datetime, or ISO text once stored)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value if isinstance(value, datetime) else None


_LEFT_BY: dict[str, LeftBy] = {
    "moved": "trigger",
    "escalated": "timer",
    "skipped": "skipped",
    "reopened": "resolved",  # never met: a resolution closed the visit before
}


@dataclass
class History:
    """A generated history: the period it covers and the record of every ticket."""

    start: datetime
    end: datetime
    seed: int
    tickets: dict[str, TicketRecord]

    @property
    def events(self) -> int:
        """How many events the engine wrote."""
        return sum(t.events for t in self.tickets.values())


@dataclass(order=True)
class _Job:
    at: datetime
    order: int
    ticket_id: str = field(compare=False)
    what: str = field(compare=False)
    visit: int = field(compare=False, default=0)


class _Run:
    """The generator's state: the engine, its clock, the queue of things to do."""

    def __init__(
        self, engine: Engine, clock: ManualClock, rng: random.Random, middle: datetime
    ) -> None:
        self.middle = middle
        self.engine, self.clock, self.rng = engine, clock, rng
        self.records: dict[str, TicketRecord] = {}
        self.queue: list[_Job] = []
        self.order = 0

    def later(self, at: datetime, ticket_id: str, what: str, visit: int = 0) -> None:
        self.order += 1
        heapq.heappush(self.queue, _Job(at, self.order, ticket_id, what, visit))

    def noted(self, changes: list[Change] | Change) -> None:
        for change in changes if isinstance(changes, list) else [changes]:
            if change.replayed:
                continue
            record = self.records.get(change.ticket.id)
            if record is None:
                opened = change.events[0]
                record = TicketRecord(
                    change.ticket.id,
                    change.ticket.flow,
                    change.ticket.digest,
                    change.ticket.priority,
                    opened.at,
                    change.ticket.first_response_due,
                    [Visit(opened.data["level"], opened.at, opened.data.get("assignee"))],
                    resolution_due=_instant(opened.data.get("resolution_due")),
                )
                self.records[record.id] = record
                for event in change.events[1:]:
                    record.note(event)
                record.events += 1
            else:
                for event in change.events:
                    record.note(event)


def generate_history(
    matrix: Matrix,
    store: Store,
    *,
    start: datetime,
    days: int,
    seed: int = 1,
    per_day: float = 20.0,
    flows: tuple[str, ...] | None = None,
) -> History:
    """Run ``days`` days of tickets from ``start`` through ``matrix`` into ``store``.

    ``per_day`` tickets arrive on an average day (by the weights of
    :data:`WEEKDAY_WEIGHTS` and :data:`HOUR_WEIGHTS`), of the ``flows`` given (default:
    every flow of the matrix), with the priorities each flow knows. The same seed, matrix
    and store contents give the same history. Tickets still open at the end stay open.
    """
    begin = ensure_aware(start, "start")
    if days < 0 or not math.isfinite(per_day) or per_day < 0:
        raise InputError(f"days ({days}) and per_day ({per_day}) must not be negative")
    chosen = flows if flows is not None else tuple(sorted(matrix.flows))
    for flow_id in chosen:
        matrix.flow(flow_id)  # an unknown flow is refused, with the close names
    end = begin + timedelta(days=days)
    rng = random.Random(seed)
    clock = ManualClock(begin)
    # The generator queues actions and never delivers them: a logger that would write them
    # to nowhere only answers the engine's check that every handler has a deliverer.
    engine = Engine(matrix, store, clock=clock, actions=Actions.log(io.StringIO()))
    run = _Run(engine, clock, rng, begin + (end - begin) / 2)
    _arrivals(run, begin, end, per_day, chosen)
    tick = begin
    while tick < end:  # a worker's ticks: timers move tickets within minutes of their due
        run.later(tick, "", "tick")
        tick += TICK
    while run.queue and run.queue[0].at < end:
        job = heapq.heappop(run.queue)
        clock.set(max(job.at, clock.now()))
        _ticked(run)
        if job.what != "tick":
            _do(run, job)
    clock.set(max(end, clock.now()))
    _ticked(run)
    return History(begin, end, seed, run.records)


def _ticked(run: _Run) -> None:
    """Tick at the clock's time; plan the levels the timers moved tickets to (and those
    whose window ended with nowhere to go: someone decides there later)."""
    for change in run.engine.tick(run.clock.now()):
        run.noted(change)
        moved = any(
            ("level" in e.data and e.kind != "repeated") or e.kind == "expired"
            for e in change.events
        )
        if moved and change.ticket.status == "open":
            _plan(run, change.ticket.id)


def _arrivals(
    run: _Run, begin: datetime, end: datetime, per_day: float, flows: tuple[str, ...]
) -> None:
    """Queue the openings: a Poisson count per hour of the period, spread in the hour."""
    mean_weight = sum(WEEKDAY_WEIGHTS) * sum(HOUR_WEIGHTS) / (7 * 24)
    hour, number = begin, 0
    while hour < end:
        weight = WEEKDAY_WEIGHTS[hour.weekday()] * HOUR_WEIGHTS[hour.hour] / mean_weight
        for _ in range(_poisson(run.rng, per_day / 24 * weight)):
            number += 1
            at = hour + timedelta(seconds=run.rng.randrange(3600))
            flow = run.rng.choice(flows)
            prefix = "".join(word[0] for word in flow.split("-")).upper()
            run.later(min(at, end), f"{prefix}-{number:05d}", f"open:{flow}")
        hour += timedelta(hours=1)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _do(run: _Run, job: _Job) -> None:
    """One queued job: open, decide at a level, acknowledge, resume, reopen."""
    engine, rng, now = run.engine, run.rng, run.clock.now()
    if job.what.startswith("open:"):
        flow = engine.matrix.flow(job.what[5:])
        priority = rng.choice(list(flow.priorities)) if flow.priorities else None
        run.noted(engine.open(flow.id, priority=priority, ticket_id=job.ticket_id, actor="demo"))
        if rng.random() < PAUSE_SHARE:
            run.later(now + timedelta(minutes=rng.randrange(2, 20)), job.ticket_id, "pause")
        _plan(run, job.ticket_id)
        return
    record = run.records[job.ticket_id]
    ticket = engine.get(job.ticket_id)
    if job.what == "reopen":
        if ticket.status == "resolved":
            run.noted(engine.reopen(job.ticket_id, actor="demo"))
            _plan(run, job.ticket_id)
        return
    if ticket.status == "resolved" or job.visit not in (0, len(record.visits)):
        return  # the ticket moved on (a timer) since this was planned
    if job.what == "pause":
        if ticket.status == "open":
            run.noted(engine.pause(job.ticket_id, actor="demo", reason="waiting on the customer"))
            run.later(now + timedelta(minutes=rng.randrange(30, 600)), job.ticket_id, "resume")
    elif job.what == "resume":
        if ticket.status == "paused":
            run.noted(engine.resume(job.ticket_id, actor="demo"))
            _plan(run, job.ticket_id)
    elif job.what == "ack":
        if ticket.status == "open":
            run.noted(engine.acknowledge(job.ticket_id, actor="demo"))
    elif ticket.status == "open":
        _decide(run, job.ticket_id)


def _plan(run: _Run, ticket_id: str) -> None:
    """Plan what the ticket's current level does: an acknowledgement, then a decision
    before its window ends, or none (the timer then moves it at the window's end)."""
    ticket, rng, now = run.engine.get(ticket_id), run.rng, run.clock.now()
    visit = len(run.records[ticket_id].visits)
    window = (ticket.deadline - now) if ticket.deadline is not None else timedelta(hours=4)
    window = max(window, timedelta(minutes=2))
    if rng.random() < ACK_SHARE:
        # Most people answer within the first-response target while it runs, some late.
        due = ticket.first_response_due
        soon = due - now if due is not None and due > now else window
        run.later(now + min(soon, window) * rng.uniform(0.05, 1.15), ticket_id, "ack", visit)
    resolve, trigger = LEVEL_BEHAVIOUR[min(visit, len(LEVEL_BEHAVIOUR)) - 1]
    draw = rng.random()
    if now >= run.middle:
        number = run.engine.flow_of(ticket).level(ticket.level).number
        for flow, level, kept in DRIFTS:
            if (ticket.flow, number) == (flow, level):
                draw /= kept
    if draw < resolve + trigger or ticket.deadline is None:
        run.later(now + window * rng.uniform(0.1, 0.95), ticket_id, "decide", visit)
    # else: nothing is planned: the timer moves the ticket on, and the tick that does it
    # plans the next level (see _ticked)


def _decide(run: _Run, ticket_id: str) -> None:
    """Resolve the ticket, or fire one of its step's manual triggers."""
    engine, rng = run.engine, run.rng
    ticket = engine.get(ticket_id)
    flow = engine.flow_of(ticket)
    onward: list[CompiledTrigger] = [
        t for t in flow.steps[ticket.step].triggers if not t.resolves and not t.automatic
    ]
    record = run.records[ticket_id]
    resolve, trigger = LEVEL_BEHAVIOUR[min(len(record.visits), len(LEVEL_BEHAVIOUR)) - 1]
    if onward and rng.random() < trigger / (resolve + trigger):
        change = engine.fire(ticket_id, rng.choice(onward).id, actor="demo", from_step=ticket.step)
        run.noted(change)
        _plan(run, ticket_id)
        return
    run.noted(engine.resolve(ticket_id, actor="demo"))
    if rng.random() < REOPEN_SHARE:
        run.later(run.clock.now() + timedelta(hours=rng.randrange(2, 48)), ticket_id, "reopen")
