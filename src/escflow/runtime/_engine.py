"""The engine: tickets move through compiled flows by trigger and by timer.

Every call works the same way: read the ticket, catch up any deadline that passed
before ``now`` (so a late call sees the ticket where the flow has already taken it),
decide what happens, append the events, the new row and the queued actions in one
store transaction, and return the :class:`Change`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from escflow.compile import CompiledFlow, CompiledTrigger, Matrix, compile_source
from escflow.compile._index import timer_label
from escflow.errors import (
    ConflictError,
    DuplicateTicket,
    RuntimeFlowError,
    TicketClosed,
    TimeError,
    UnknownTicket,
)
from escflow.records import (
    STATUSES,
    Action,
    Attrs,
    AttrValue,
    Change,
    Event,
    EventKind,
    Status,
    Ticket,
    apply,
    replay,
)
from escflow.runtime._actions import (
    Actions,
    Blueprint,
    Notice,
    attempted,
    blueprints,
    warning_action,
)
from escflow.runtime._machine import FlowMachine
from escflow.runtime._timing import Remaining, Timing
from escflow.spec._load import did_you_mean
from escflow.spec._models import RESOLVED, storable
from escflow.store import MemoryStore, Store, Write, check_text, need_text
from escflow.timing._clock import Clock, SystemClock, ensure_aware

EvidenceKind = Literal["email", "call", "document", "note"]
EVIDENCE: tuple[EvidenceKind, ...] = ("email", "call", "document", "note")
_ATTEMPTS = 3  # reads and re-applications of a call that meets a concurrent writer
# Timer events one call applies to one ticket: only a flow whose timers loop, left without
# a worker for long, has more due; a tick applies these and leaves the rest for the next.
_CATCH_UP = 10_000
# Tickets or actions in one tick or delivery round: one transaction, held in memory.
MAX_BATCH = 100_000


def check_limit(limit: int, name: str = "limit") -> None:
    """Refuse a batch size outside 1 to :data:`MAX_BATCH` (SQLite reads a negative LIMIT
    as no limit at all)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
        raise RuntimeFlowError(f"{name} is {limit!r}; give a whole number from 1 to {MAX_BATCH:,}")


# What an engine calls on its store: an object without one of them is refused up front.
_STORE_METHODS = tuple(
    name for name in vars(Store) if not name.startswith("_") and callable(vars(Store)[name])
)


def _check_parts(store: object, clock: object) -> None:
    """Refuse, when the engine is made, a store or clock that would fail on first use."""
    if isinstance(store, str):
        raise RuntimeFlowError(
            f"store is the text {store!r}; open it first: escflow.store.open_store({store!r})"
        )
    missing = [name for name in _STORE_METHODS if not callable(getattr(store, name, None))]
    if missing:
        raise RuntimeFlowError(
            f"store {store!r} is not a store: it has no {', '.join(missing)} (give a MemoryStore,"
            " or open one with escflow.store.open_store(url))"
        )
    if not callable(getattr(clock, "now", None)):
        raise RuntimeFlowError(
            f"clock {clock!r} has no now() method (give a SystemClock or a ManualClock)"
        )


def _checked_attrs(attrs: Attrs | None) -> dict[str, AttrValue]:
    """A ticket's attributes, refused unless each is text, a boolean, or a finite number."""
    if attrs is not None and not isinstance(attrs, Mapping):
        raise RuntimeFlowError(
            f"attrs is {attrs!r}; give a mapping of names to values, e.g. {{'region': 'north'}}"
        )
    checked: dict[str, AttrValue] = {}
    for name, value in (attrs or {}).items():
        if not isinstance(name, str):
            raise RuntimeFlowError(f"attribute names are text; got {name!r}")
        if not storable(value):
            raise RuntimeFlowError(
                f"attribute '{name}' is {value!r}; an attribute is text, true/false, a whole"
                " number within 64 bits, or a finite decimal number"
            )
        check_text(**{f"the name of attribute {name!r}": name})
        if isinstance(value, str):
            check_text(**{f"attribute {name!r}": value})
        checked[name] = value
    return checked


# Longer than any CRM's or helpdesk's ticket number; short enough for a listing's column.
MAX_ID = 200
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _check_id(ticket_id: str) -> None:
    """Refuse an id that could not be typed back or shown on one line."""
    if not ticket_id.strip():
        raise RuntimeFlowError("the ticket id is empty; give one, or none to have one made")
    if ticket_id != ticket_id.strip():
        raise RuntimeFlowError(
            f"the ticket id {ticket_id!r} starts or ends with spaces; give it without them"
        )
    found = _UNPRINTABLE.search(ticket_id)
    if found:
        raise RuntimeFlowError(
            f"the ticket id {ticket_id!r} holds a control character (at position"
            f" {found.start() + 1}); a ticket id is one line of visible text"
        )
    if len(ticket_id) > MAX_ID:
        raise RuntimeFlowError(
            f"the ticket id is {len(ticket_id):,} characters long; give at most {MAX_ID}"
        )


