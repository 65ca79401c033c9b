"""Records to rows and back: JSON text for the parts no query looks into.

Shared by the SQL stores. Instants are ISO 8601 text in UTC; the integer columns the
worker scans hold microseconds since the epoch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from escflow.runtime._model import Action, Event, EventKind, Ticket

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Event data keys that hold instants: decoded back to datetimes so that a stored event
# equals the one the engine made.
_INSTANTS = frozenset(
    {"deadline", "warn_at", "until", "first_response_due", "resolution_due", "occurred_at"}
)


def micros(instant: datetime | None) -> int | None:
    """Microseconds since the epoch, or None."""
    if instant is None:
        return None
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def iso(instant: datetime | None) -> str | None:
    """ISO 8601 text in UTC, or None."""
    return None if instant is None else instant.astimezone(UTC).isoformat()


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def dumps(value: Any) -> str:
    """Compact JSON, datetimes as ISO text."""
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


def ticket_state(ticket: Ticket) -> str:
    """The whole ticket row as JSON."""
    return dumps(
        {
            "id": ticket.id,
            "flow": ticket.flow,
            "digest": ticket.digest,
            "priority": ticket.priority,
            "status": ticket.status,
            "step": ticket.step,
            "level": ticket.level,
            "opened_at": ticket.opened_at,
            "updated_at": ticket.updated_at,
            "level_entered_at": ticket.level_entered_at,
            "deadline": ticket.deadline,
            "warn_at": ticket.warn_at,
            "assignee": ticket.assignee,
            "repeats": ticket.repeats,
            "acknowledged": ticket.acknowledged,
            "first_response_at": ticket.first_response_at,
            "first_response_due": ticket.first_response_due,
            "resolution_due": ticket.resolution_due,
            "resolved_at": ticket.resolved_at,
            "paused_at": ticket.paused_at,
            "attrs": dict(ticket.attrs),
            "version": ticket.version,
        }
    )


def ticket_from_state(text: str) -> Ticket:
    """A ticket from its JSON row."""
    d = json.loads(text)
    return Ticket(
        d["id"],
        d["flow"],
        d["digest"],
        d["priority"],
        d["status"],
        d["step"],
        d["level"],
        datetime.fromisoformat(d["opened_at"]),
        datetime.fromisoformat(d["updated_at"]),
        datetime.fromisoformat(d["level_entered_at"]),
        _instant(d["deadline"]),
        _instant(d["warn_at"]),
        d["assignee"],
        d["repeats"],
        d["acknowledged"],
        _instant(d["first_response_at"]),
        _instant(d["first_response_due"]),
        _instant(d["resolution_due"]),
        _instant(d["resolved_at"]),
        _instant(d["paused_at"]),
        d["attrs"],
        d["version"],
    )


def event_body(event: Event) -> str:
    """The parts of an event no query looks into, as JSON."""
    return dumps(
        {
            "actor": event.actor,
            "from": event.from_step,
            "to": event.to_step,
            "trigger": event.trigger,
            "reason": event.reason,
            "note": event.note,
            "data": event.data,
        }
    )


def event_from_row(
    ticket_id: str, seq: int, at: str, kind: str, body: str, key: str | None
) -> Event:
    """An event from its row."""
    d = json.loads(body)
    data = {
        k: (_instant(v) if k in _INSTANTS and isinstance(v, str) else v)
        for k, v in d["data"].items()
    }
    return Event(
        ticket_id,
        seq,
        datetime.fromisoformat(at),
        cast(EventKind, kind),
        d["actor"],
        d["from"],
        d["to"],
        d["trigger"],
        d["reason"],
        d["note"],
        key,
        data,
    )


def action_from_row(row: tuple[Any, ...]) -> Action:
    """An action from ``key, ticket_id, kind, target, payload, created_at, attempts,
    next_attempt_at, delivered_at, failed_at, last_error``."""
    key, ticket_id, kind, target, payload, created, attempts, nxt, delivered, failed, error = row
    return Action(
        key,
        ticket_id,
        kind,
        target,
        json.loads(payload),
        datetime.fromisoformat(created),
        attempts,
        _instant(nxt),
        _instant(delivered),
        _instant(failed),
        error,
    )
