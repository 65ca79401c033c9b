"""What the engine needs from a store. Memory, SQLite and PostgreSQL stores all provide it.

A store keeps flow versions, ticket rows, their append-only events and the outbox. Each
:meth:`Store.append` is one transaction: the events, the new ticket row (checked
against the version the caller read) and the queued actions land together or not at all.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from escflow.records import Action, Event, Status, Ticket


@dataclass(frozen=True, slots=True)
class Write:
    """One ticket's share of a transaction: the row after, its new events and actions.

    ``expected_version`` is the version the writer read (0 for a new ticket); the store
    refuses the whole transaction when the row has moved on since.
    """

    ticket: Ticket
    events: Sequence[Event]
    actions: Sequence[Action]
    expected_version: int


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """Where an idempotency key was applied: a ticket and the events of that call.

    The call wrote the ticket's events ``call_first_seq`` to ``last_seq``: first the timer
    events it caught up on (they carry no key), then its own, the first of which
    (``first_seq``) carries the key. ``call_first_seq`` is None for a key stored before
    schema 5, which did not keep it: the call is then taken to begin at ``first_seq``.
    """

    ticket_id: str
    first_seq: int
    last_seq: int
    call_first_seq: int | None = None


@dataclass(frozen=True, slots=True)
class SlaFilter:
    """Tickets by their SLA: with ``breached_by``, those that missed a target by then (a
    breach recorded, or one pending that was due by then); with ``breaching``, an
    ``(after, until)`` pair, those whose next pending breach falls after the first and at
    or before the second. Both given: tickets that pass both."""

    breached_by: datetime | None = None
    breaching: tuple[datetime, datetime] | None = None


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """What a monitor reads: open tickets by ``(flow, level)``, actions waiting in the
    outbox (``backlog``) and those that failed for good (``failed``)."""

    open: dict[tuple[str, str], int]
    backlog: int
    failed: int


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """Which tickets a page lists (:meth:`StoreAdmin.ticket_page`): every filter given.

    ``status``, ``flow``, ``priority`` and ``level`` are equal to the ticket's;
    ``places`` keeps the tickets at one of these ``(flow, level)`` pairs (the levels a
    contact point holds; empty: none); ``due_by`` those whose next deadline or warning is
    at or before it. ``after`` is where the page before ended: the ``(next_due, id)`` of
    its last ticket, so that the next page starts right after it (keyset paging: what a
    page costs does not grow with the pages before it).
    """

    status: Status | None = None
    flow: str | None = None
    priority: str | None = None
    level: str | None = None
    places: tuple[tuple[str, str], ...] | None = None
    due_by: datetime | None = None
    after: tuple[datetime | None, str] | None = None
    limit: int = 50


class Store(Protocol):
    """Durable (or in-memory) home of flow versions, tickets, events and the outbox.

    A store is a context manager: ``with open_store(url) as store: ...`` closes it at the
    end of the block, as :meth:`close` does. A store may be shared by threads: each call
    is whole (a transaction, or a read) to the others. ``lease`` is how long a claim of
    :meth:`pending_actions` holds its actions.
    """

    lease: timedelta

    def close(self) -> None:
        """Release the store's connection; closing twice is harmless."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...

    def save_version(self, digest: str, flow_id: str, source: str) -> None:
        """Keep a flow version's canonical text; saving a known digest again is a no-op."""
        ...

    def load_version(self, digest: str) -> str | None:
        """The canonical text of a flow version, or None."""
        ...

    def get(self, ticket_id: str) -> Ticket | None:
        """The ticket row, or None."""
        ...

    def get_many(self, ticket_ids: Sequence[str]) -> dict[str, Ticket]:
        """The rows of those tickets that exist, by id, read together (a batch of calls
        reads its tickets in one go, not one statement or round trip each)."""
        ...

    def history(self, ticket_id: str, *, upto: int | None = None) -> list[Event]:
        """The ticket's events in order (up to ``seq == upto`` when given)."""
        ...

    def append(self, writes: Sequence[Write]) -> None:
        """Apply every write in one transaction, in order (a ticket written twice expects,
        the second time, the version its first write made).

        Raises :class:`~escflow.errors.DuplicateTicket` when a new ticket's id exists,
        :class:`~escflow.errors.ConflictError` when a row is not at its expected version
        or an idempotency key was used already; nothing is written then.
        """
        ...

    def find_key(self, key: str) -> KeyRecord | None:
        """Where an idempotency key was applied, or None."""
        ...

    def due(self, now: datetime, limit: int) -> list[Ticket]:
        """Open tickets whose next deadline or warning is at or before ``now``, soonest first."""
        ...

    def next_due(self) -> datetime | None:
        """The soonest deadline or warning of any open ticket."""
        ...

    def tickets(
        self,
        *,
        status: Status | None,
        flow: str | None,
        due_by: datetime | None,
        limit: int,
        sla: SlaFilter | None = None,
    ) -> list[Ticket]:
        """Up to ``limit`` tickets that pass every filter given (``status``; ``flow``, a flow
        id; ``due_by``: a deadline or warning at or before that instant; ``sla``, see
        :class:`SlaFilter`), the soonest next deadline or warning first, tickets without one
        after them, ties by id."""
        ...

    def pending_actions(self, now: datetime, limit: int) -> list[Action]:
        """Undelivered actions whose next attempt is due, oldest first, claimed for the caller.

        No other claim gets them (another process's, or another thread's on this store)
        until :meth:`record_attempts` records them, :meth:`release_claims` gives them
        back, or the claim's ``lease`` passes without :meth:`renew_claims`.
        """
        ...

    def renew_claims(self, keys: Sequence[str]) -> list[str]:
        """Extend this store's claims on the actions with these keys by a ``lease`` from
        now (a worker still delivering them); returns the keys it still held."""
        ...

    def release_claims(self, keys: Sequence[str]) -> None:
        """End this store's claims on these actions without an attempt recorded (a worker
        that stops gives back what it did not send): the next claim may take them."""
        ...

    def record_attempts(self, actions: Sequence[Action]) -> None:
        """Store the outcomes of delivery attempts (each action with its new counters), in
        one transaction, ending the claims on them."""
        ...

    def actions(self, ticket_id: str) -> list[Action]:
        """Every action of a ticket, oldest first, with its delivery status."""
        ...


