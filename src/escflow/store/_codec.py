"""Records to rows and back: JSON text for the parts no query looks into.

Shared by the SQL stores. Instants are ISO 8601 text in UTC; the integer columns the
worker scans hold microseconds since the epoch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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


_STATE_FORMAT = 1


def from_micros(value: int | None) -> datetime | None:
    """The instant ``value`` microseconds after the epoch (UTC), or None."""
    return None if value is None else _EPOCH + timedelta(microseconds=value)


def ticket_state(ticket: Ticket) -> str:
    """The whole ticket row as compact JSON: a list, instants in microseconds.

    Written once per event, so it avoids what is slow in JSON (objects' keys, a Python
    callback per datetime): the list's first item is the format, for later changes.
    """
    return json.dumps(
        [
            _STATE_FORMAT,
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


def ticket_from_state(text: str) -> Ticket:
    """A ticket from its JSON row."""
    d = json.loads(text)
    if d[0] != _STATE_FORMAT:
        raise ValueError(f"ticket row format {d[0]!r} is not {_STATE_FORMAT}")
    at = from_micros
    opened, updated, entered = at(d[8]), at(d[9]), at(d[10])
    assert opened is not None and updated is not None and entered is not None
    return Ticket(
        d[1],
        d[2],
        d[3],
        d[4],
        d[5],
        d[6],
        d[7],
        opened,
        updated,
        entered,
        at(d[11]),
        at(d[12]),
        d[13],
        d[14],
        d[15],
        at(d[16]),
        at(d[17]),
        at(d[18]),
        at(d[19]),
        at(d[20]),
        d[21],
        d[22],
    )


TICKET_COLUMNS = (
    "id, flow, digest, priority, status, step, level, version, opened_at, updated_at,"
    " level_entered_at, deadline, warn_at, next_due, assignee, repeats, acknowledged,"
    " first_response_at, first_response_due, resolution_due, resolved_at, paused_at, attrs"
)


def ticket_row(ticket: Ticket) -> tuple[Any, ...]:
    """The ticket as the values of :data:`TICKET_COLUMNS`, instants in microseconds."""
    return (
        ticket.id,
        ticket.flow,
        ticket.digest,
        ticket.priority,
        ticket.status,
        ticket.step,
        ticket.level,
        ticket.version,
        micros(ticket.opened_at),
        micros(ticket.updated_at),
        micros(ticket.level_entered_at),
        micros(ticket.deadline),
        micros(ticket.warn_at),
        micros(ticket.next_due),
        ticket.assignee,
        ticket.repeats,
        ticket.acknowledged,
        micros(ticket.first_response_at),
        micros(ticket.first_response_due),
        micros(ticket.resolution_due),
        micros(ticket.resolved_at),
        micros(ticket.paused_at),
        # Most tickets carry few attrs, often none: skip the encoder for the empty case.
        dumps(ticket.attrs) if ticket.attrs else "{}",
    )


def ticket_from_row(row: tuple[Any, ...]) -> Ticket:
    """A ticket from the values of :data:`TICKET_COLUMNS`."""
    at = from_micros
    return Ticket(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        _EPOCH + timedelta(microseconds=row[8]),
        _EPOCH + timedelta(microseconds=row[9]),
        _EPOCH + timedelta(microseconds=row[10]),
        at(row[11]),
        at(row[12]),
        row[14],
        row[15],
        bool(row[16]),
        at(row[17]),
        at(row[18]),
        at(row[19]),
        at(row[20]),
        at(row[21]),
        json.loads(row[22]) if row[22] != "{}" else {},
        row[7],
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
