"""Records to rows and back, shared by the SQL stores.

The ticket row is a column per field; each store says how it keeps instants (SQLite:
microseconds since the epoch, PostgreSQL: timestamptz). Events and actions keep what no
query looks into as JSON text, instants there as ISO 8601 text in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson

from escflow.errors import InputError
from escflow.records import Action, Event, EventKind, Ticket
from escflow.store._protocol import KeyRecord, SlaFilter, TicketQuery, Write

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Event data keys that hold instants: decoded back to datetimes so that a stored event
# equals the one the engine made.
_INSTANTS = frozenset(
    {
        "deadline",
        "warn_at",
        "until",
        "first_response_due",
        "resolution_due",
        "occurred_at",
        "response_warn_at",
        "response_breach_at",
        "resolution_warn_at",
        "resolution_breach_at",
        "due",
    }
)


def check_text(**fields: str | None) -> None:
    """Refuse text that no store can keep, naming the argument it came in: a value that is
    not text at all, a lone surrogate (what Python makes of bytes that were not UTF-8, in
    a command line say) or a NUL character (PostgreSQL refuses it; SQLite would keep it
    and cut it short in places). None passes: the argument was not given."""
    for name, value in fields.items():
        if value is None or (type(value) is str and value.isascii() and "\x00" not in value):
            continue  # the common case, at the cost of two tests
        if not isinstance(value, str):
            raise InputError(f"{name} must be text, got {value!r}")
        if "\x00" in value:
            raise InputError(
                f"{name} holds a NUL character (at position {value.index(chr(0)) + 1}); remove it"
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"{name} is not valid text: position {exc.start + 1} holds"
                f" {value[exc.start]!r}, a lone surrogate (a byte that was not UTF-8, read as"
                " text); send the text as UTF-8"
            ) from None


def need_text(**fields: str) -> None:
    """:func:`check_text` for arguments that must be given: None is refused too."""
    for name, value in fields.items():
        if value is None:
            raise InputError(f"{name} must be text, got None")
    check_text(**fields)


def micros(instant: datetime | None) -> int | None:
    """Microseconds since the epoch, or None."""
    if instant is None:
        return None
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _utc_text(instant: datetime) -> str:
    return (instant if instant.tzinfo is UTC else instant.astimezone(UTC)).isoformat()


def iso(instant: datetime | None) -> str | None:
    """ISO 8601 text in UTC, or None."""
    return None if instant is None else _utc_text(instant)


def from_iso(text: str | None) -> datetime | None:
    """The instant of ISO 8601 text, or None."""
    return None if text is None else datetime.fromisoformat(text)


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return _utc_text(value)
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


# orjson, not json: every event writes two or three JSON texts and every read parses
# them; orjson does each in a tenth of the time. Datetimes pass through to ``_default``
# so that they are always written in UTC, whatever zone they carry.
_DUMP_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any) -> str:
    """Compact UTF-8 JSON, datetimes as ISO text in UTC."""
    return orjson.dumps(value, default=_default, option=_DUMP_OPTIONS).decode()


def loads(text: str | bytes) -> Any:
    """The value of a JSON text."""
    return orjson.loads(text)


def _object(text: str | bytes) -> dict[str, Any]:
    """The JSON object a text holds; anything else (a hand edit) is a ``TypeError``."""
    value = orjson.loads(text)
    if type(value) is not dict:
        raise TypeError(f"it holds a JSON {type(value).__name__}, not an object")
    return value


def from_micros(value: int | None) -> datetime | None:
    """The instant ``value`` microseconds after the epoch (UTC), or None."""
    # timedelta's positional form is the fast one: keywords cost twice as much, ten times a row.
    return None if value is None else _EPOCH + timedelta(0, 0, value)


TICKET_COLUMNS = (
    "id, flow, digest, priority, status, step, level, version, opened_at, updated_at,"
    " level_entered_at, deadline, warn_at, next_due, assignee, repeats, acknowledged,"
    " first_response_at, first_response_due, resolution_due, resolved_at, paused_at, attrs,"
    " timer_left, response_warn_at, response_breach_at, resolution_warn_at,"
    " resolution_breach_at, breached_at, breach_due"
)
TICKET_WIDTH = TICKET_COLUMNS.count(",") + 1


def tickets_query(
    status: str | None,
    flow: str | None,
    due_by: Any,
    limit: int,
    *,
    mark: str,
    by_id: str = "id",
    sla: tuple[Any, Any, Any] = (None, None, None),
) -> tuple[str, list[Any]]:
    """The SELECT of ``Store.tickets`` and its parameters: ``mark`` is the store's
    placeholder, ``due_by`` the instant as the store keeps it, ``by_id`` how it orders ids
    byte by byte (as Python compares them), ``sla`` the instants of an
    :class:`~escflow.store.SlaFilter` as the store keeps them (breached by; breaching
    after, until).

    Tickets with a next deadline are read in the order of the next_due index (which holds
    the id too), without a sort: the overdue ones among a million tickets take a page or
    two. Those without one follow, in id order, in the same statement (one snapshot); no
    index finds them, so that part reads the table.
    """
    filters = ""
    args: list[Any] = []
    for column, value in (("status", status), ("flow", flow)):
        if value is not None:
            filters += f" AND {column} = {mark}"
            args.append(value)
    breached_by, after, until = sla
    if breached_by is not None:
        filters += f" AND (breached_at IS NOT NULL OR breach_due <= {mark})"
        args.append(breached_by)
    if until is not None:
        filters += f" AND breach_due > {mark} AND breach_due <= {mark}"
        args += [after, until]
    parts: list[tuple[str, list[Any]]] = []
    # Paused and resolved tickets have no deadline (escflow.records.apply).
    if status not in ("paused", "resolved"):
        bound = "" if due_by is None else f" AND next_due <= {mark}"
        parts.append(
            (
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE next_due IS NOT NULL{bound}{filters}"
                f" ORDER BY next_due, {by_id} LIMIT {mark}",
                [*([] if due_by is None else [due_by]), *args, limit],
            )
        )
    if due_by is None:
        parts.append(
            (
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE next_due IS NULL{filters}"
                f" ORDER BY {by_id} LIMIT {mark}",
                [*args, limit],
            )
        )
    if not parts:  # only paused or resolved tickets, by a deadline: they have none
        return f"SELECT {TICKET_COLUMNS} FROM tickets WHERE 1 = 0 LIMIT {mark}", [limit]
    if len(parts) == 1:
        return parts[0]
    (soon, soon_args), (rest, rest_args) = parts
    return (
        f"SELECT * FROM (SELECT * FROM ({soon}) AS soon UNION ALL SELECT * FROM ({rest}) AS rest)"
        f" AS listed ORDER BY next_due IS NULL, next_due, {by_id} LIMIT {mark}",
        [*soon_args, *rest_args, limit],
    )


def sla_instants(
    sla: SlaFilter | None, instant: Callable[[datetime | None], Any]
) -> tuple[Any, Any, Any]:
    """The instants of an SLA filter as :func:`tickets_query` takes them, each as
    ``instant`` makes it: (breached by, breaching after, breaching until)."""
    if sla is None:
        return (None, None, None)
    after, until = sla.breaching if sla.breaching is not None else (None, None)
    return (instant(sla.breached_by), instant(after), instant(until))


def page_query(
    query: TicketQuery,
    instant: Callable[[datetime | None], Any],
    *,
    mark: str,
    by_id: str = "id",
) -> tuple[str, list[Any]]:
    """The SELECT of ``StoreAdmin.ticket_page`` and its parameters (see
    :func:`tickets_query`: the same two parts, each read in index order; ``after`` starts
    each part right after the row where the page before ended). ``instant`` makes an
    instant as the store keeps it."""
    filters = ""
    args: list[Any] = []
    for column, value in (
        ("status", query.status),
        ("flow", query.flow),
        ("priority", query.priority),
        ("level", query.level),
    ):
        if value is not None:
            filters += f" AND {column} = {mark}"
            args.append(value)
    if query.places is not None:
        if not query.places:
            return f"SELECT {TICKET_COLUMNS} FROM tickets WHERE 1 = 0 LIMIT {mark}", [0]
        pairs = " OR ".join(f"(flow = {mark} AND level = {mark})" for _ in query.places)
        filters += f" AND ({pairs})"
        args.extend(v for pair in query.places for v in pair)
    after_due, after_id = query.after if query.after is not None else (None, None)
    parts: list[tuple[str, list[Any]]] = []
    # Paused and resolved tickets have no deadline; a page that ended among the tickets
    # without one has none with one left.
    if query.status not in ("paused", "resolved") and (query.after is None or after_due):
        where, where_args = "next_due IS NOT NULL", []
        if query.due_by is not None:
            where += f" AND next_due <= {mark}"
            where_args.append(instant(query.due_by))
        if after_due is not None:
            where += f" AND (next_due > {mark} OR (next_due = {mark} AND {by_id} > {mark}))"
            where_args += [instant(after_due), instant(after_due), after_id]
        parts.append(
            (
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {where}{filters}"
                f" ORDER BY next_due, {by_id} LIMIT {mark}",
                [*where_args, *args, query.limit],
            )
        )
    if query.due_by is None:
        where, where_args = "next_due IS NULL", []
        if query.after is not None and after_due is None:
            where += f" AND {by_id} > {mark}"
            where_args.append(after_id)
        parts.append(
            (
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {where}{filters}"
                f" ORDER BY {by_id} LIMIT {mark}",
                [*where_args, *args, query.limit],
            )
        )
    if not parts:
        return f"SELECT {TICKET_COLUMNS} FROM tickets WHERE 1 = 0 LIMIT {mark}", [0]
    if len(parts) == 1:
        return parts[0]
    (soon, soon_args), (rest, rest_args) = parts
    return (
        f"SELECT * FROM (SELECT * FROM ({soon}) AS soon UNION ALL SELECT * FROM ({rest}) AS rest)"
        f" AS listed ORDER BY next_due IS NULL, next_due, {by_id} LIMIT {mark}",
        [*soon_args, *rest_args, query.limit],
    )


def ticket_row(
    ticket: Ticket, instant: Callable[[datetime | None], Any] = micros
) -> tuple[Any, ...]:
    """The ticket as the values of :data:`TICKET_COLUMNS`, each instant as ``instant``
    makes it (default: microseconds since the epoch)."""
    return (
        ticket.id,
        ticket.flow,
        ticket.digest,
        ticket.priority,
        ticket.status,
        ticket.step,
        ticket.level,
        ticket.version,
        instant(ticket.opened_at),
        instant(ticket.updated_at),
        instant(ticket.level_entered_at),
        instant(ticket.deadline),
        instant(ticket.warn_at),
        instant(ticket.next_due),
        ticket.assignee,
        ticket.repeats,
        ticket.acknowledged,
        instant(ticket.first_response_at),
        instant(ticket.first_response_due),
        instant(ticket.resolution_due),
        instant(ticket.resolved_at),
        instant(ticket.paused_at),
        # Most tickets carry few attrs, often none: skip the encoder for the empty case.
        dumps(ticket.attrs) if ticket.attrs else "{}",
        ticket.timer_left,
        instant(ticket.response_warn_at),
        instant(ticket.response_breach_at),
        instant(ticket.resolution_warn_at),
        instant(ticket.resolution_breach_at),
        instant(ticket.breached_at),
        instant(ticket.breach_due),
    )


def ticket_from_row(
    row: Sequence[Any], instant: Callable[[Any], datetime | None] = from_micros
) -> Ticket:
    """A ticket from the values of :data:`TICKET_COLUMNS`, each instant read by ``instant``
    (default: from microseconds since the epoch)."""
    at = instant
    opened, updated, entered = at(row[8]), at(row[9]), at(row[10])
    assert opened is not None, "NOT NULL"
    assert updated is not None, "NOT NULL"
    assert entered is not None, "NOT NULL"
    return Ticket(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        opened,
        updated,
        entered,
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
        _object(row[22]) if row[22] != "{}" else {},
        row[7],
        row[23],
        at(row[24]),
        at(row[25]),
        at(row[26]),
        at(row[27]),
        at(row[28]),
    )


def keyed_events(writes: Sequence[Write]) -> list[tuple[Event, int | None, int | None]]:
    """The writes' events, each with the first and the last seq of its call when it carries
    a key (what the events table keeps to answer a repeated key: the call's write begins
    with the timer events it caught up on, which carry none)."""
    return [
        (e, w.events[0].seq, w.events[-1].seq) if e.key is not None else (e, None, None)
        for w in writes
        for e in w.events
    ]


def key_record(row: Sequence[Any]) -> KeyRecord:
    """Where a key was applied, from ``ticket_id, seq, key_last_seq, key_first_seq`` of its
    event (``key_first_seq`` NULL in rows written before schema 5)."""
    ticket_id, seq, last, first = row
    return KeyRecord(str(ticket_id), int(seq), int(last), None if first is None else int(first))


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
    ticket_id: str, seq: int, at: datetime, kind: str, body: str, key: str | None
) -> Event:
    """An event from its row (``at`` already read as an instant)."""
    d = _object(body)
    data = {
        k: (from_iso(v) if k in _INSTANTS and isinstance(v, str) else v)
        for k, v in d["data"].items()
    }
    return Event(
        ticket_id,
        seq,
        at,
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


ACTION_COLUMNS = (
    "key, ticket_id, kind, target, payload, created_at, attempts, next_attempt_at,"
    " delivered_at, failed_at, last_error, quarantine, discarded_at, discarded_by, discard_note"
)


# The stored status of an outbox row, by its columns: what ``StoreAdmin.outbox`` filters
# on. ``{pending}`` and ``{held}`` are the dialect's tests of the pending flag: held rows
# are neither pending nor delivered (failed, quarantined or discarded), the rows of the
# outbox_held index, whose condition the query repeats as written.
_STATUS_SQL = {
    "pending": "{pending}",
    "delivered": "delivered_at IS NOT NULL",
    "discarded": "{held} AND delivered_at IS NULL AND discarded_at IS NOT NULL",
    "quarantined": "{held} AND delivered_at IS NULL AND discarded_at IS NULL"
    " AND quarantine IS NOT NULL",
    "failed": "{held} AND delivered_at IS NULL AND discarded_at IS NULL AND quarantine IS NULL"
    " AND failed_at IS NOT NULL",
}


def action_statuses(statuses: Collection[str], *, pending: str, held: str) -> str:
    """The SQL condition of an outbox row whose stored status is one of ``statuses``;
    ``pending`` and ``held`` test the pending flag as the dialect writes it (SQLite:
    ``pending = 1`` and ``pending = 0``)."""
    parts = [_STATUS_SQL[s].format(pending=pending, held=held) for s in statuses]
    return " OR ".join(f"({part})" for part in parts) if parts else "1 = 0"


def counts_queries(*, pending: str, held: str) -> tuple[str, str]:
    """The SELECTs of ``StoreAdmin.counts``: open tickets by flow and level; the outbox's
    backlog and failures (``pending`` and ``held`` as :func:`action_statuses` takes them)."""
    backlog = action_statuses(["pending"], pending=pending, held=held)
    failed = action_statuses(["failed"], pending=pending, held=held)
    return (
        "SELECT flow, level, count(*) FROM tickets WHERE status = 'open' GROUP BY flow, level",
        f"SELECT count(CASE WHEN {backlog} THEN 1 END), count(CASE WHEN {failed} THEN 1 END)"
        " FROM outbox",
    )


def action_from_row(
    row: Sequence[Any], instant: Callable[[Any], datetime | None] = from_iso
) -> Action:
    """An action from the values of :data:`ACTION_COLUMNS`, each instant read by
    ``instant`` (default: from ISO text)."""
    (
        key,
        ticket_id,
        kind,
        target,
        payload,
        created,
        attempts,
        nxt,
        delivered,
        failed,
        error,
        quarantine,
        discarded,
        discarded_by,
        discard_note,
    ) = row
    created_at = instant(created)
    if created_at is None:
        raise TypeError("created_at is empty")
    return Action(
        key,
        ticket_id,
        kind,
        target,
        _object(payload),
        created_at,
        attempts,
        instant(nxt),
        instant(delivered),
        instant(failed),
        error,
        quarantine,
        instant(discarded),
        discarded_by,
        discard_note,
    )
