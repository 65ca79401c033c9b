"""A call's draft: the events and actions it makes, applied to the ticket as they are added."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from escflow.records import Action, Event, EventKind, Ticket, apply


class Draft:
    """The events and actions of one call on one ticket, not yet stored.

    ``expected`` is the version the call read (0 for a new ticket): the store refuses the
    write if the row moved on since. The call's idempotency ``key`` marks its first own
    event (timer events it catches up on first carry none).
    """

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
        """The ticket after every event added so far."""
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
        """Append one event (the next seq), apply it, and return it."""
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
