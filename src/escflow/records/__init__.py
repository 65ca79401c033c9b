"""Running tickets as data: the ticket row, its events, the outbox's actions, a call's change.

These records sit below both the engine (which makes them) and the stores (which keep
them): neither imports the other to know what a ticket is. A ticket's state is the fold of
its events (:func:`apply`, :func:`replay`).
"""

from escflow.records._records import (
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

__all__ = [
    "STATUSES",
    "Action",
    "AttrValue",
    "Attrs",
    "Change",
    "Event",
    "EventKind",
    "Status",
    "Ticket",
    "apply",
    "replay",
]