class Closing:
    """What every store shares: the context-manager protocol, on top of its ``close``."""

    def close(self) -> None:
        """Release what the store holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class StoreAdmin(Protocol):
    """What an operator's commands need beyond the engine's protocol: the outbox across
    tickets, and putting back or setting aside what a worker could not do.

    The memory, SQLite and PostgreSQL stores provide it; the engine does not need it.
    """

    def outbox(
        self,
        *,
        statuses: Collection[str],
        ticket_id: str | None = None,
        limit: int = 100,
    ) -> list[Action]:
        """Up to ``limit`` actions (of every ticket, or of ``ticket_id``) whose stored
        status is one of ``statuses``, oldest first. A row that cannot be read comes with
        its ``damage`` and an empty payload."""
        ...

    def requeue(self, keys: Sequence[str], now: datetime) -> list[str]:
        """Queue again, under their keys, those of ``keys`` that failed or were
        quarantined (not delivered, not discarded): due at ``now``, with a fresh count of
        attempts, their last error kept until the next attempt. Returns the keys queued."""
        ...

    def discard(self, key: str, *, actor: str, note: str | None, now: datetime) -> bool:
        """Set an undelivered action aside for good, recording who, when and why; the row
        stays. False when it is delivered or discarded already, or a worker holds it."""
        ...

    def counts(self) -> StoreCounts:
        """Open tickets by flow and level, and the outbox's backlog and failures (two
        reads: a monitor's figures, not a snapshot)."""
        ...

    def flow_versions(self, flow_id: str) -> list[tuple[str, datetime | None]]:
        """The versions of a flow the store holds, as ``(digest, saved at)``, oldest first
        (a memory store does not say when: None)."""
        ...

    def ticket_page(self, query: TicketQuery) -> list[Ticket]:
        """Up to ``query.limit`` tickets that pass its filters, after ``query.after``, in
        the order of :meth:`Store.tickets` (the soonest next deadline or warning first,
        those without one after them, ties by id)."""
        ...

    def quarantined_tickets(self, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` tickets a worker took off the schedule, as ``(id, why)``."""
        ...

    def release(self, ticket: Ticket) -> bool:
        """Put a quarantined ticket, read again as ``ticket``, back on the schedule (its
        next deadline or warning due again). False when it is not quarantined, or has
        changed since it was read."""
        ...


class Admin(Store, StoreAdmin, Protocol):
    """A store an operator works on: the engine's protocol and :class:`StoreAdmin`."""