def _check_actor(actor: str) -> None:
    """Refuse an actor that is not text, or blank: the history says who did it."""
    need_text(actor=actor)
    if not actor.strip():
        raise RuntimeFlowError("actor is empty; say who does it, e.g. the agent's name")


def _check_reason(reason: str | None) -> None:
    """Refuse a reason that no store can keep, or blank: the customer is told it."""
    check_text(reason=reason)
    if reason is not None and not reason.strip():
        raise RuntimeFlowError("reason is empty; say why, or leave it out")


def _call(kinds: tuple[EventKind, ...], actor: str, **fields: object) -> Callable[[Event], bool]:
    """Whether an event is the first of a call of one of ``kinds`` by ``actor`` with these
    event ``fields`` (the check that a repeated idempotency key repeats the same call)."""

    def same(event: Event) -> bool:
        return (
            event.kind in kinds
            and event.actor == actor
            and all(getattr(event, name) == value for name, value in fields.items())
        )

    return same


def _described(event: Event) -> str:
    """An event as the call that made it, for messages:
    ``moved by 'asks-for-manager', actor ana, at 2026-11-23T09:00:00+00:00``."""
    how = f" by '{event.trigger}'" if event.trigger else ""
    return f"{event.kind}{how}, actor {event.actor}, at {event.at.isoformat()}"


