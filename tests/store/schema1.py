"""Tickets as escflow's first schema stored them, for the tests of the upgrade to schema 2.

Schema 1 kept the ticket row as one JSON list (format 1); schema 2 has a column per field.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from escflow import Matrix, load_matrix
from escflow.runtime import Actions, Engine, Ticket
from escflow.store import MemoryStore
from escflow.store._codec import micros
from escflow.timing import ManualClock
from tests.conftest import FLOWS

IDS = ("T-1", "T-2", "T-3")


def tickets() -> tuple[Matrix, MemoryStore, datetime]:
    """Three tickets in different states: moved with attrs, acknowledged then paused,
    resolved; the store that holds them, and the instant they were left at."""
    clock = ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    memory = MemoryStore()
    matrix = load_matrix(FLOWS)
    engine = Engine(matrix, memory, clock, Actions.log(io.StringIO()))
    engine.open("complaint", "medium", "T-1", {"customer": "ACME", "seats": 12, "vip": True})
    engine.open("helpdesk", "critical", "T-2")
    clock.advance(timedelta(minutes=20))
    engine.fire("T-1", "asks-for-manager", "ana", note="wants a manager")
    engine.acknowledge("T-2", "bo")
    engine.pause("T-2", "bo", reason="waiting on the customer")
    engine.open("complaint", "low", "T-3")
    engine.resolve("T-3", "cy")
    return matrix, memory, clock.now()


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
