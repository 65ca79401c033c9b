"""A ticket's path through a flow, as the flowchart draws it.

The renderer does not read the runner's store: whoever has a ticket's events turns them
into a :class:`TicketPath` (plain data), so the diagram code depends on neither the
runtime nor a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from escflow.errors import TimeError
from escflow.spec._models import RESOLVED

if TYPE_CHECKING:
    from escflow.records import Event, Ticket


def stamp(at: datetime, timezone: str = "UTC") -> str:
    """``2026-03-02 10:15 +01:00``: in ``timezone`` (the flow's calendar), to the minute.

    The offset is printed beside the local time, so a reader can tell 02:30 before a
    clock change from 02:30 after it, and compare the chart with stored UTC times.
    """
    local = at.astimezone(ZoneInfo(timezone))
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{local:%Y-%m-%d %H:%M} {sign}{hours:02d}:{rest:02d}"


@dataclass(frozen=True)
class TicketPath:
    """Where one ticket has been: the steps it entered and the triggers that moved it.

    ``visits`` holds ``(step id, entered at)``; ``moves`` holds ``(source step,
    trigger id, target step, at)``, the target being ``"resolved"`` when the trigger
    closed the ticket; ``current`` is the step the ticket is in now, or None once it
    is closed. Every time must be timezone-aware; the diagram prints them in the
    flow calendar's local time, with the offset.
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