class _Draft:
    """The events and actions of one call, applied to the ticket as they are added."""

    def __init__(self, ticket: Ticket | None, ticket_id: str, actor: str, key: str | None) -> None:
        self.ticket = ticket
        self.ticket_id = ticket_id
        self.expected = ticket.version if ticket else 0
        self.actor = actor
        self.key = key
        self.events: list[Event] = []
        self.actions: list[Action] = []
        self._keyed = False

    @property
    def current(self) -> Ticket:
        assert self.ticket is not None
        return self.ticket

    def add(
        self,
        kind: EventKind,
        at: datetime,
        *,
        from_step: str | None = None,
        to_step: str | None = None,
        trigger: str | None = None,
        reason: str | None = None,
        note: str | None = None,
        data: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> Event:
        seq = (self.ticket.version if self.ticket else 0) + 1
        key = None
        if self.key is not None and not self._keyed:
            key, self._keyed = self.key, True  # the call's key marks its first own event
        event = Event(
            self.ticket_id,
            seq,
            at,
            kind,
            actor or self.actor,
            from_step,
            to_step,
            trigger,
            reason,
            note,
            key,
            data or {},
        )
        self.ticket = apply(self.ticket, event)
        self.events.append(event)
        return event


class Engine:
    """Runs tickets through the flows of a matrix.

    ``store`` keeps tickets (default: in memory), ``clock`` tells the time (default: the
    system clock), ``actions`` delivers automated responses. Each call on one ticket
    returns a :class:`Change` (``tick`` and ``fire_many`` a list of them, one per ticket
    changed); each refused call raises a subclass of
    :class:`~escflow.errors.EscflowError` and changes nothing.
    """

    def __init__(
        self,
        matrix: Matrix,
        store: Store | None = None,
        clock: Clock | None = None,
        actions: Actions | None = None,
    ) -> None:
        self.matrix = matrix
        self.store: Store = store if store is not None else MemoryStore()
        self.clock: Clock = clock if clock is not None else SystemClock()
        _check_parts(self.store, self.clock)
        self.actions = actions if actions is not None else Actions()
        self.actions.check(matrix.flows.values())
        self._timing = Timing()
        self._flows: dict[str, CompiledFlow] = {f.digest: f for f in matrix.flows.values()}
        self._machines: dict[str, FlowMachine] = {}
        self._responses: dict[tuple[str, str, str], tuple[Blueprint, ...]] = {}
        self._notices: dict[tuple[str, str, str], Notice] = {}
        self._saved: set[str] = set()
        self._last: datetime | None = None

    # --- reading -------------------------------------------------------------------

    def get(self, ticket_id: str) -> Ticket:
        """The ticket as it is now."""
        need_text(ticket_id=ticket_id)
        ticket = self.store.get(ticket_id)
        if ticket is None:
            raise UnknownTicket(f"no ticket '{ticket_id}'")
        return ticket

    def history(self, ticket_id: str) -> list[Event]:
        """Every event of the ticket, oldest first."""
        self.get(ticket_id)
        return self.store.history(ticket_id)

    def outbox(self, ticket_id: str) -> list[Action]:
        """Every action the ticket queued, with its delivery status."""
        self.get(ticket_id)
        return self.store.actions(ticket_id)

    def tickets(
        self,
        *,
        status: Status | None = None,
        flow: str | None = None,
        due_by: datetime | None = None,
        limit: int = 50,
    ) -> list[Ticket]:
        """Up to ``limit`` tickets that pass every filter given, the soonest next deadline or
        warning first, those without one after them (by id).

        ``status`` is open, paused or resolved; ``flow`` a flow id; ``due_by`` keeps the
        tickets whose deadline or warning falls at or before it: ``due_by=clock.now()``
        lists the overdue ones, which a running worker would have moved already.
        """
        check_limit(limit)
        if status is not None and status not in STATUSES:
            raise RuntimeFlowError(
                f"'{status}' is not a ticket status (use one of: {', '.join(STATUSES)})"
                f"{did_you_mean(str(status), STATUSES)}"
            )
        check_text(flow=flow)
        instant = ensure_aware(due_by, "due_by") if due_by is not None else None
        found = self.store.tickets(status=status, flow=flow, due_by=instant, limit=limit)
        if flow is not None and not found and flow not in self.matrix.flows:
            raise RuntimeFlowError(
                f"no flow '{flow}' in the matrix and no ticket of it in the store (flows:"
                f" {', '.join(sorted(self.matrix.flows))}){did_you_mean(flow, self.matrix.flows)}"
            )
        return found

    def flow_of(self, ticket: Ticket) -> CompiledFlow:
        """The flow version the ticket is pinned to (rebuilt from the store if it changed)."""
        flow = self._flows.get(ticket.digest)
        if flow is None:
            source = self.store.load_version(ticket.digest)
            if source is None:
                raise RuntimeFlowError(
                    f"ticket '{ticket.id}' runs flow version {ticket.digest[:12]}, which the"
                    " store does not hold"
                )
            flow = compile_source(source)
            self.actions.check([flow])
            self._flows[flow.digest] = flow
        return flow

    def preview(self, ticket_id: str, *, at: datetime | None = None) -> Change:
        """The ticket as its flow has taken it by now (or ``at``): the warnings and
        deadlines that passed since it was stored, applied but not stored (a tick or the
        next call stores them). ``events`` are those; empty when nothing passed."""
        ticket = self.get(ticket_id)
        now = self._instant(at)
        draft = _Draft(ticket, ticket.id, "timer", None)
        if now > ticket.updated_at:  # a ticket stored ahead of the clock has nothing passed
            self._catch_up(draft, self.flow_of(ticket), now)
        return Change(draft.current, tuple(draft.events), tuple(draft.actions))

    def valid_triggers(self, ticket_id: str, *, at: datetime | None = None) -> list[str]:
        """The triggers that can fire from the ticket's step now (or ``at``), as ``fire``
        sees the ticket: where its flow has taken it, deadlines that passed included."""
        return self.triggers_of(self.preview(ticket_id, at=at).ticket)

    def triggers_of(self, ticket: Ticket) -> list[str]:
        """The triggers valid from ``ticket`` as given (a preview's, say), manual first;
        none while it is resolved or paused, as ``fire`` refuses them then."""
        if ticket.status != "open":
            return []
        return self._machine(self.flow_of(ticket)).triggers_from(ticket.step)

    # --- commands ------------------------------------------------------------------

    def open(
        self,
        category: str,
        priority: str | None = None,
        ticket_id: str | None = None,
        attrs: Attrs | None = None,
        *,
        actor: str = "system",
        key: str | None = None,
        at: datetime | None = None,
    ) -> Change:
        """Open a ticket of ``category`` (a flow id) at the entry step of its priority."""
        need_text(category=category)
        check_text(priority=priority, ticket_id=ticket_id, key=key)
        _check_actor(actor)
        flow = self.matrix.flow(category)
        if priority is None:
            chosen = flow.default_priority or next(iter(flow.priorities), None) or ""
        else:
            chosen = priority
        if flow.priorities and chosen not in flow.priorities:
            raise RuntimeFlowError(
                f"unknown priority '{chosen}'{did_you_mean(chosen, flow.priorities)}"
                f" (priorities: {', '.join(flow.priorities)}; leave it out for the default)"
            )
        checked = _checked_attrs(attrs)
        if ticket_id is not None:
            _check_id(ticket_id)

        def same(event: Event) -> bool:
            data = event.data
            return (
                event.kind == "opened"
                and event.actor == actor
                and data.get("flow") == flow.id
                and data.get("priority") == chosen
                and data.get("attrs", {}) == checked
            )

        def earlier() -> Change | None:
            """The result of this call if its key was applied: an open without an id finds
            the ticket it made by the key."""
            record = self.store.find_key(key) if key is not None else None
            if record is None:
                return None
            return self._replayed(key, ticket_id or record.ticket_id, same)

        replayed = earlier()
        if replayed is not None:
            return replayed
        try:
            made = ticket_id or f"T-{uuid.uuid4().hex[:12]}"
            return self._open(flow, chosen, checked, made, actor, key, at)
        except (DuplicateTicket, ConflictError):
            # A retry racing its original (two processes sent the same call): the one
            # that lost answers with what the other applied.
            replayed = earlier()
            if replayed is None:
                raise
            return replayed

    def _open(
        self,
        flow: CompiledFlow,
        chosen: str,
        checked: dict[str, AttrValue],
        ticket_id: str,
        actor: str,
        key: str | None,
        at: datetime | None,
    ) -> Change:
        now = self._now(at)
        if self.store.get(ticket_id) is not None:
            raise DuplicateTicket(f"a ticket with the id '{ticket_id}' exists already")
        if flow.digest not in self._saved:
            self.store.save_version(flow.digest, flow.id, flow.source)
            self._saved.add(flow.digest)
        sla = self._timing.sla(flow, chosen, now)
        draft = _Draft(None, ticket_id, actor, key)
        self._enter(
            draft,
            flow,
            "opened",
            now,
            flow.entry(chosen or None),
            opening={
                "flow": flow.id,
                "digest": flow.digest,
                "priority": chosen,
                "attrs": checked,
                "first_response_due": sla.warn_at,
                "resolution_due": sla.deadline,
            },
        )
        return self._commit(draft)

    def fire(
        self,
        ticket_id: str,
        trigger: str,
        actor: str = "system",
        note: str | None = None,
        key: str | None = None,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Change:
        """Fire a trigger of the ticket's step: hierarchical, functional, loop or resolution."""
        need_text(trigger=trigger)
        check_text(note=note)
        _check_reason(reason)

        def change(draft: _Draft, flow: CompiledFlow, now: datetime) -> None:
            self._fire(draft, flow, now, trigger, reason=reason, note=note)

        return self._run(
            ticket_id,
            actor,
            key,
            at,
            change,
            _call(("moved", "resolved"), actor, trigger=trigger, note=note),
        )

    def acknowledge(
        self,
        ticket_id: str,
        actor: str = "system",
        note: str | None = None,
        key: str | None = None,
        *,
        at: datetime | None = None,
    ) -> Change:
        """Someone at the ticket's level took it: no warning follows; the first one is the
        first response of the SLA."""
        check_text(note=note)

        def change(draft: _Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = draft.current
            if ticket.status == "resolved":
                raise TicketClosed(f"ticket '{ticket_id}' is resolved; reopen it first")
            first = ticket.first_response_at is None
            due = ticket.first_response_due
            within = None if not first or due is None else now <= due
            draft.add("acknowledged", now, note=note, data={"first": first, "within_sla": within})

        return self._run(
            ticket_id, actor, key, at, change, _call(("acknowledged",), actor, note=note)
        )

    def pause(
        self,
        ticket_id: str,
        actor: str = "system",
        reason: str | None = None,
        key: str | None = None,
        *,
        at: datetime | None = None,
    ) -> Change:
        """Wait on the customer: the level's window and the resolution target stop."""
        _check_reason(reason)

        def change(draft: _Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = self._must_be_open(draft.current)
            level = flow.level(ticket.level)
            left = self._timing.remaining(
                flow,
                level,
                ticket.priority,
                now,
                (ticket.deadline, ticket.warn_at, ticket.resolution_due),
            )
            draft.add(
                "paused",
                now,
                reason=reason,
                data={
                    "remaining_deadline": left.deadline,
                    "remaining_warn": left.warn,
                    "remaining_resolution": left.resolution,
                    "business": left.business,
                    "calendar": left.calendar,
                    "resolution_calendar": left.resolution_calendar,
                },
            )

        return self._run(
            ticket_id, actor, key, at, change, _call(("paused",), actor, reason=reason)
        )

    def resume(
        self,
        ticket_id: str,
        actor: str = "system",
        note: str | None = None,
        key: str | None = None,
        *,
        at: datetime | None = None,
    ) -> Change:
        """The customer answered: the clocks run again with the time they had left."""
        check_text(note=note)

        def change(draft: _Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = draft.current
            if ticket.status != "paused":
                raise RuntimeFlowError(f"ticket '{ticket_id}' is {ticket.status}, not paused")
            paused = next(e for e in reversed(self.store.history(ticket_id)) if e.kind == "paused")
            data = paused.data
            left = Remaining(
                data["remaining_deadline"],
                data["remaining_warn"],
                data["remaining_resolution"],
                data["business"],
                data["calendar"],
                # A pause recorded before escflow kept the SLA's own terms measured the
                # resolution in the window's: it is resumed in the terms it was measured in.
                data["resolution_calendar"]
                if "resolution_calendar" in data
                else data["calendar"]
                if data["business"]
                else None,
            )
            deadline, warn, resolution = self._timing.resume(flow, left, now)
            draft.add(
                "resumed",
                now,
                note=note,
                data={
                    "deadline": deadline,
                    "warn_at": warn,
                    "resolution_due": resolution,
                    "paused_for": (now - paused.at).total_seconds(),
                },
            )
            self._catch_up(draft, flow, now)

        return self._run(ticket_id, actor, key, at, change, _call(("resumed",), actor, note=note))

    def resolve(
        self,
        ticket_id: str,
        actor: str = "system",
        note: str | None = None,
        key: str | None = None,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Change:
        """Resolve the ticket, through its step's resolution trigger when it has one."""
        check_text(note=note, reason=reason)

        def change(draft: _Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = draft.current
            if ticket.status == "resolved":
                raise TicketClosed(f"ticket '{ticket_id}' is resolved already")
            edge = next((t for t in flow.steps[ticket.step].triggers if t.resolves), None)
            draft.add(
                "resolved",
                now,
                from_step=ticket.step,
                trigger=edge.id if edge else None,
                reason=reason or (edge.label if edge else None),
                note=note,
                data=self._sla_outcome(draft.current, now),
            )

        return self._run(ticket_id, actor, key, at, change, _call(("resolved",), actor, note=note))

    def reopen(
        self,
        ticket_id: str,
        actor: str = "system",
        reason: str | None = None,
        key: str | None = None,
        *,
        at: datetime | None = None,
    ) -> Change:
        """Reopen a resolved ticket at the step where it was resolved, with a fresh window."""
        _check_reason(reason)

        def change(draft: _Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = draft.current
            if ticket.status != "resolved":
                raise RuntimeFlowError(
                    f"ticket '{ticket_id}' is {ticket.status}; only a resolved ticket can be"
                    " reopened"
                )
            self._enter(draft, flow, "reopened", now, ticket.step, reason=reason, notice=False)

        return self._run(
            ticket_id, actor, key, at, change, _call(("reopened",), actor, reason=reason)
        )

    def attach(
        self,
        ticket_id: str,
        kind: EvidenceKind,
        summary: str,
        actor: str = "system",
        *,
        ref: str | None = None,
        occurred_at: datetime | None = None,
        key: str | None = None,
        at: datetime | None = None,
    ) -> Change:
        """Record evidence: an email, a call (with when it happened), a document, a note."""
        if kind not in EVIDENCE:
            raise RuntimeFlowError(
                f"'{kind}' is not a kind of evidence; use one of: {', '.join(EVIDENCE)}"
            )
        need_text(summary=summary)
        if not summary.strip():
            raise RuntimeFlowError("evidence needs a summary: what the email, call or note says")
        check_text(ref=ref)
        occurred = ensure_aware(occurred_at, "occurred_at") if occurred_at else None
        data = {"kind": kind, "ref": ref, "occurred_at": occurred}

        def change(draft: _Draft, flow: CompiledFlow, now: datetime) -> None:
            draft.add("attached", now, note=summary, data=data)

        same = _call(("attached",), actor, note=summary, data=data)
        return self._run(ticket_id, actor, key, at, change, same)

    def tick(
        self, now: datetime | None = None, *, limit: int = 1000, group: bool = True
    ) -> list[Change]:
        """Apply every warning and deadline due at ``now`` (up to ``limit`` tickets).

        With ``group`` the whole batch is one transaction (group commit); when another
        writer moved one of its tickets meanwhile, the batch is applied ticket by ticket
        instead, and the moved ticket waits for the next tick.
        """
        check_limit(limit)
        instant = self._now(now, "now")
        drafts: list[_Draft] = []
        for ticket in self.store.due(instant, limit):
            draft = _Draft(ticket, ticket.id, "timer", None)
            # A ticket with more due than one catch-up applies keeps the rest for the next
            # tick, which finds it due still.
            self._catch_up(draft, self.flow_of(ticket), instant, partial=True)
            if draft.events:
                drafts.append(draft)
        changes: list[Change] = []
        if group and len(drafts) > 1:
            try:
                changes = self._commit_all(drafts)
            except ConflictError:
                pass  # fall back to one transaction per ticket
            else:
                drafts = []
        for draft in drafts:
            try:
                changes.append(self._commit(draft))
            except ConflictError:
                continue  # a concurrent call moved it; the next tick sees its new deadline
        return changes

    def fire_many(
        self,
        calls: Iterable[tuple[str, str]],
        actor: str = "system",
        *,
        at: datetime | None = None,
    ) -> list[Change]:
        """Fire ``(ticket_id, trigger)`` pairs in one transaction: all apply, or none.

        For services that receive events in bursts: the tickets are read together and
        written in one commit, instead of a read and a commit per event.
        A ticket may appear more than once; its calls apply in order, and its one
        :class:`Change` (in the order the tickets first appear) holds all their events.
        """
        _check_actor(actor)
        if isinstance(calls, str | bytes) or not isinstance(calls, Iterable):
            raise RuntimeFlowError(f"calls is {calls!r}; give a list of (ticket_id, trigger) pairs")
        pairs = list(calls)  # read once: an iterator is checked and applied alike
        for call in pairs:
            if not isinstance(call, tuple | list) or len(call) != 2:
                raise RuntimeFlowError(f"each call is a (ticket_id, trigger) pair; got {call!r}")
            need_text(ticket_id=call[0], trigger=call[1])
        now = self._now(at)
        found = self.store.get_many([ticket_id for ticket_id, _ in pairs])
        drafts: dict[str, _Draft] = {}
        for ticket_id, trigger in pairs:
            draft = drafts.get(ticket_id)
            if draft is None:
                ticket = found.get(ticket_id)
                if ticket is None:
                    raise UnknownTicket(f"no ticket '{ticket_id}'")
                draft, flow = self._draft(ticket, actor, None, now)
                drafts[ticket_id] = draft
            else:
                flow = self.flow_of(draft.current)
            self._fire(draft, flow, now, trigger)
        return self._commit_all(list(drafts.values()))

    def deliver(self, now: datetime | None = None, *, limit: int = 100) -> list[Action]:
        """Deliver queued actions that are due; failures are retried with backoff.

        The outcomes are recorded together, in one commit after the batch (delivery is at
        least once: an action whose outcome a crash lost is delivered again, same key).
        """
        check_limit(limit)
        instant = self._now(now, "now")
        done: list[Action] = []
        try:
            for action in self.store.pending_actions(instant, limit):
                error: str | None = None
                try:
                    self.actions.deliverer(action)(action)
                except Exception as exc:  # a deliverer's failure is recorded, never raised
                    error = f"{type(exc).__name__}: {exc}"
                done.append(attempted(action, self.actions, instant, error))
        finally:
            self.store.record_attempts(done)
        return done

    # --- the mechanics ----------------------------------------------------------------

    def _instant(self, at: datetime | None, name: str = "at") -> datetime:
        """``at`` (named ``name`` in messages), or the clock's time, in UTC."""
        return ensure_aware(at, name) if at is not None else ensure_aware(self.clock.now(), "now")

    def _now(self, at: datetime | None, name: str = "at") -> datetime:
        """The instant of a call: ``at``, or the clock's time, never before its last reading.

        Only the clock's readings are held to each other: an ``at`` is the caller's word
        for when something happened (a late report, a back-fill), which each ticket's own
        history bounds, and it must not hold back the calls on other tickets.
        """
        if at is not None:
            return ensure_aware(at, name)
        now = ensure_aware(self.clock.now(), "now")
        if self._last is not None and now < self._last:
            raise TimeError(
                f"the clock went backwards: it says {now.isoformat()}, after saying"
                f" {self._last.isoformat()}; give the engine a clock that only moves forward"
            )
        self._last = now
        return now

    def _machine(self, flow: CompiledFlow) -> FlowMachine:
        machine = self._machines.get(flow.digest)
        if machine is None:
            machine = FlowMachine.build(flow)
            self._machines[flow.digest] = machine
        return machine

    def _begin(
        self, ticket_id: str, actor: str, key: str | None, at: datetime | None
    ) -> tuple[_Draft, CompiledFlow, datetime]:
        ticket = self.get(ticket_id)
        now = self._now(at)
        draft, flow = self._draft(ticket, actor, key, now)
        return draft, flow, now

    def _draft(
        self, ticket: Ticket, actor: str, key: str | None, now: datetime
    ) -> tuple[_Draft, CompiledFlow]:
        """A call's draft on ``ticket`` as read, caught up to ``now``."""
        if now < ticket.updated_at:
            raise TimeError(
                f"ticket '{ticket.id}' last changed at {ticket.updated_at.isoformat()}; an event"
                f" at {now.isoformat()} would go back in time"
            )
        flow = self.flow_of(ticket)
        draft = _Draft(ticket, ticket.id, actor, key)
        self._catch_up(draft, flow, now)
        return draft, flow

    def _run(
        self,
        ticket_id: str,
        actor: str,
        key: str | None,
        at: datetime | None,
        change: Callable[[_Draft, CompiledFlow, datetime], None],
        same: Callable[[Event], bool],
    ) -> Change:
        """Apply one call to the ticket as it is now; when another writer got there first,
        read it again and apply the call anew (the earlier result, if that writer was a
        retry of this very call: ``same`` tells whether a keyed event was made by it)."""
        _check_actor(actor)
        check_text(key=key)  # the ticket id: by get, when _begin reads it
        for _ in range(_ATTEMPTS):
            replayed = self._replayed(key, ticket_id, same)
            if replayed is not None:
                return replayed
            draft, flow, now = self._begin(ticket_id, actor, key, at)
            change(draft, flow, now)
            try:
                return self._commit(draft)
            except ConflictError:
                continue
        raise ConflictError(
            f"ticket '{ticket_id}' was changed by other writers {_ATTEMPTS} times while this"
            " call was applied; try again"
        )

    def _replayed(
        self, key: str | None, ticket_id: str, same: Callable[[Event], bool]
    ) -> Change | None:
        """The earlier result of this call if its key was applied already, or None: the
        events and actions of the call's write (the timer events it caught up on first),
        the actions as the outbox holds them now.

        A key names one call: used again for another call (another trigger, actor, note,
        ticket...) it is refused, so that a caller never takes an old result for a new one.
        """
        if key is None:
            return None
        record = self.store.find_key(key)
        if record is None:
            return None
        if record.ticket_id != ticket_id:
            raise ConflictError(
                f"the idempotency key '{key}' was used for ticket '{record.ticket_id}'; a new"
                " call needs a new key"
            )
        events = self.store.history(record.ticket_id, upto=record.last_seq)
        own = [e for e in events if e.seq >= record.first_seq]  # from the keyed event on
        if not own or not same(own[0]):
            raise ConflictError(
                f"the idempotency key '{key}' was used on ticket '{ticket_id}' for another call"
                f" ({_described(own[0]) if own else 'unknown'}); a new call needs a new key"
            )
        # A key stored before schema 5 does not say where its call began: at its event.
        first = record.first_seq if record.call_first_seq is None else record.call_first_seq
        prefix = len(ticket_id) + 1  # an action's key is 'ticket:seq:position'
        actions = tuple(
            a
            for a in self.store.actions(ticket_id)
            if first <= int(a.key[prefix:].split(":", 1)[0]) <= record.last_seq
        )
        mine = tuple(e for e in events if e.seq >= first)
        return Change(replay(events), mine, actions, replayed=True)

    @staticmethod
    def _must_be_open(ticket: Ticket) -> Ticket:
        if ticket.status == "resolved":
            raise TicketClosed(f"ticket '{ticket.id}' is resolved; reopen it first")
        if ticket.status == "paused":
            raise RuntimeFlowError(
                f"ticket '{ticket.id}' is paused (waiting on the customer); resume it first"
            )
        return ticket

    def _commit(self, draft: _Draft) -> Change:
        return self._commit_all([draft])[0]

    def _commit_all(self, drafts: list[_Draft]) -> list[Change]:
        self.store.append([Write(d.current, d.events, d.actions, d.expected) for d in drafts])
        return [Change(d.current, tuple(d.events), tuple(d.actions)) for d in drafts]

    def _catch_up(
        self, draft: _Draft, flow: CompiledFlow, now: datetime, *, partial: bool = False
    ) -> None:
        """Apply, at their own instants, the warnings and deadlines due by ``now``.

        At most :data:`_CATCH_UP` of them: with more due, a ``partial`` catch-up (a tick)
        stops there, and any other call is refused rather than applied to a ticket that is
        not where its flow has taken it.
        """
        key, draft.key = draft.key, None
        for _ in range(_CATCH_UP):
            ticket = draft.current
            due = ticket.next_due
            if due is None or due > now:
                break
            if ticket.warn_at is not None and (
                ticket.deadline is None or ticket.warn_at <= ticket.deadline
            ):
                level = flow.level(ticket.level)
                minimum = self._timing.window_text(flow, level, ticket.priority).min
                event = draft.add(
                    "warned",
                    ticket.warn_at,
                    actor="timer",
                    reason=f"window minimum {minimum} passed",
                )
                action_key = f"{ticket.id}:{event.seq}:warning"
                draft.actions.append(
                    warning_action(ticket, level, str(minimum), action_key, event.at)
                )
                continue
            self._expire(draft, flow, ticket)
        else:
            due = draft.current.next_due
            if not partial and due is not None and due <= now:
                raise RuntimeFlowError(
                    f"ticket '{draft.ticket_id}' has more than {_CATCH_UP:,} warnings and"
                    f" deadlines due before {now.isoformat()} (its flow's timers loop); let a"
                    " worker catch it up (escflow worker --once, or Engine.tick) and call again"
                )
        draft.key = key

    def _fire(
        self,
        draft: _Draft,
        flow: CompiledFlow,
        now: datetime,
        trigger: str,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> None:
        """A manual trigger of the ticket's step, checked and dispatched by the machine."""
        ticket = self._must_be_open(draft.current)
        target = self._machine(flow).target(ticket.id, ticket.step, trigger)
        edge = flow.steps[ticket.step].trigger(trigger)
        assert edge is not None, "the machine has this step's triggers"
        self._follow(draft, flow, "moved", now, edge, target, reason=reason, note=note)

    def _expire(self, draft: _Draft, flow: CompiledFlow, ticket: Ticket) -> None:
        assert ticket.deadline is not None
        at = ticket.deadline
        level = flow.level(ticket.level)
        if ticket.repeats < level.repeat:
            self._enter(
                draft,
                flow,
                "repeated",
                at,
                level.entry,
                actor="timer",
                reason=f"window ended; level repeats ({ticket.repeats + 1} of {level.repeat})",
                repeats=ticket.repeats + 1,
                notice=False,
            )
            return
        timer = flow.steps[ticket.step].timer
        window = self._timing.window_text(flow, level, ticket.priority)
        if timer is None:
            draft.add(
                "expired",
                at,
                actor="timer",
                reason=f"window of {window.window} ended; no automatic trigger leads on",
            )
            return
        target = self._machine(flow).target(ticket.id, ticket.step, timer.id)
        # The timer a window adds is labelled with the window's end as written; the reason
        # a ticket gives quotes the end its priority gave it.
        reason = timer_label(window.max) if timer.implicit and window.max else None
        self._follow(draft, flow, "escalated", at, timer, target, actor="timer", reason=reason)

    def _follow(
        self,
        draft: _Draft,
        flow: CompiledFlow,
        kind: EventKind,
        at: datetime,
        edge: CompiledTrigger,
        target: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        actor: str | None = None,
    ) -> None:
        ticket = draft.current
        why = reason or edge.reason or edge.label
        if target == RESOLVED:
            draft.add(
                "resolved",
                at,
                from_step=ticket.step,
                trigger=edge.id,
                reason=why,
                note=note,
                actor=actor,
                data=self._sla_outcome(ticket, at),
            )
            return
        if flow.steps[target].level == ticket.level and edge.kind in ("step", "loop"):
            event = draft.add(
                kind,
                at,
                from_step=ticket.step,
                to_step=target,
                trigger=edge.id,
                reason=why,
                note=note,
                actor=actor,
            )
            self._queue_responses(draft, flow, target, event, why)
            return
        self._enter(
            draft, flow, kind, at, target, trigger=edge.id, reason=why, note=note, actor=actor
        )

    def _enter(
        self,
        draft: _Draft,
        flow: CompiledFlow,
        kind: EventKind,
        at: datetime,
        step: str,
        *,
        trigger: str | None = None,
        reason: str | None = None,
        note: str | None = None,
        actor: str | None = None,
        repeats: int = 0,
        notice: bool = True,
        opening: Mapping[str, Any] | None = None,
        skips: int = 0,
    ) -> None:
        """Enter ``step`` at a new level: its window starts, duty is looked up, actions queue."""
        level = flow.level_of(step)
        from_step = draft.ticket.step if draft.ticket else None
        on_duty, person = self._timing.on_duty(flow, level, at)
        start: datetime | None = at
        if (
            not on_duty
            and level.contact.off_duty == "skip"
            and level.next
            and skips < len(flow.levels)
        ):
            draft.add(
                kind,
                at,
                from_step=from_step,
                to_step=step,
                trigger=trigger,
                reason=reason,
                note=note,
                actor=actor,
                data={
                    **(opening or {}),
                    "level": level.id,
                    "deadline": None,
                    "warn_at": None,
                    "assignee": None,
                },
            )
            following = flow.level(level.next)
            self._enter(
                draft,
                flow,
                "skipped",
                at,
                following.entry,
                actor="timer",
                reason=f"nobody on duty at {level.name}",
                skips=skips + 1,
            )
            return
        if not on_duty:
            start = self._timing.next_on_duty(flow, level, at)
            person = self._timing.on_duty(flow, level, start)[1] if start else None
        priority = (opening or {}).get("priority") or (
            draft.ticket.priority if draft.ticket else ""
        )
        span = self._timing.span(flow, level, priority, start) if start else None
        data = {
            **(opening or {}),
            "level": level.id,
            "deadline": span.deadline if span else None,
            "warn_at": span.warn_at if span else None,
            "assignee": person,
            "repeats": repeats,
        }
        event = draft.add(
            kind,
            at,
            from_step=from_step,
            to_step=step,
            trigger=trigger,
            reason=reason,
            note=note,
            actor=actor,
            data=data,
        )
        if not on_duty:
            draft.add(
                "held",
                at,
                actor="timer",
                reason=f"nobody on duty at {level.name}",
                data={
                    "until": start,
                    "deadline": data["deadline"],
                    "warn_at": data["warn_at"],
                },
            )
        if reason is None and kind == "opened":  # what a level's '$reason' says at first
            reason = f"new ticket, priority {priority}"
        self._queue_responses(draft, flow, step, event, reason or "")
        if notice and kind not in ("opened", "repeated", "reopened"):
            key = (flow.digest, level.id, draft.current.priority)
            prepared = self._notices.get(key)
            if prepared is None:
                window = self._timing.window_text(flow, level, draft.current.priority).window
                prepared = self._notices[key] = Notice.of(flow, level, window)
            draft.actions.append(
                prepared.action(
                    draft.current, reason or "", f"{draft.ticket_id}:{event.seq}:notice", at
                )
            )

    def _queue_responses(
        self, draft: _Draft, flow: CompiledFlow, step: str, event: Event, reason: str
    ) -> None:
        ticket = draft.current
        key = (flow.digest, step, ticket.priority)
        prepared = self._responses.get(key)
        if prepared is None:
            level = flow.level_of(step)
            window = self._timing.window_text(flow, level, ticket.priority).window
            prepared = self._responses[key] = blueprints(flow, step, window)
        for i, blueprint in enumerate(prepared):
            draft.actions.append(
                blueprint.action(ticket, reason, f"{draft.ticket_id}:{event.seq}:{i}", event.at)
            )

    @staticmethod
    def _sla_outcome(ticket: Ticket, at: datetime) -> dict[str, Any]:
        due = ticket.resolution_due
        return {"within_sla": None if due is None else at <= due}
