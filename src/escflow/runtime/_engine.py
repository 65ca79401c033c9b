"""The engine: tickets move through compiled flows by trigger and by timer.

Every call works the same way: read the ticket, catch up any deadline that passed
before ``now`` (so a late call sees the ticket where the flow has already taken it),
check that the ticket is where the caller meant (``from_step``, ``if_version``), decide
what happens, append the events, the new row and the queued actions in one store
transaction, and return the :class:`Change`.

Every argument after the ticket id (and the trigger, or the evidence) is keyword-only,
and means the same in every call: ``actor`` who does it, ``note`` for the history,
``reason`` what the customer is told, ``key`` the idempotency key, ``at`` when it happened,
``from_step`` / ``if_version`` the state the call was meant for.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from escflow.compile import CompiledFlow, Matrix, compile_source
from escflow.errors import (
    ConflictError,
    DuplicateTicket,
    InputError,
    KeyReused,
    RuntimeFlowError,
    StaleTicket,
    StateError,
    TicketClosed,
    TimeError,
    UnknownName,
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
    held_until,
    last_pause,
    replay,
)
from escflow.runtime._actions import Actions, attempt
from escflow.runtime._draft import Draft
from escflow.runtime._inputs import (
    check_actor,
    check_expected,
    check_id,
    check_key,
    check_limit,
    check_reason,
    checked_attrs,
)
from escflow.runtime._moves import Moves, must_be_open, sla_outcome
from escflow.runtime._timing import Remaining
from escflow.spec._load import did_you_mean
from escflow.store import MemoryStore, SlaFilter, Store, Write, check_text, need_text
from escflow.timing._clock import Clock, SystemClock, ensure_aware

EvidenceKind = Literal["email", "call", "document", "note"]
EVIDENCE: tuple[EvidenceKind, ...] = ("email", "call", "document", "note")
_ATTEMPTS = 3  # reads and re-applications of a call that meets a concurrent writer
log = logging.getLogger("escflow.engine")


# What an engine calls on its store: an object without one of them is refused up front
# (closing is its owner's business).
_STORE_METHODS = tuple(
    name
    for name in vars(Store)
    if not name.startswith("_") and name != "close" and callable(vars(Store)[name])
)


def _check_parts(store: object, clock: object) -> None:
    """Refuse, when the engine is made, a store or clock that would fail on first use."""
    if isinstance(store, str):
        raise InputError(
            f"store is the text {store!r}; open it first: escflow.store.open_store({store!r})"
        )
    missing = [name for name in _STORE_METHODS if not callable(getattr(store, name, None))]
    if missing:
        raise InputError(
            f"store {store!r} is not a store: it has no {', '.join(missing)} (give a MemoryStore,"
            " or open one with escflow.store.open_store(url))"
        )
    if not callable(getattr(clock, "now", None)):
        raise InputError(
            f"clock {clock!r} has no now() method (give a SystemClock or a ManualClock)"
        )


@dataclass(frozen=True, slots=True)
class _Call:
    """What a command was asked: who, its idempotency key, when, the state it was meant for.

    ``pin``: the call is about the step it first reads (a trigger, an acknowledgement);
    when another writer moves the ticket to another step before it is written, it is
    refused rather than applied there.
    """

    verb: str
    actor: str
    key: str | None
    at: datetime | None
    from_step: str | None
    if_version: int | None
    same: Callable[[Event], bool]
    pin: bool = False


def _call_of(
    verb: str,
    kinds: tuple[EventKind, ...],
    *,
    actor: str,
    key: str | None,
    at: datetime | None,
    from_step: str | None,
    if_version: int | None,
    pin: bool = False,
    **fields: object,
) -> _Call:
    """A call, checked, with the test that a repeated key repeats it: the first event of
    the keyed call is one of ``kinds`` by ``actor`` with these event ``fields``."""
    check_actor(actor)
    check_key(key)
    check_expected(from_step, if_version)

    def same(event: Event) -> bool:
        return (
            event.kind in kinds
            and event.actor == actor
            and all(getattr(event, name) == value for name, value in fields.items())
        )

    return _Call(verb, actor, key, at, from_step, if_version, same, pin)


def _say_broken(matrix: Matrix) -> None:
    """Warn of each definitions file a partial matrix left out (every command of the
    command line shows it on standard error, the worker in its log; a service in its
    own): it is broken, and the flows it concerns take no new tickets."""
    for broken in matrix.broken:
        count = len(broken.problems)
        flows = ", ".join(f"'{f}'" for f in broken.flows) or "its flow (no id could be read)"
        log.warning(
            "%s has %d error%s: new tickets of %s are refused until it is fixed ('%s' lists"
            " them); their running tickets (on the version each started on) and the other"
            " flows go on",
            broken.file,
            count,
            "" if count == 1 else "s",
            flows,
            broken.again,
            extra={"file": broken.file, "errors": count, "flows": list(broken.flows)},
        )


def _described(event: Event) -> str:
    """An event as the call that made it, for messages:
    ``moved by 'asks-for-manager', actor ana, at 2026-11-23T09:00:00+00:00``."""
    how = f" by '{event.trigger}'" if event.trigger else ""
    return f"{event.kind}{how}, actor {event.actor}, at {event.at.isoformat()}"


class Engine:
    """Runs tickets through the flows of a matrix.

    ``store`` keeps tickets (default: in memory), ``clock`` tells the time (default: the
    system clock), ``actions`` delivers automated responses. Each call on one ticket
    returns a :class:`Change` (``tick`` and ``fire_many`` a list of them, one per ticket
    changed); each refused call raises a subclass of
    :class:`~escflow.errors.EscflowError` and changes nothing.

    Threads may share one engine: each call reads the ticket, decides and writes it in
    one store transaction checked by the ticket's version, and a call that lost a race
    with another thread's reads again (as with another process); what the engine keeps
    between calls (built machines, prepared responses) is made the same by any thread.
    """

    def __init__(
        self,
        matrix: Matrix,
        store: Store | None = None,
        *,
        clock: Clock | None = None,
        actions: Actions | None = None,
    ) -> None:
        self.matrix = matrix
        self.store: Store = store if store is not None else MemoryStore()
        self.clock: Clock = clock if clock is not None else SystemClock()
        _check_parts(self.store, self.clock)
        self.actions = actions if actions is not None else Actions()
        self.actions.check(matrix.flows.values())
        self._moves = Moves()
        self._flows: dict[str, CompiledFlow] = {f.digest: f for f in matrix.flows.values()}
        self._saved: set[str] = set()
        self._last: datetime | None = None
        self._reading = threading.Lock()
        _say_broken(matrix)

    # --- reading -------------------------------------------------------------------

    def get(self, ticket_id: str) -> Ticket:
        """The ticket as it is stored now."""
        need_text(ticket_id=ticket_id)
        ticket = self.store.get(ticket_id)
        if ticket is None:
            raise UnknownTicket(f"no ticket '{ticket_id}'", ticket_id=ticket_id)
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
        breached: bool = False,
        breaching_within: timedelta | None = None,
    ) -> list[Ticket]:
        """Up to ``limit`` tickets that pass every filter given, the soonest next deadline or
        warning first, those without one after them (by id).

        ``status`` is open, paused or resolved; ``flow`` a flow id; ``due_by`` keeps the
        tickets whose deadline or warning falls at or before it: ``due_by=clock.now()``
        lists the overdue ones, which a running worker would have moved already.
        ``breached`` keeps the tickets that missed an SLA target (by the clock's time: a
        breach a worker has not recorded yet counts); ``breaching_within`` those that will
        miss one within that time from now unless it is met first (a paused ticket's
        targets wait with it: it is not among them).
        """
        check_limit(limit)
        if status is not None and status not in STATUSES:
            raise UnknownName(
                f"'{status}' is not a ticket status (use one of: {', '.join(STATUSES)})"
                f"{did_you_mean(str(status), STATUSES)}"
            )
        check_text(flow=flow)
        instant = ensure_aware(due_by, "due_by") if due_by is not None else None
        sla = self._sla_filter(breached, breaching_within)
        found = self.store.tickets(status=status, flow=flow, due_by=instant, limit=limit, sla=sla)
        known = flow in self.matrix.flows or bool(self.matrix.broken_for(flow or ""))
        if flow is not None and not found and not known:
            raise UnknownName(
                f"no flow '{flow}' in the matrix and no ticket of it in the store (flows:"
                f" {', '.join(sorted(self.matrix.flows))}){did_you_mean(flow, self.matrix.flows)}"
            )
        return found

    def _sla_filter(self, breached: bool, within: timedelta | None) -> SlaFilter | None:
        """The store's SLA filter for ``tickets``, timed by the clock; None without one."""
        if not isinstance(breached, bool):
            raise InputError(f"breached is {breached!r}; give True or False")
        if within is not None and (not isinstance(within, timedelta) or within <= timedelta(0)):
            raise InputError(
                f"breaching_within is {within!r}; give a positive timedelta, e.g."
                " timedelta(minutes=30)"
            )
        if not breached and within is None:
            return None
        now = self._instant(None)
        return SlaFilter(
            breached_by=now if breached else None,
            breaching=(now, now + within) if within is not None else None,
        )

    def flow_of(self, ticket: Ticket) -> CompiledFlow:
        """The flow version the ticket is pinned to (rebuilt from the store if it changed)."""
        flow = self._flows.get(ticket.digest)
        if flow is None:
            source = self.store.load_version(ticket.digest)
            if source is None:
                raise RuntimeFlowError(
                    f"ticket '{ticket.id}' runs flow version {ticket.digest[:12]}, which the"
                    " store does not hold",
                    ticket_id=ticket.id,
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
        draft = Draft(ticket, ticket.id, "timer", None)
        if now > ticket.updated_at:  # a ticket stored ahead of the clock has nothing passed
            self._moves.catch_up(draft, self.flow_of(ticket), now)
        return Change(draft.current, tuple(draft.events), tuple(draft.actions))

    def state_at(self, ticket_id: str, at: datetime) -> Change:
        """The ticket as it stood at ``at``, rebuilt from its events up to that instant,
        with the warnings and deadlines its flow had reached by then applied (as
        :meth:`preview` shows a ticket now): what ``preview`` said at that instant.
        ``events`` are the timer events no call had stored by then.

        Raises :class:`~escflow.errors.TimeError` when the ticket was opened after ``at``.
        """
        instant = ensure_aware(at, "at")
        events = self.history(ticket_id)
        before = [e for e in events if e.at <= instant]  # a ticket's events keep time order
        if not before:
            raise TimeError(
                f"ticket '{ticket_id}' was opened at {events[0].at.isoformat()}, after"
                f" {instant.isoformat()}: give an instant from then on",
                ticket_id=ticket_id,
            )
        ticket = replay(before)
        draft = Draft(ticket, ticket.id, "timer", None)
        if instant > ticket.updated_at:
            self._moves.catch_up(draft, self.flow_of(ticket), instant)
        return Change(draft.current, tuple(draft.events), tuple(draft.actions))

    def valid_triggers(self, ticket_id: str, *, at: datetime | None = None) -> list[str]:
        """The triggers a person can fire from the ticket's step now (or ``at``), as
        ``fire`` sees the ticket: where its flow has taken it, deadlines that passed
        included."""
        return self.triggers_of(self.preview(ticket_id, at=at).ticket)

    def triggers_of(self, ticket: Ticket) -> list[str]:
        """The triggers a person can fire from ``ticket`` as given (a preview's, say); none
        while it is resolved or paused, as ``fire`` refuses them then. A step's automatic
        trigger is the timer's and is not among them."""
        if ticket.status != "open":
            return []
        return list(self._moves.machine(self.flow_of(ticket)).manual_from(ticket.step))

    # --- commands ------------------------------------------------------------------

    def open(
        self,
        category: str,
        *,
        priority: str | None = None,
        ticket_id: str | None = None,
        attrs: Attrs | None = None,
        actor: str = "system",
        note: str | None = None,
        reason: str | None = None,
        key: str | None = None,
        at: datetime | None = None,
    ) -> Change:
        """Open a ticket of ``category`` (a flow id) at the entry step of its priority.

        ``reason`` is what the entry level's messages say as ``$reason`` (default: "new
        ticket, priority P"); without ``ticket_id`` one is made (``T-`` and 12 hex digits).
        """
        need_text(category=category)
        check_text(priority=priority, ticket_id=ticket_id, note=note)
        check_reason(reason)
        flow = self.matrix.flow(category)
        if priority is None:
            chosen = flow.default_priority or next(iter(flow.priorities), None) or ""
        else:
            chosen = priority
        if flow.priorities and chosen not in flow.priorities:
            raise UnknownName(
                f"unknown priority '{chosen}'{did_you_mean(chosen, flow.priorities)}"
                f" (priorities: {', '.join(flow.priorities)}; leave it out for the default)"
            )
        checked = checked_attrs(attrs)
        if ticket_id is not None:
            check_id(ticket_id)
        call = _call_of(
            "open",
            ("opened",),
            actor=actor,
            key=key,
            at=at,
            from_step=None,
            if_version=None,
            note=note,
            reason=reason,
        )

        def same(event: Event) -> bool:
            data = event.data
            return (
                call.same(event)
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
            return self._open(flow, chosen, checked, made, call, note, reason)
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
        call: _Call,
        note: str | None,
        reason: str | None,
    ) -> Change:
        now = self._now(call.at)
        if self.store.get(ticket_id) is not None:
            raise DuplicateTicket(
                f"a ticket with the id '{ticket_id}' exists already", ticket_id=ticket_id
            )
        if flow.digest not in self._saved:
            self.store.save_version(flow.digest, flow.id, flow.source)
            self._saved.add(flow.digest)
        sla = self._moves.timing.sla(flow, chosen, now)
        draft = Draft(None, ticket_id, call.actor, call.key)
        self._moves.enter(
            draft,
            flow,
            "opened",
            now,
            flow.entry(chosen or None),
            reason=reason,
            note=note,
            opening={
                "flow": flow.id,
                "digest": flow.digest,
                "priority": chosen,
                "attrs": checked,
                "first_response_due": sla.warn_at,
                "resolution_due": sla.deadline,
                **self._moves.timing.sla_timers(flow, chosen, now),
            },
        )
        return self._commit(draft)

    def fire(
        self,
        ticket_id: str,
        trigger: str,
        *,
        actor: str = "system",
        note: str | None = None,
        reason: str | None = None,
        key: str | None = None,
        at: datetime | None = None,
        from_step: str | None = None,
        if_version: int | None = None,
    ) -> Change:
        """Fire a trigger of the ticket's step: hierarchical, functional, loop or resolution.

        A trigger that goes "up one level", fired without ``from_step`` just after a timer
        escalated the ticket (nobody has acted on it since) from a step where the same
        trigger applies, is refused with :class:`~escflow.errors.StaleTicket`: the press
        was most likely meant for the step the timer left, and would move the ticket two
        levels. Give ``from_step`` (the step the caller saw) to fire it where it is now.
        """
        need_text(trigger=trigger)
        check_text(note=note)
        check_reason(reason)
        call = _call_of(
            "fire",
            ("moved", "resolved"),
            actor=actor,
            key=key,
            at=at,
            from_step=from_step,
            if_version=if_version,
            pin=True,
            trigger=trigger,
            note=note,
            # Without a reason of its own, the event says the trigger's: compared when given.
            **({} if reason is None else {"reason": reason}),
        )

        def change(draft: Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = must_be_open(draft.current)
            edge = self._moves.edge(flow, ticket, trigger)
            if from_step is None and edge.kind == "hierarchical":
                self._refuse_after_timer(flow, ticket, trigger)
            self._moves.fire(draft, flow, now, edge, reason=reason, note=note)

        return self._run(ticket_id, call, change)

    def acknowledge(
        self,
        ticket_id: str,
        *,
        actor: str = "system",
        note: str | None = None,
        reason: str | None = None,
        key: str | None = None,
        at: datetime | None = None,
        from_step: str | None = None,
        if_version: int | None = None,
    ) -> Change:
        """Someone at the ticket's level took it: no warning follows; the first one is the
        first response of the SLA."""
        check_text(note=note)
        check_reason(reason)
        call = _call_of(
            "ack",
            ("acknowledged",),
            actor=actor,
            key=key,
            at=at,
            from_step=from_step,
            if_version=if_version,
            pin=True,
            note=note,
            reason=reason,
        )

        def change(draft: Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = draft.current
            if ticket.status == "resolved":
                raise TicketClosed(
                    f"ticket '{ticket_id}' is resolved; reopen it first", ticket_id=ticket_id
                )
            first = ticket.first_response_at is None
            due = ticket.first_response_due
            within = None if not first or due is None else now <= due
            draft.add(
                "acknowledged",
                now,
                note=note,
                reason=reason,
                data={"first": first, "within_sla": within},
            )

        return self._run(ticket_id, call, change)

    def pause(
        self,
        ticket_id: str,
        *,
        actor: str = "system",
        note: str | None = None,
        reason: str | None = None,
        key: str | None = None,
        at: datetime | None = None,
        from_step: str | None = None,
        if_version: int | None = None,
    ) -> Change:
        """Wait on the customer: the level's window and the resolution target stop."""
        check_text(note=note)
        check_reason(reason)
        call = _call_of(
            "pause",
            ("paused",),
            actor=actor,
            key=key,
            at=at,
            from_step=from_step,
            if_version=if_version,
            note=note,
            reason=reason,
        )

        def change(draft: Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = must_be_open(draft.current)
            level = flow.level(ticket.level)
            held = None
            if self._moves.timing.rotation(flow, level.contact_id) is not None:
                # Only a level with shifts holds. The catch-up may have entered it in this
                # very call: its events count too.
                held = held_until([*self.store.history(ticket_id), *draft.events])
            left = self._moves.timing.remaining(
                flow,
                level,
                ticket.priority,
                now,
                (ticket.deadline, ticket.warn_at, ticket.resolution_due),
                held,
            )
            draft.add(
                "paused",
                now,
                reason=reason,
                note=note,
                data={
                    "remaining_deadline": left.deadline,
                    "remaining_warn": left.warn,
                    "remaining_resolution": left.resolution,
                    "business": left.business,
                    "calendar": left.calendar,
                    "resolution_calendar": left.resolution_calendar,
                    "held_until": left.held_until,
                    "sla_left": self._moves.timing.sla_left(flow, ticket, now),
                },
            )

        return self._run(ticket_id, call, change)

    def resume(
        self,
        ticket_id: str,
        *,
        actor: str = "system",
        note: str | None = None,
        reason: str | None = None,
        key: str | None = None,
        at: datetime | None = None,
        from_step: str | None = None,
        if_version: int | None = None,
    ) -> Change:
        """The customer answered: the clocks run again with the time they had left."""
        check_text(note=note)
        check_reason(reason)
        call = _call_of(
            "resume",
            ("resumed",),
            actor=actor,
            key=key,
            at=at,
            from_step=from_step,
            if_version=if_version,
            note=note,
            reason=reason,
        )

        def change(draft: Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = draft.current
            if ticket.status != "paused":
                raise StateError(
                    f"ticket '{ticket_id}' is {ticket.status}, not paused",
                    ticket_id=ticket_id,
                    step=ticket.step,
                )
            paused = last_pause(self.store.history(ticket_id))
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
                _instant_of(data.get("held_until")),
            )
            deadline, warn, resolution = self._moves.timing.resume(flow, left, now)
            draft.add(
                "resumed",
                now,
                note=note,
                reason=reason,
                data={
                    "deadline": deadline,
                    "warn_at": warn,
                    "resolution_due": resolution,
                    "paused_for": (now - paused.at).total_seconds(),
                    # A pause recorded before the SLA had timers leaves them to apply().
                    **(
                        self._moves.timing.sla_again(flow, data["sla_left"], now)
                        if "sla_left" in data
                        else {}
                    ),
                },
            )
            self._moves.catch_up(draft, flow, now)

        return self._run(ticket_id, call, change)

    def resolve(
        self,
        ticket_id: str,
        *,
        actor: str = "system",
        note: str | None = None,
        reason: str | None = None,
        key: str | None = None,
        at: datetime | None = None,
        from_step: str | None = None,
        if_version: int | None = None,
    ) -> Change:
        """Resolve the ticket, through its step's resolution trigger when it has one."""
        check_text(note=note)
        check_reason(reason)
        call = _call_of(
            "resolve",
            ("resolved",),
            actor=actor,
            key=key,
            at=at,
            from_step=from_step,
            if_version=if_version,
            note=note,
        )

        def change(draft: Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = draft.current
            if ticket.status == "resolved":
                raise TicketClosed(f"ticket '{ticket_id}' is resolved already", ticket_id=ticket_id)
            edge = next((t for t in flow.steps[ticket.step].triggers if t.resolves), None)
            draft.add(
                "resolved",
                now,
                from_step=ticket.step,
                trigger=edge.id if edge else None,
                reason=reason or (edge.label if edge else None),
                note=note,
                data=sla_outcome(draft.current, now),
            )

        return self._run(ticket_id, call, change)

    def reopen(
        self,
        ticket_id: str,
        *,
        actor: str = "system",
        note: str | None = None,
        reason: str | None = None,
        key: str | None = None,
        at: datetime | None = None,
        from_step: str | None = None,
        if_version: int | None = None,
    ) -> Change:
        """Reopen a resolved ticket at the step where it was resolved, with a fresh window."""
        check_text(note=note)
        check_reason(reason)
        call = _call_of(
            "reopen",
            ("reopened",),
            actor=actor,
            key=key,
            at=at,
            from_step=from_step,
            if_version=if_version,
            note=note,
            reason=reason,
        )

        def change(draft: Draft, flow: CompiledFlow, now: datetime) -> None:
            ticket = draft.current
            if ticket.status != "resolved":
                raise StateError(
                    f"ticket '{ticket_id}' is {ticket.status}; only a resolved ticket can be"
                    " reopened",
                    ticket_id=ticket_id,
                    step=ticket.step,
                )
            self._moves.enter(
                draft, flow, "reopened", now, ticket.step, reason=reason, note=note, notice=False
            )

        return self._run(ticket_id, call, change)

    def attach(
        self,
        ticket_id: str,
        kind: EvidenceKind,
        summary: str,
        *,
        actor: str = "system",
        ref: str | None = None,
        occurred_at: datetime | None = None,
        key: str | None = None,
        at: datetime | None = None,
        from_step: str | None = None,
        if_version: int | None = None,
    ) -> Change:
        """Record evidence: an email, a call (with when it happened), a document, a note."""
        if kind not in EVIDENCE:
            raise InputError(
                f"'{kind}' is not a kind of evidence; use one of: {', '.join(EVIDENCE)}"
            )
        need_text(summary=summary)
        if not summary.strip():
            raise InputError("evidence needs a summary: what the email, call or note says")
        check_text(ref=ref)
        occurred = ensure_aware(occurred_at, "occurred_at") if occurred_at else None
        data = {"kind": kind, "ref": ref, "occurred_at": occurred}
        call = _call_of(
            "attach",
            ("attached",),
            actor=actor,
            key=key,
            at=at,
            from_step=from_step,
            if_version=if_version,
            note=summary,
            data=data,
        )

        def change(draft: Draft, flow: CompiledFlow, now: datetime) -> None:
            draft.add("attached", now, note=summary, data=data)

        return self._run(ticket_id, call, change)

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
        drafts: list[Draft] = []
        for ticket in self.store.due(instant, limit):
            draft = Draft(ticket, ticket.id, "timer", None)
            # A ticket with more due than one catch-up applies keeps the rest for the next
            # tick, which finds it due still.
            self._moves.catch_up(draft, self.flow_of(ticket), instant, partial=True)
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
        *,
        actor: str = "system",
        at: datetime | None = None,
    ) -> list[Change]:
        """Fire ``(ticket_id, trigger)`` pairs in one transaction: all apply, or none.

        For services that receive events in bursts: the tickets are read together and
        written in one commit, instead of a read and a commit per event.
        A ticket may appear more than once; its calls apply in order, and its one
        :class:`Change` (in the order the tickets first appear) holds all their events.
        Each call is refused as :meth:`fire` would refuse it without ``from_step``.
        """
        check_actor(actor)
        if isinstance(calls, str | bytes) or not isinstance(calls, Iterable):
            raise InputError(f"calls is {calls!r}; give a list of (ticket_id, trigger) pairs")
        pairs = list(calls)  # read once: an iterator is checked and applied alike
        for call in pairs:
            if not isinstance(call, tuple | list) or len(call) != 2:
                raise InputError(f"each call is a (ticket_id, trigger) pair; got {call!r}")
            need_text(ticket_id=call[0], trigger=call[1])
        now = self._now(at)
        found = self.store.get_many([ticket_id for ticket_id, _ in pairs])
        drafts: dict[str, Draft] = {}
        for ticket_id, trigger in pairs:
            draft = drafts.get(ticket_id)
            if draft is None:
                ticket = found.get(ticket_id)
                if ticket is None:
                    raise UnknownTicket(f"no ticket '{ticket_id}'", ticket_id=ticket_id)
                draft, flow = self._draft(ticket, actor, None, now)
                drafts[ticket_id] = draft
            else:
                flow = self.flow_of(draft.current)
            ticket = must_be_open(draft.current)
            edge = self._moves.edge(flow, ticket, trigger)
            if edge.kind == "hierarchical":
                self._refuse_after_timer(flow, ticket, trigger)
            self._moves.fire(draft, flow, now, edge)
        return self._commit_all(list(drafts.values()))

    def deliver(self, now: datetime | None = None, *, limit: int = 100) -> list[Action]:
        """Deliver queued actions that are due, one after the other; failures are retried
        with backoff. (:class:`~escflow.runtime.Worker` delivers several at a time.)

        The outcomes are recorded together, in one commit after the batch (delivery is at
        least once: an action whose outcome a crash lost is delivered again, same key).
        Interrupted, it records what it tried and gives back the claims on the rest.
        """
        check_limit(limit)
        instant = self._now(now, "now")
        claimed = self.store.pending_actions(instant, limit)
        done: list[Action] = []
        try:
            for action in claimed:
                done.append(attempt(action, self.actions, instant))
        finally:
            self.store.record_attempts(done)
            if len(done) < len(claimed):
                self.store.release_claims([a.key for a in claimed[len(done) :]])
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
        with self._reading:  # read and compared as one: threads share the engine
            now = ensure_aware(self.clock.now(), "now")
            if self._last is not None and now < self._last:
                raise TimeError(
                    f"the clock went backwards: it says {now.isoformat()}, after saying"
                    f" {self._last.isoformat()}; give the engine a clock that only moves"
                    " forward"
                )
            self._last = now
        return now

    def _draft(
        self, ticket: Ticket, actor: str, key: str | None, now: datetime
    ) -> tuple[Draft, CompiledFlow]:
        """A call's draft on ``ticket`` as read, caught up to ``now``."""
        if now < ticket.updated_at:
            raise TimeError(
                f"ticket '{ticket.id}' last changed at {ticket.updated_at.isoformat()}; an event"
                f" at {now.isoformat()} would go back in time",
                ticket_id=ticket.id,
            )
        flow = self.flow_of(ticket)
        draft = Draft(ticket, ticket.id, actor, key)
        self._moves.catch_up(draft, flow, now)
        return draft, flow

    def _run(
        self,
        ticket_id: str,
        call: _Call,
        change: Callable[[Draft, CompiledFlow, datetime], None],
    ) -> Change:
        """Apply one call to the ticket as it is now; when another writer got there first,
        read it again and apply the call anew (the earlier result, if that writer was a
        retry of this very call: ``call.same`` tells whether a keyed event was made by it).

        A refused keyed call looks for its key once more before it says why: a retry that
        races its original finds the ticket already changed by it, and answers with that.
        """
        pinned: str | None = None
        for _ in range(_ATTEMPTS):
            replayed = self._replayed(call.key, ticket_id, call.same)
            if replayed is not None:
                return replayed
            try:
                ticket = self.get(ticket_id)
                now = self._now(call.at)
                draft, flow = self._draft(ticket, call.actor, call.key, now)
                self._expect(draft.current, call, pinned)
                if call.pin and pinned is None:
                    pinned = draft.current.step
                change(draft, flow, now)
            except RuntimeFlowError:
                replayed = self._replayed(call.key, ticket_id, call.same)
                if replayed is not None:
                    return replayed
                raise
            try:
                return self._commit(draft)
            except ConflictError:
                continue
        raise ConflictError(
            f"ticket '{ticket_id}' was changed by other writers {_ATTEMPTS} times while this"
            " call was applied; try again"
        )

    @staticmethod
    def _expect(ticket: Ticket, call: _Call, pinned: str | None) -> None:
        """Refuse a call made for another state of the ticket than the one it is in."""
        moved = None
        if call.from_step is not None and ticket.step != call.from_step:
            moved = f"is at step '{ticket.step}', not '{call.from_step}' as the call says"
        elif call.if_version is not None and ticket.version != call.if_version:
            moved = f"is at version {ticket.version}, not {call.if_version} as the call says"
        elif pinned is not None and ticket.step != pinned:
            moved = f"moved from '{pinned}' to '{ticket.step}' while the call was applied"
        if moved is not None:
            raise StaleTicket(
                f"ticket '{ticket.id}' {moved} (it moved since the caller looked); read it"
                f" again and decide: {call.verb} was not applied",
                ticket_id=ticket.id,
                step=ticket.step,
            )

    def _refuse_after_timer(self, flow: CompiledFlow, ticket: Ticket, trigger: str) -> None:
        """Refuse an unguarded "up one level" just after a timer moved the ticket up from a
        step where the same trigger applies (see :meth:`fire`)."""
        left = ticket.timer_left
        if left is None or trigger not in self._moves.machine(flow).manual_from(left):
            return
        raise StaleTicket(
            f"ticket '{ticket.id}': the timer moved it from '{left}' to '{ticket.step}' and"
            f" nobody has acted on it since; '{trigger}' pressed for '{left}' would move it"
            f" again. To fire '{trigger}' at '{ticket.step}', say so: from_step="
            f"'{ticket.step}' (--from-step {ticket.step})",
            ticket_id=ticket.id,
            step=ticket.step,
            valid_triggers=self._moves.machine(flow).manual_from(ticket.step),
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
            raise KeyReused(
                f"the idempotency key '{key}' was used for ticket '{record.ticket_id}'; a new"
                " call needs a new key",
                ticket_id=ticket_id,
            )
        events = self.store.history(record.ticket_id, upto=record.last_seq)
        own = [e for e in events if e.seq >= record.first_seq]  # from the keyed event on
        if not own or not same(own[0]):
            raise KeyReused(
                f"the idempotency key '{key}' was used on ticket '{ticket_id}' for another call"
                f" ({_described(own[0]) if own else 'unknown'}); a new call needs a new key",
                ticket_id=ticket_id,
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

    def _commit(self, draft: Draft) -> Change:
        return self._commit_all([draft])[0]

    def _commit_all(self, drafts: list[Draft]) -> list[Change]:
        self.store.append([Write(d.current, d.events, d.actions, d.expected) for d in drafts])
        return [Change(d.current, tuple(d.events), tuple(d.actions)) for d in drafts]


def _instant_of(value: object) -> datetime | None:
    """An instant of event data: a datetime, or ISO text once stored and read back."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
