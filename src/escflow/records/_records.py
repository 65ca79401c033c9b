"""Running tickets as data: the ticket row, its append-only events, queued actions.

These records are never changed once made: :func:`apply` builds a new ticket for each
event, a delivery attempt a new action. (They are plain slotted classes rather than
frozen ones because one is built per event: a frozen dataclass costs seven times as
much to construct.)

A ticket's state is a fold of its events (:func:`apply`). Events carry every value the
engine computed (deadlines, who was on duty), so replaying them rebuilds the state
exactly, whatever calendars or holiday tables say later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from escflow.errors import DamagedRecord, InputError

Status = Literal["open", "paused", "resolved"]
STATUSES: tuple[Status, ...] = ("open", "paused", "resolved")
EventKind = Literal[
    "opened",  # the ticket starts at its entry step
    "moved",  # a manual trigger fired
    "escalated",  # an automatic trigger fired at the end of a window
    "warned",  # the window's minimum passed without acknowledgement
    "repeated",  # the window ended and the level starts again
    "skipped",  # nobody on duty at a level whose policy is 'skip'
    "held",  # nobody on duty at a level whose policy is 'hold': the window waits
    "acknowledged",  # someone at the level took the ticket (first response)
    "paused",  # waiting on the customer: the clock stops
    "resumed",  # the clock runs again
    "resolved",
    "reopened",
    "attached",  # evidence: an email, a call, a document, a note
    "expired",  # the window ended where no automatic trigger leads on
    "sla_warning",  # a share of an SLA target (first response or resolution) passed
    "sla_breach",  # an SLA target passed unmet
    "damaged",  # a stored event that cannot be read: shown as it is, never applied
]
# Events that people make: after one of them, nobody can have meant an earlier step.
_ACTED: frozenset[str] = frozenset(
    {"opened", "moved", "acknowledged", "paused", "resumed", "resolved", "reopened", "attached"}
)
AttrValue = str | int | float | bool
Attrs = Mapping[str, AttrValue]
SlaTargetName = Literal["first_response", "resolution"]
SLA_TARGETS: tuple[SlaTargetName, ...] = ("first_response", "resolution")
SlaKind = Literal["sla_warning", "sla_breach"]
# The SLA's timers on a ticket, in the order they fire at one instant: warnings first.
_SLA_TIMERS: tuple[tuple[str, SlaKind, SlaTargetName], ...] = (
    ("response_warn_at", "sla_warning", "first_response"),
    ("resolution_warn_at", "sla_warning", "resolution"),
    ("response_breach_at", "sla_breach", "first_response"),
    ("resolution_breach_at", "sla_breach", "resolution"),
)


@dataclass(slots=True)
class Event:
    """One thing that happened to a ticket. Never changed once written.

    ``data`` holds what the event set: on entering a level, ``level``, ``deadline``,
    ``warn_at`` (aware datetimes, UTC) and ``assignee``; on a warning or a move within the
    level, ``assignee`` when the level's rota has turned since; on pausing, the time that
    remained; on attaching, the evidence.
    """

    ticket_id: str
    seq: int
    at: datetime
    kind: EventKind
    actor: str
    from_step: str | None = None
    to_step: str | None = None
    trigger: str | None = None
    reason: str | None = None
    note: str | None = None
    key: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Ticket:
    """A ticket's current state, as the store keeps it on the ticket row.

    ``version`` is the number of events applied (the last event's ``seq``): stores use
    it for optimistic concurrency. ``timer_left`` is the step a timer escalation took the
    ticket from, until someone acts on it (a trigger, an acknowledgement, evidence...): a
    late "up one level" meant for that step is refused rather than applied twice.
    ``deadline`` is when the level's window ends (the automatic escalation), ``warn_at``
    when its minimum passes; both None while paused or resolved.

    The SLA's timers are pending instants, each None once it fired, once its target was
    met (the first acknowledgement meets the first response, resolving the resolution),
    while the ticket is paused, and when the priority has no target: ``response_warn_at``
    and ``response_breach_at`` for the first response, ``resolution_warn_at`` and
    ``resolution_breach_at`` for the resolution. ``breached_at`` is when the ticket first
    missed a target (None while it has missed none).
    """

    id: str
    flow: str
    digest: str
    priority: str
    status: Status
    step: str
    level: str
    opened_at: datetime
    updated_at: datetime
    level_entered_at: datetime
    deadline: datetime | None
    warn_at: datetime | None
    assignee: str | None
    repeats: int = 0
    acknowledged: bool = False
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    resolved_at: datetime | None = None
    paused_at: datetime | None = None
    attrs: Attrs = field(default_factory=dict)
    version: int = 0
    timer_left: str | None = None
    response_warn_at: datetime | None = None
    response_breach_at: datetime | None = None
    resolution_warn_at: datetime | None = None
    resolution_breach_at: datetime | None = None
    breached_at: datetime | None = None

    @property
    def next_due(self) -> datetime | None:
        """The earliest instant at which ``tick`` has something to do for this ticket: its
        level's warning or deadline, or a timer of its SLA.

        Paused and resolved tickets have none of them (see :func:`apply`).
        """
        soonest = self.deadline
        for instant in (
            self.warn_at,
            self.response_warn_at,
            self.response_breach_at,
            self.resolution_warn_at,
            self.resolution_breach_at,
        ):
            if instant is not None and (soonest is None or instant < soonest):
                soonest = instant
        return soonest

    @property
    def breach_due(self) -> datetime | None:
        """When the ticket misses an SLA target next, unless it meets it first (None: no
        target pending)."""
        response, resolution = self.response_breach_at, self.resolution_breach_at
        if response is None:
            return resolution
        return response if resolution is None or response < resolution else resolution

    def sla_timer(self) -> tuple[datetime, SlaKind, SlaTargetName] | None:
        """The SLA timer due first, as (when, event kind, target), or None: a warning
        before a breach, the first response before the resolution, at one instant."""
        found: tuple[datetime, int, SlaKind, SlaTargetName] | None = None
        for order, (name, kind, target) in enumerate(_SLA_TIMERS):
            at: datetime | None = getattr(self, name)
            if at is not None and (found is None or (at, order) < found[:2]):
                found = (at, order, kind, target)
        return None if found is None else (found[0], found[2], found[3])


ActionStatus = Literal["pending", "delivered", "failed", "quarantined", "discarded"]
ACTION_STATUSES: tuple[ActionStatus, ...] = (
    "pending",
    "delivered",
    "failed",
    "quarantined",
    "discarded",
)


@dataclass(slots=True)
class Action:
    """An automated response waiting in the outbox, delivered after its commit.

    ``key`` is stable (``ticket:event:position``, beginning with the ticket id and a
    colon): a receiver can drop a second delivery of the same key. ``kind`` is
    ``notify``, ``customer``, ``webhook`` or ``handler``.

    ``quarantine`` is why a worker took the action out of the queue: its stored row could
    not be read. ``damage`` is why the row cannot be read now (its ``payload`` is then
    empty); a quarantined action whose row was repaired has a ``quarantine`` but no
    ``damage``, and can be queued again. ``discarded_at``, ``discarded_by`` and
    ``discard_note`` record an operator's choice not to deliver it.
    """

    key: str
    ticket_id: str
    kind: str
    target: str
    payload: Mapping[str, Any]
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str | None = None
    quarantine: str | None = None
    discarded_at: datetime | None = None
    discarded_by: str | None = None
    discard_note: str | None = None
    damage: str | None = None

    @property
    def status(self) -> ActionStatus:
        """Pending until delivered; failed when retries are exhausted (or the receiver
        refused it for good); quarantined when its row could not be read; discarded when
        an operator chose not to deliver it."""
        if self.delivered_at is not None:
            return "delivered"
        if self.discarded_at is not None:
            return "discarded"
        if self.quarantine is not None:
            return "quarantined"
        return "failed" if self.failed_at is not None else "pending"


@dataclass(frozen=True, slots=True)
class Change:
    """What one call changed: the ticket after it, the events it appended, the actions queued.

    ``replayed`` is True when the call carried an idempotency key already applied: then
    nothing was applied again, and the events and actions are the ones the first call
    appended and queued (each action as the outbox holds it now: delivered, perhaps).
    """

    ticket: Ticket
    events: tuple[Event, ...]
    actions: tuple[Action, ...] = ()
    replayed: bool = False


def _instant(value: Any) -> datetime | None:
    """Event data holds instants as datetimes, or as ISO text once stored and read back."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def apply(ticket: Ticket | None, event: Event) -> Ticket:
    """The ticket after ``event``: the one rule by which state follows from events.

    Builds the new ticket in one constructor call (this runs once per event).
    """
    data = event.data
    kind = event.kind
    if kind == "damaged":
        raise DamagedRecord(
            f"event {event.seq} of ticket '{event.ticket_id}' cannot be read"
            f" ({data.get('damage')}): the ticket's state cannot be rebuilt past it; repair"
            " the row from a backup",
            ticket_id=event.ticket_id,
            record=f"event {event.seq}",
        )
    if kind == "opened":
        assert event.to_step is not None
        return Ticket(
            event.ticket_id,
            data["flow"],
            data["digest"],
            data["priority"],
            "open",
            event.to_step,
            data["level"],
            event.at,
            event.at,
            event.at,
            _instant(data.get("deadline")),
            _instant(data.get("warn_at")),
            data.get("assignee"),
            0,
            False,
            None,
            _instant(data.get("first_response_due")),
            _instant(data.get("resolution_due")),
            None,
            None,
            dict(data.get("attrs", {})),
            event.seq,
            None,
            _instant(data.get("response_warn_at")),
            _instant(data.get("first_response_due")),
            _instant(data.get("resolution_warn_at")),
            _instant(data.get("resolution_due")),
            None,
        )
    if ticket is None:
        raise DamagedRecord(
            f"event {event.seq} ({kind}) of ticket '{event.ticket_id}' comes before its"
            " 'opened' event: the history is not whole",
            ticket_id=event.ticket_id,
            record=f"event {event.seq}",
        )
    status = ticket.status
    step = event.to_step if event.to_step is not None else ticket.step
    level, entered, deadline, warn_at, assignee, repeats, acknowledged = _at_level(ticket, event)
    first_response_at, resolution_due = ticket.first_response_at, ticket.resolution_due
    resolved_at, paused_at = ticket.resolved_at, ticket.paused_at
    timer_left: str | None
    if kind == "escalated":  # the first step a run of timer moves left
        timer_left = ticket.timer_left or ticket.step
    else:
        timer_left = None if kind in _ACTED else ticket.timer_left
    if kind == "warned":
        warn_at = None
    elif kind == "expired":
        deadline = warn_at = None
    elif kind == "acknowledged":
        acknowledged, warn_at = True, None
        first_response_at = first_response_at or event.at
    elif kind == "paused":
        status, paused_at, deadline, warn_at = "paused", event.at, None, None
    elif kind == "resumed":
        status, paused_at = "open", None
        deadline, warn_at = _instant(data.get("deadline")), _instant(data.get("warn_at"))
        resolution_due = _instant(data.get("resolution_due"))
    elif kind == "resolved":
        status, resolved_at, deadline, warn_at = "resolved", event.at, None, None
        paused_at = None  # a ticket resolved while waiting on the customer waits no more
    elif kind == "reopened":
        status, resolved_at = "open", None
    sla, breached_at = _sla_after(ticket, event, first_response_at, resolution_due)
    response_due = ticket.first_response_due
    if kind == "resumed" and "first_response_due" in data:
        response_due = _instant(data["first_response_due"])  # a first response still awaited
    return Ticket(
        ticket.id,
        ticket.flow,
        ticket.digest,
        ticket.priority,
        status,
        step,
        level,
        ticket.opened_at,
        event.at,
        entered,
        deadline,
        warn_at,
        assignee,
        repeats,
        acknowledged,
        first_response_at,
        response_due,
        resolution_due,
        resolved_at,
        paused_at,
        ticket.attrs,
        event.seq,
        timer_left,
        sla[0],
        sla[1],
        sla[2],
        sla[3],
        breached_at,
    )


def _at_level(
    ticket: Ticket, event: Event
) -> tuple[str, datetime, datetime | None, datetime | None, str | None, int, bool]:
    """The level after ``event``, when its window started, its deadline and warning, who
    has the ticket there, the window's repeats and whether anyone acknowledged it."""
    data = event.data
    if "level" in data:  # entering a level: its window starts
        deadline, warn_at = _instant(data.get("deadline")), _instant(data.get("warn_at"))
        return (
            data["level"],
            event.at,
            deadline,
            warn_at,
            data.get("assignee"),
            data.get("repeats", 0),
            False,
        )
    deadline, warn_at, assignee = ticket.deadline, ticket.warn_at, ticket.assignee
    if event.kind == "held":
        deadline, warn_at = _instant(data.get("deadline")), _instant(data.get("warn_at"))
    elif "assignee" in data:  # the level's rota turned while the ticket stayed there
        assignee = data["assignee"]
    level, entered = ticket.level, ticket.level_entered_at
    return level, entered, deadline, warn_at, assignee, ticket.repeats, ticket.acknowledged


def _sla_after(
    ticket: Ticket,
    event: Event,
    first_response_at: datetime | None,
    resolution_due: datetime | None,
) -> tuple[list[datetime | None], datetime | None]:
    """The SLA's timers after ``event``, in the order of the ticket's fields (the first
    response's warning and breach, then the resolution's), and its ``breached_at``."""
    kind, data = event.kind, event.data
    sla = [
        ticket.response_warn_at,
        ticket.response_breach_at,
        ticket.resolution_warn_at,
        ticket.resolution_breach_at,
    ]
    breached_at = ticket.breached_at
    if kind in ("paused", "resolved"):
        # The clocks stop with the window; once resolved, no first response is awaited.
        sla = [None] * 4
    elif kind == "resumed":
        sla = _resumed_sla(data, first_response_at, ticket.first_response_due, resolution_due)
        if "response_breach_at" not in data and sla[1] is not None and sla[1] < event.at:
            sla[1] = event.at  # passed during the pause: said at the resume, not before it
    elif kind == "acknowledged":
        sla[0] = sla[1] = None  # the first response is made
    elif kind in ("sla_warning", "sla_breach"):
        first = 0 if data.get("target") == "first_response" else 2
        sla[first] = None
        if kind == "sla_breach":
            sla[first + 1] = None
            breached_at = breached_at or event.at
    return sla, breached_at


def _resumed_sla(
    data: Mapping[str, Any],
    first_response_at: datetime | None,
    response_due: datetime | None,
    resolution_due: datetime | None,
) -> list[datetime | None]:
    """The SLA's timers after a resume: as the event says. A resume recorded before the SLA
    had timers says only the resolution target: its breach is pending again, and so is the
    first response's, at its unmoved target (a pause did not stop it then), when none was
    made."""
    if "response_breach_at" in data:
        return [
            _instant(data.get("response_warn_at")),
            _instant(data.get("response_breach_at")),
            _instant(data.get("resolution_warn_at")),
            _instant(data.get("resolution_breach_at")),
        ]
    return [None, response_due if first_response_at is None else None, None, resolution_due]


def last_pause(events: Sequence[Event]) -> Event:
    """The pause a paused ticket resumes from: its last ``paused`` event. A damaged event
    met first may be that pause: :class:`DamagedRecord` then, rather than an older one."""
    for event in reversed(events):
        if event.kind == "paused":
            return event
        if event.kind == "damaged":
            apply(None, event)  # raises, naming the event
    ticket_id = events[0].ticket_id if events else "?"
    raise DamagedRecord(
        f"ticket '{ticket_id}' is paused but its history holds no pause: the history is not whole",
        ticket_id=ticket_id,
        record="events",
    )


def held_until(events: Sequence[Event]) -> datetime | None:
    """When the hold of the ticket's current level ends (its window starts then): the
    ``until`` of a ``held`` event since the level was last entered, else None."""
    for event in reversed(events):
        if event.kind == "held":
            return _instant(event.data.get("until"))
        if "level" in event.data:  # the level's entry, not held: its window ran from there
            return None
    return None


def replay(events: Iterable[Event]) -> Ticket:
    """Rebuild a ticket from its whole history."""
    ticket: Ticket | None = None
    for event in events:
        ticket = apply(ticket, event)
    if ticket is None:
        raise InputError("no events to replay: a ticket's history starts with 'opened'")
    return ticket
