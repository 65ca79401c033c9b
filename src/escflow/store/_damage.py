"""Rows that cannot be read: what is wrong with them, and what the stores do about it.

A hand edit (an ``UPDATE`` typed in ``sqlite3`` or ``psql``) or a disk fault can leave a
row the codec cannot decode. One such row must not stop everything else:

- a ticket row met by a worker's claim is *quarantined*: taken off the schedule (its
  ``next_due`` cleared, the rest of the row kept) and marked with why; reading it alone
  (``get``) raises :class:`~escflow.errors.DamagedRecord`; a listing leaves it out;
- an outbox row met by a claim is quarantined too: out of the queue, marked with why;
  read for display, it comes back as an :class:`Action` whose ``damage`` says why and
  whose payload is empty;
- an event comes back as an event of kind ``damaged`` (events are append-only: nothing
  is marked), which :func:`~escflow.runtime.apply` refuses to apply.

Each quarantine is said on the ``escflow.store`` logger (the command line prints it),
naming the row, why, and the command that puts it back once it is repaired.

The decoders stay fast: they run as they are, and only a row that fails is looked at
field by field here, to say which field is wrong.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from escflow.errors import DamagedRecord
from escflow.records import Action, Event, Ticket
from escflow.store._codec import TICKET_COLUMNS, action_from_row, event_from_row, ticket_from_row

LOG = logging.getLogger("escflow.store")
"""Where the stores say what they quarantined or left out."""

READ_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)
"""What a decoder raises on a row it cannot read (orjson's errors are ValueErrors)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Instant = Callable[[Any], datetime | None]


@dataclass(frozen=True, slots=True)
class Damage:
    """One row that cannot be read: its ticket, which row, and why."""

    ticket_id: str
    record: str  # "ticket", "action <key>" or "event <seq>"
    reason: str

    @property
    def key(self) -> str | None:
        """The action's key, for an outbox row."""
        return self.record.removeprefix("action ") if self.record.startswith("action ") else None

    def described(self) -> str:
        """``ticket 'T-1'``, ``action T-1:2:0 of ticket 'T-1'``, ``event 3 of ticket 'T-1'``."""
        if self.record == "ticket":
            return f"ticket '{self.ticket_id}'"
        return f"{self.record} of ticket '{self.ticket_id}'"

    def remedy(self, url: str) -> str:
        """The commands that put the row back once repaired, on the store at ``url``."""
        db = ["--db", url]
        if self.key is not None:
            retry = shlex.join(["escflow", "outbox", "retry", "--action", self.key, *db])
            drop = shlex.join(["escflow", "outbox", "discard", "--action", self.key, *db])
            return f"repair the row, then '{retry}' queues it again (or '{drop}')"
        retry = shlex.join(["escflow", "outbox", "retry", "--ticket", self.ticket_id, *db])
        return f"repair the row, then '{retry}' puts it back on the schedule"

    def error(self, where: str) -> DamagedRecord:
        """The error of a call that needed this row."""
        return DamagedRecord(
            f"{self.described()} in {where} cannot be read ({self.reason}); {self.remedy(where)}",
            ticket_id=self.ticket_id,
            record=self.record,
        )

    def say_quarantined(self, where: str) -> None:
        """Tell the log that a claim took this row out of the work."""
        held = "left off the schedule" if self.key is None else "not delivered"
        LOG.warning(
            "%s in %s cannot be read (%s): quarantined, %s; %s",
            self.described(),
            where,
            self.reason,
            held,
            self.remedy(where),
        )

    def say_left_out(self, where: str) -> None:
        """Tell the log that a listing left this row out."""
        LOG.warning(
            "%s in %s cannot be read (%s) and is left out; %s",
            self.described(),
            where,
            self.reason,
            self.remedy(where),
        )


# --- what is wrong with a row -----------------------------------------------------------

_TICKET_NAMES = [name.strip() for name in TICKET_COLUMNS.split(",")]
_TICKET_INSTANTS = frozenset(
    {"opened_at", "updated_at", "level_entered_at", "deadline", "warn_at", "next_due"}
    | {"first_response_at", "first_response_due", "resolution_due", "resolved_at", "paused_at"}
)
_REQUIRED_INSTANTS = frozenset({"opened_at", "updated_at", "level_entered_at", "created_at"})
_TICKET_WHOLE = frozenset({"version", "repeats"})


def _shown(value: object) -> str:
    """A stored value in a message: its start, as written."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:40] + ("..." if len(text) > 40 else ""))


def _json_fault(name: str, text: object) -> str | None:
    """Why ``text`` is not a JSON object, or None when it is one."""
    if not isinstance(text, str | bytes):
        return f"{name} is {_shown(text)}, not JSON text"
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return f"{name} is not JSON: {exc} (it begins {_shown(text)})"
    if not isinstance(value, dict):
        return f"{name} holds a JSON {type(value).__name__}, not an object"
    return None


def _instant_fault(name: str, value: object, instant: Instant) -> str | None:
    """Why ``value`` is not an instant as the store keeps them, or None."""
    if value is None:
        return f"{name} is empty" if name in _REQUIRED_INSTANTS else None
    try:
        instant(value)
    except READ_ERRORS:
        return f"{name} is {_shown(value)}, not an instant"
    return None


def ticket_fault(row: Sequence[Any], instant: Instant, error: Exception) -> str:
    """Why a ticket row (the values of ``TICKET_COLUMNS``) cannot be read: its first
    column that does not decode (``error``, what the decoder raised, when none is found)."""
    for name, value in zip(_TICKET_NAMES, row, strict=False):
        if name == "attrs":
            fault = _json_fault("attrs", value)
        elif name in _TICKET_INSTANTS:
            fault = _instant_fault(name, value, instant)
        elif name in _TICKET_WHOLE:
            fault = None if type(value) is int else f"{name} is {_shown(value)}, not a number"
        else:
            fault = None
        if fault is not None:
            return fault
    return f"{type(error).__name__}: {error}"


_ACTION_INSTANTS = ("created_at", "next_attempt_at", "delivered_at", "failed_at")


def action_fault(row: Sequence[Any], instant: Instant, error: Exception) -> str:
    """Why an outbox row (the values of ``ACTION_COLUMNS``) cannot be read."""
    fault = _json_fault("payload", row[4])
    if fault is not None:
        return fault
    for name, value in zip(_ACTION_INSTANTS, (row[5], *row[7:10]), strict=True):
        fault = _instant_fault(name, value, instant)
        if fault is not None:
            return fault
    if type(row[6]) is not int:
        return f"attempts is {_shown(row[6])}, not a number"
    return f"{type(error).__name__}: {error}"


_BODY_KEYS = ("actor", "from", "to", "trigger", "reason", "note", "data")


def event_fault(body: object, error: Exception) -> str:
    """Why an event's body cannot be read."""
    fault = _json_fault("body", body)
    if fault is not None or not isinstance(body, str | bytes):
        return fault or "body is not text"
    parts = orjson.loads(body)  # _json_fault found an object
    missing = [k for k in _BODY_KEYS if k not in parts]
    if missing:
        return f"body lacks {', '.join(missing)}"
    if not isinstance(parts["data"], dict):
        return "body's data is not a JSON object"
    return f"body: {type(error).__name__}: {error}"


# --- reading rows that may be damaged ---------------------------------------------------


def read_ticket(row: Sequence[Any], instant: Instant, where: str) -> Ticket:
    """The ticket of ``row``; raises :class:`DamagedRecord` when it cannot be read."""
    try:
        return ticket_from_row(row, instant)
    except READ_ERRORS as exc:
        raise ticket_damage(row, instant, exc).error(where) from None


def ticket_damage(row: Sequence[Any], instant: Instant, error: Exception) -> Damage:
    """What is wrong with a ticket row."""
    return Damage(str(row[0]), "ticket", ticket_fault(row, instant, error))


def read_tickets(
    rows: Sequence[Sequence[Any]], instant: Instant
) -> tuple[list[Ticket], list[Damage]]:
    """The tickets of the rows that can be read, and what is wrong with the others."""
    try:
        return [ticket_from_row(r, instant) for r in rows], []
    except READ_ERRORS:
        pass  # some row is damaged: read them one by one
    tickets: list[Ticket] = []
    damaged: list[Damage] = []
    for row in rows:
        try:
            tickets.append(ticket_from_row(row, instant))
        except READ_ERRORS as exc:
            damaged.append(ticket_damage(row, instant, exc))
    return tickets, damaged


def _action_damage(row: Sequence[Any], instant: Instant, error: Exception) -> Damage:
    return Damage(str(row[1]), f"action {row[0]}", action_fault(row, instant, error))


def split_actions(
    rows: Sequence[Sequence[Any]], instant: Instant
) -> tuple[list[Action], list[Damage]]:
    """The actions of the rows that can be read, and what is wrong with the others."""
    try:
        return [action_from_row(r, instant) for r in rows], []
    except READ_ERRORS:
        pass
    actions: list[Action] = []
    damaged: list[Damage] = []
    for row in rows:
        try:
            actions.append(action_from_row(row, instant))
        except READ_ERRORS as exc:
            damaged.append(_action_damage(row, instant, exc))
    return actions, damaged


def read_actions(rows: Sequence[Sequence[Any]], instant: Instant) -> list[Action]:
    """Every row as an action; one that cannot be read comes with its ``damage`` and an
    empty payload (for display: it is never delivered so)."""
    try:
        return [action_from_row(r, instant) for r in rows]
    except READ_ERRORS:
        pass
    actions: list[Action] = []
    for row in rows:
        try:
            actions.append(action_from_row(row, instant))
        except READ_ERRORS as exc:
            actions.append(_damaged_action(row, instant, action_fault(row, instant, exc)))
    return actions


def _readable(instant: Instant, value: object) -> datetime | None:
    try:
        return instant(value)
    except READ_ERRORS:
        return None


def _damaged_action(row: Sequence[Any], instant: Instant, reason: str) -> Action:
    """What can be read of a damaged outbox row, as an action with its ``damage``."""
    key, ticket_id, kind, target = (str(v) for v in row[:4])
    return Action(
        key,
        ticket_id,
        kind,
        target,
        {},
        _readable(instant, row[5]) or _EPOCH,
        row[6] if type(row[6]) is int else 0,
        _readable(instant, row[7]),
        _readable(instant, row[8]),
        _readable(instant, row[9]),
        row[10],
        row[11],
        _readable(instant, row[12]),
        row[13],
        row[14],
        damage=reason,
    )


def read_events(
    ticket_id: str, rows: Sequence[Sequence[Any]], at: Callable[[Any], datetime]
) -> list[Event]:
    """The events of rows ``seq, at, kind, body, idempotency_key``, ``at`` read by ``at``;
    one that cannot be read comes as an event of kind ``damaged`` (its ``data`` holds the
    kind it was stored with and why it cannot be read)."""
    try:
        return [
            event_from_row(ticket_id, int(r[0]), at(r[1]), str(r[2]), str(r[3]), r[4]) for r in rows
        ]
    except READ_ERRORS:
        pass
    events: list[Event] = []
    for seq, when, kind, body, key in rows:
        try:
            events.append(event_from_row(ticket_id, int(seq), at(when), str(kind), str(body), key))
        except READ_ERRORS as exc:
            data: dict[str, Any] = {"kind": kind}
            try:
                instant = at(when)
            except READ_ERRORS:  # shown without a time: ``stored_at`` is what the row holds
                instant, data["stored_at"] = _EPOCH, str(when)
                data["damage"] = f"at is {_shown(when)}, not an instant"
            else:
                data["damage"] = event_fault(body, exc)
            events.append(Event(ticket_id, int(seq), instant, "damaged", "", key=key, data=data))
    return events
