"""A ticket's path through a flow, as the flowchart draws it.

The renderer does not read the runner's store: whoever has a ticket's events turns them
into a :class:`TicketPath` (plain data), so the diagram code depends on neither the
runtime nor a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from escflow.errors import TimeError


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
