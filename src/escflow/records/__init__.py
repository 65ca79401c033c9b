"""Running tickets as data: the ticket row, its events, the outbox's actions, a call's change.

These records sit below both the engine (which makes them) and the stores (which keep
them): neither imports the other to know what a ticket is. A ticket's state is the fold of
its events (:func:`apply`, :func:`replay`).
"""

from escflow.records._records import (
    ACTION_STATUSES,
    SLA_TARGETS,
    STATUSES,
    Action,
    ActionStatus,
    Attrs,
    AttrValue,
    Change,
    Event,
    EventKind,
    SlaKind,
    SlaTargetName,
    Status,
    Ticket,
    apply,
    held_until,
    last_pause,
    replay,
)

__all__ = [
    "ACTION_STATUSES",
    "SLA_TARGETS",
    "STATUSES",
    "Action",
    "ActionStatus",
    "AttrValue",
    "Attrs",
    "Change",
    "Event",
    "EventKind",
    "SlaKind",
    "SlaTargetName",
    "Status",
    "Ticket",
    "apply",
    "held_until",
    "last_pause",
    "replay",
]
