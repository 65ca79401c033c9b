"""Tickets as escflow's first schema stored them, for the tests of the upgrades since.

Schema 1 kept the ticket row as one JSON list (format 1); schema 2 has a column per field.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from escflow import Matrix, load_matrix
from escflow.records import Ticket, replay
from escflow.runtime import Actions, Engine
from escflow.store import MemoryStore, Store, Write
from escflow.store._codec import dumps, event_body, micros
from escflow.timing import ManualClock
from tests.conftest import FLOWS

IDS = ("T-1", "T-2", "T-3")
# The columns schema 1 needs filled, per table.
COLUMNS = {
    "tickets": "id, flow, digest, priority, status, step, level, version, deadline, warn_at,"
    " next_due, state",
    "events": "ticket_id, seq, at, kind, body, idempotency_key, key_last_seq",
    "outbox": "key, ticket_id, kind, target, payload, created_at, next_attempt",
}
Instant = Callable[[datetime | None], Any]


def tickets() -> tuple[Matrix, MemoryStore, datetime]:
    """Three tickets in different states: moved with attrs, acknowledged then paused,
    resolved; the store that holds them, and the instant they were left at."""
    clock = ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    memory = MemoryStore()
    matrix = load_matrix(FLOWS)
    engine = Engine(matrix, memory, clock=clock, actions=Actions.log(io.StringIO()))
    engine.open(
        "complaint",
        priority="medium",
        ticket_id="T-1",
        attrs={"customer": "ACME", "seats": 12, "vip": True},
    )
    engine.open("helpdesk", priority="critical", ticket_id="T-2")
    clock.advance(timedelta(minutes=5))  # before the first response's warning (11.25 min)
    engine.acknowledge("T-2", actor="bo")
    clock.advance(timedelta(minutes=15))
    engine.fire("T-1", "asks-for-manager", actor="ana", note="wants a manager")
    engine.pause("T-2", actor="bo", reason="waiting on the customer")
    engine.open("complaint", priority="low", ticket_id="T-3")
    engine.resolve("T-3", actor="cy")
    return matrix, before_sla_timers(memory), clock.now()


# What events hold since schema 8 (the SLA's timers): the code of schema 1 wrote none of it.
_SLA_KEYS = frozenset({"response_warn_at", "resolution_warn_at", "sla_left"})


def before_sla_timers(memory: MemoryStore) -> MemoryStore:
    """The tickets of ``memory`` (none of whose SLA timers fired) as the code of schema 1
    stored them: their events without the SLA's timers, each ticket the replay of those."""
    old = MemoryStore()
    for ticket_id in IDS:
        events = [
            replace(e, data={k: v for k, v in e.data.items() if k not in _SLA_KEYS})
            for e in memory.history(ticket_id)
        ]
        assert not any(e.kind.startswith("sla_") for e in events), "no SLA timer fired"
        old.append([Write(replay(events), events, memory.actions(ticket_id), 0)])
    return old


def state(ticket: Ticket) -> str:
    """The ticket row as schema 1's JSON list, instants in microseconds."""
    return json.dumps(
        [
            1,
            ticket.id,
            ticket.flow,
            ticket.digest,
            ticket.priority,
            ticket.status,
            ticket.step,
            ticket.level,
            micros(ticket.opened_at),
            micros(ticket.updated_at),
            micros(ticket.level_entered_at),
            micros(ticket.deadline),
            micros(ticket.warn_at),
            ticket.assignee,
            ticket.repeats,
            ticket.acknowledged,
            micros(ticket.first_response_at),
            micros(ticket.first_response_due),
            micros(ticket.resolution_due),
            micros(ticket.resolved_at),
            micros(ticket.paused_at),
            dict(ticket.attrs),
            ticket.version,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def as_is(instant: datetime | None) -> datetime | None:
    """An instant as a datetime (what PostgreSQL's timestamptz takes)."""
    return instant


def rows(memory: MemoryStore, instant: Instant, due: Instant) -> dict[str, list[tuple[Any, ...]]]:
    """The rows schema 1 held for :data:`IDS`, per table of :data:`COLUMNS`: instants as
    ``instant`` writes them, the columns workers scan (``next_due``, ``next_attempt``) as
    ``due`` does."""
    found: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
    for ticket_id in IDS:
        t = memory.get(ticket_id)
        assert t is not None
        found["tickets"].append(
            (
                *(t.id, t.flow, t.digest, t.priority, t.status, t.step, t.level, t.version),
                *(instant(t.deadline), instant(t.warn_at), due(t.next_due), state(t)),
            )
        )
        found["events"] += [
            (e.ticket_id, e.seq, instant(e.at), e.kind, event_body(e), e.key, None)
            for e in memory.history(ticket_id)
        ]
        found["outbox"] += [
            (
                *(a.key, a.ticket_id, a.kind, a.target, dumps(a.payload)),
                *(instant(a.created_at), due(a.created_at)),
            )
            for a in memory.actions(ticket_id)
        ]
    return found


def assert_upgraded(store: Store, memory: MemoryStore, now: datetime) -> None:
    """``store``, upgraded from schema 1, reads as ``memory`` does."""
    for ticket_id in IDS:
        assert store.get(ticket_id) == memory.get(ticket_id)
        assert store.history(ticket_id) == memory.history(ticket_id)
        assert store.actions(ticket_id) == memory.actions(ticket_id)
    assert store.next_due() == memory.next_due()
    later = now + timedelta(days=30)
    assert store.due(later, 10) == memory.due(later, 10)
