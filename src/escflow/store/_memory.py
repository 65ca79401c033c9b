"""An in-memory store: the reference implementation of the protocol, used by unit tests
and by dry runs (``escflow simulate``). Nothing survives the process.

Threads may share it: one lock makes each call whole. Claims on the outbox are leases as
in the durable stores, timed by the process's monotonic clock.
"""

from __future__ import annotations

import functools
import heapq
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from escflow.errors import ConflictError, DuplicateTicket
from escflow.records import Action, Event, Status, Ticket
from escflow.store._protocol import Closing, KeyRecord, SlaFilter, StoreCounts, TicketQuery, Write

F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """The method called under the store's lock: each call is whole to other threads."""

    @functools.wraps(method)
    def locked(self: MemoryStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return cast(F, locked)


class MemoryStore(Closing):
    """Dictionaries and a heap of due instants; each ``append`` is all-or-nothing.

    ``lease`` is how long a claim by :meth:`pending_actions` keeps other claims away.
    """

    def __init__(self, *, lease: timedelta = timedelta(seconds=60)) -> None:
        self.lease = lease
        self._lock = threading.RLock()
        self._claims: dict[str, float] = {}  # action key -> until, by time.monotonic()
        self._versions: dict[str, tuple[str, str]] = {}
        self._tickets: dict[str, Ticket] = {}
        self._events: dict[str, list[Event]] = {}
        self._keys: dict[str, KeyRecord] = {}
        self._actions: dict[str, Action] = {}
        self._by_ticket: dict[str, list[str]] = {}
        self._due: list[tuple[datetime, str, int]] = []

    @_locked
    def save_version(self, digest: str, flow_id: str, source: str) -> None:
        """Keep a flow version's canonical text."""
        self._versions.setdefault(digest, (flow_id, source))

    @_locked
    def load_version(self, digest: str) -> str | None:
        """The canonical text of a flow version, or None."""
        found = self._versions.get(digest)
        return found[1] if found else None

    @_locked
    def get(self, ticket_id: str) -> Ticket | None:
        """The ticket row, or None."""
        return self._tickets.get(ticket_id)

    @_locked
    def get_many(self, ticket_ids: Sequence[str]) -> dict[str, Ticket]:
        """The rows of those tickets that exist, by id."""
        tickets = self._tickets
        return {i: tickets[i] for i in ticket_ids if i in tickets}

    @_locked
    def history(self, ticket_id: str, *, upto: int | None = None) -> list[Event]:
        """The ticket's events in order."""
        events = self._events.get(ticket_id, [])
        return list(events if upto is None else events[:upto])

    @_locked
    def append(self, writes: Sequence[Write]) -> None:
        """Check every write first, then apply them all."""
        seen_keys: set[str] = set()
        written: dict[str, Ticket] = {}  # a ticket written twice in a batch: its first write
        for write in writes:
            current = written.get(write.ticket.id) or self._tickets.get(write.ticket.id)
            if write.expected_version == 0 and current is not None:
                raise DuplicateTicket(f"a ticket with the id '{write.ticket.id}' exists already")
            if write.expected_version and (
                current is None or current.version != write.expected_version
            ):
                raise ConflictError(
                    f"ticket '{write.ticket.id}' changed since it was read (version"
                    f" {write.expected_version}, now {current.version if current else 'gone'});"
                    " read it again and retry"
                )
            written[write.ticket.id] = write.ticket
            for event in write.events:
                if event.key is not None and (event.key in self._keys or event.key in seen_keys):
                    raise ConflictError(f"the idempotency key '{event.key}' was used already")
                if event.key is not None:
                    seen_keys.add(event.key)
        for write in writes:
            ticket = write.ticket
            self._tickets[ticket.id] = ticket
            events = self._events.setdefault(ticket.id, [])
            events.extend(write.events)
            for event in write.events:
                if event.key is not None:
                    first, last = write.events[0].seq, write.events[-1].seq
                    self._keys[event.key] = KeyRecord(ticket.id, event.seq, last, first)
            for action in write.actions:
                self._actions[action.key] = action
                self._by_ticket.setdefault(ticket.id, []).append(action.key)
            if ticket.next_due is not None:
                heapq.heappush(self._due, (ticket.next_due, ticket.id, ticket.version))

    @_locked
    def find_key(self, key: str) -> KeyRecord | None:
        """Where an idempotency key was applied, or None."""
        return self._keys.get(key)

    def _current(self, entry: tuple[datetime, str, int]) -> Ticket | None:
        ticket = self._tickets.get(entry[1])
        if ticket is None or ticket.version != entry[2] or ticket.next_due != entry[0]:
            return None  # a stale heap entry: the ticket moved on since
        return ticket

    @_locked
    def due(self, now: datetime, limit: int) -> list[Ticket]:
        """Open tickets due at or before ``now``, soonest first."""
        found: list[Ticket] = []
        while self._due and self._due[0][0] <= now and len(found) < limit:
            entry = heapq.heappop(self._due)
            ticket = self._current(entry)
            if ticket is not None:
                found.append(ticket)
        for ticket in found:  # the caller may not act on them: keep them due until it does
            assert ticket.next_due is not None
            heapq.heappush(self._due, (ticket.next_due, ticket.id, ticket.version))
        return found

    @_locked
    def next_due(self) -> datetime | None:
        """The soonest deadline or warning of any open ticket."""
        while self._due and self._current(self._due[0]) is None:
            heapq.heappop(self._due)
        return self._due[0][0] if self._due else None

    @_locked
    def tickets(
        self,
        *,
        status: Status | None,
        flow: str | None,
        due_by: datetime | None,
        limit: int,
        sla: SlaFilter | None = None,
    ) -> list[Ticket]:
        """Tickets passing every filter given, soonest next deadline first (see the protocol)."""
        found = [
            t
            for t in self._tickets.values()
            if (status is None or t.status == status)
            and (flow is None or t.flow == flow)
            and (due_by is None or (t.next_due is not None and t.next_due <= due_by))
            and (sla is None or _passes(t, sla))
        ]
        return heapq.nsmallest(limit, found, key=_listed)

    @_locked
    def pending_actions(self, now: datetime, limit: int) -> list[Action]:
        """Undelivered actions whose next attempt is due and that no live claim holds,
        oldest first, claimed until a lease from now."""
        clock = time.monotonic()
        claims = self._claims
        pending = [
            a
            for a in self._actions.values()
            if a.status == "pending"
            and (a.next_attempt_at is None or a.next_attempt_at <= now)
            and claims.get(a.key, clock) <= clock
        ][: max(0, limit)]
        until = clock + self.lease.total_seconds()
        for action in pending:
            claims[action.key] = until
        return pending

    @_locked
    def renew_claims(self, keys: Sequence[str]) -> list[str]:
        """Extend the claims on these actions by a lease from now; the keys still held."""
        until = time.monotonic() + self.lease.total_seconds()
        held = [k for k in keys if k in self._claims and self._actions[k].status == "pending"]
        for key in held:
            self._claims[key] = until
        return held

    @_locked
    def release_claims(self, keys: Sequence[str]) -> None:
        """End the claims on these actions, undelivered."""
        for key in keys:
            self._claims.pop(key, None)

    @_locked
    def record_attempts(self, actions: Sequence[Action]) -> None:
        """Store the outcomes of delivery attempts, ending the claims on them."""
        for action in actions:
            self._actions[action.key] = replace(action)
            self._claims.pop(action.key, None)

    @_locked
    def actions(self, ticket_id: str) -> list[Action]:
        """Every action of a ticket, oldest first."""
        return [self._actions[k] for k in self._by_ticket.get(ticket_id, [])]

    # --- the operator's view (StoreAdmin); nothing here is ever unreadable ----------------

    def outbox(
        self,
        *,
        statuses: Collection[str],
        ticket_id: str | None = None,
        limit: int = 100,
    ) -> list[Action]:
        """Actions whose status is one of ``statuses``, oldest first."""
        keys = self._actions if ticket_id is None else self._by_ticket.get(ticket_id, [])
        found = (self._actions[k] for k in keys)
        return [a for a in found if a.status in statuses][: max(0, limit)]

    def requeue(self, keys: Sequence[str], now: datetime) -> list[str]:
        """Queue failed or quarantined actions again, due at ``now``."""
        done: list[str] = []
        for key in keys:
            action = self._actions.get(key)
            if action is not None and action.status in ("failed", "quarantined"):
                self._actions[key] = replace(
                    action, attempts=0, next_attempt_at=None, failed_at=None, quarantine=None
                )
                done.append(key)
        return done

    def discard(self, key: str, *, actor: str, note: str | None, now: datetime) -> bool:
        """Set an undelivered action aside for good."""
        action = self._actions.get(key)
        if action is None or action.status in ("delivered", "discarded"):
            return False
        self._actions[key] = replace(
            action, discarded_at=now, discarded_by=actor, discard_note=note
        )
        return True

    @_locked
    def counts(self) -> StoreCounts:
        """Open tickets by flow and level, the outbox's backlog and failures."""
        found = Counter((t.flow, t.level) for t in self._tickets.values() if t.status == "open")
        statuses = Counter(a.status for a in self._actions.values())
        return StoreCounts(dict(found), statuses["pending"], statuses["failed"])

    def flow_versions(self, flow_id: str) -> list[tuple[str, datetime | None]]:
        """The versions of a flow kept here, in the order they were saved (no time)."""
        return [(d, None) for d, (f, _) in list(self._versions.items()) if f == flow_id]

    @_locked
    def ticket_page(self, query: TicketQuery) -> list[Ticket]:
        """A page of tickets passing the query's filters (see the admin protocol): every
        ticket is looked at, which a store in memory can afford."""
        after = None
        if query.after is not None:
            due, last = query.after
            after = (due is None, _NONE if due is None else due, last)
        places = None if query.places is None else set(query.places)
        found = [
            t
            for t in self._tickets.values()
            if all(
                wanted is None or value == wanted
                for value, wanted in (
                    (t.status, query.status),
                    (t.flow, query.flow),
                    (t.priority, query.priority),
                    (t.level, query.level),
                )
            )
            and (places is None or (t.flow, t.level) in places)
            and (query.due_by is None or (t.next_due is not None and t.next_due <= query.due_by))
            and (after is None or _listed(t) > after)
        ]
        return heapq.nsmallest(query.limit, found, key=_listed)

    def quarantined_tickets(self, limit: int) -> list[tuple[str, str]]:
        """None: a ticket in memory can always be read."""
        return []

    def release(self, ticket: Ticket) -> bool:
        """False: a ticket in memory is never quarantined."""
        return False


_NONE = datetime.min.replace(tzinfo=UTC)  # stands for "no deadline": those sort by id alone


def _passes(ticket: Ticket, sla: SlaFilter) -> bool:
    """Whether the ticket passes an SLA filter (see :class:`SlaFilter`)."""
    due = ticket.breach_due
    unmissed = due is None or (sla.breached_by is not None and due > sla.breached_by)
    if sla.breached_by is not None and ticket.breached_at is None and unmissed:
        return False
    if sla.breaching is not None:
        after, until = sla.breaching
        if due is None or not after < due <= until:
            return False
    return True


def _listed(ticket: Ticket) -> tuple[bool, datetime, str]:
    """Soonest next deadline or warning first, tickets without one last, ties by id."""
    due = ticket.next_due
    return (due is None, _NONE if due is None else due, ticket.id)
