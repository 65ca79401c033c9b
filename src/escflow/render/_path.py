"""A ticket's path through a flow, as the flowchart draws it.

The renderer does not read the runner's store: whoever has a ticket's events turns them
into a :class:`TicketPath` (plain data), so the diagram code depends on neither the
runtime nor a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from escflow.errors import TimeError
from escflow.spec._models import RESOLVED

if TYPE_CHECKING:
    from escflow.records import Event, Ticket


def stamp(at: datetime) -> str:
    """``2026-03-02T09:15Z``: UTC, to the minute, the way the diagram prints times."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class TicketPath:
    """Where one ticket has been: the steps it entered and the triggers that moved it.

    ``visits`` holds ``(step id, entered at)``; ``moves`` holds ``(source step,
    trigger id, target step, at)``, the target being ``"resolved"`` when the trigger
    closed the ticket; ``current`` is the step the ticket is in now, or None once it
    is closed. Every time must be timezone-aware; the diagram prints them in UTC.
    """

    ticket_id: str
    visits: tuple[tuple[str, datetime], ...] = ()
    moves: tuple[tuple[str, str, str, datetime], ...] = ()
    current: str | None = None

    def __post_init__(self) -> None:
        times = [at for _, at in self.visits] + [move[3] for move in self.moves]
        for at in times:
            if at.tzinfo is None or at.utcoffset() is None:
                raise TimeError(
                    f"ticket {self.ticket_id}: naive datetime {at.isoformat()} in its path;"
                    " give every time a timezone (UTC)"
                )


_MOVES = frozenset({"moved", "escalated", "resolved"})


def path_of(ticket: Ticket, events: Iterable[Event]) -> TicketPath:
    """The path of a ticket from its history: steps entered, triggers taken, where it is."""
    visits: list[tuple[str, datetime]] = []
    moves: list[tuple[str, str, str, datetime]] = []
    for event in events:
        if event.to_step is not None:
            visits.append((event.to_step, event.at))
        if event.kind in _MOVES and event.trigger and event.from_step:
            target = event.to_step if event.kind != "resolved" else RESOLVED
            if target is not None:
                moves.append((event.from_step, event.trigger, target, event.at))
    current = ticket.step if ticket.status != "resolved" else None
    return TicketPath(ticket.id, tuple(visits), tuple(moves), current)
