"""The checks an engine call makes on its arguments before it reads anything.

Each refuses with :class:`~escflow.errors.InputError` naming the argument and saying what
to give instead, so that a bad argument never meets the store or the flow.
"""

from __future__ import annotations

from collections.abc import Mapping

from escflow._names import invisible_in
from escflow.errors import InputError
from escflow.records import Attrs, AttrValue
from escflow.spec._models import storable
from escflow.store import check_text, need_text

# Tickets or actions in one tick or delivery round: one transaction, held in memory.
MAX_BATCH = 100_000
# Longer than any CRM's or helpdesk's ticket number; short enough for a listing's column.
MAX_ID = 200


def check_limit(limit: int, name: str = "limit") -> None:
    """Refuse a batch size outside 1 to :data:`MAX_BATCH` (SQLite reads a negative LIMIT
    as no limit at all)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
        raise InputError(f"{name} is {limit!r}; give a whole number from 1 to {MAX_BATCH:,}")


def checked_attrs(attrs: Attrs | None) -> dict[str, AttrValue]:
    """A ticket's attributes, refused unless each is text, a boolean, or a finite number."""
    if attrs is not None and not isinstance(attrs, Mapping):
        raise InputError(
            f"attrs is {attrs!r}; give a mapping of names to values, e.g. {{'region': 'north'}}"
        )
    checked: dict[str, AttrValue] = {}
    for name, value in (attrs or {}).items():
        if not isinstance(name, str):
            raise InputError(f"attribute names are text; got {name!r}")
        if not storable(value):
            raise InputError(
                f"attribute '{name}' is {value!r}; an attribute is text, true/false, a whole"
                " number within 64 bits, or a finite decimal number"
            )
        check_text(**{f"the name of attribute {name!r}": name})
        if isinstance(value, str):
            check_text(**{f"attribute {name!r}": value})
        checked[name] = value
    return checked


def check_id(ticket_id: str) -> None:
    """Refuse an id that could not be typed back or shown on one line as it reads."""
    if not ticket_id.strip():
        raise InputError("the ticket id is empty; give one, or none to have one made")
    if ticket_id != ticket_id.strip():
        raise InputError(
            f"the ticket id {ticket_id!r} starts or ends with spaces; give it without them"
        )
    check_visible(ticket_id, "the ticket id")
    if len(ticket_id) > MAX_ID:
        raise InputError(
            f"the ticket id is {len(ticket_id):,} characters long; give at most {MAX_ID}"
        )


def check_visible(value: str | None, what: str) -> None:
    """Refuse an id (``what``: a ticket id, an actor, a key) holding a character that shows
    nothing or changes how the text around it shows (escflow._names): a control character,
    a bidirectional control, a zero-width or other invisible character. Such an id would
    not read as what it is, and two ids that look the same would differ."""
    found = None if value is None else invisible_in(value)
    if found is not None:
        position, char = found
        raise InputError(
            f"{what} {value!a} holds {char} (at position {position}); {what} is visible"
            " text, without control, bidirectional or zero-width characters"
        )


def check_actor(actor: str) -> None:
    """Refuse an actor that is not text, or blank, or holding hidden characters: the
    history says who did it."""
    need_text(actor=actor)
    check_visible(actor, "the actor")
    if not actor.strip():
        raise InputError("actor is empty; say who does it, e.g. the agent's name")


def check_reason(reason: str | None) -> None:
    """Refuse a reason that no store can keep, or blank: the customer is told it."""
    check_text(reason=reason)
    if reason is not None and not reason.strip():
        raise InputError("reason is empty; say why, or leave it out")


def check_key(key: str | None) -> None:
    """Refuse an idempotency key that no store can keep, or blank: an empty key would make
    every later call that sends one a replay of the first."""
    check_text(key=key)
    check_visible(key, "the idempotency key")
    if key is not None and not key.strip():
        raise InputError(
            "the idempotency key is empty; give a key that names this one call (a request or"
            " event id), or leave it out"
        )


def check_expected(from_step: str | None, if_version: int | None) -> None:
    """Refuse a guard that could never match: a step that is not text, a version that is
    not a whole number from 1."""
    check_text(from_step=from_step)
    if if_version is not None and (
        isinstance(if_version, bool) or not isinstance(if_version, int) or if_version < 1
    ):
        raise InputError(
            f"if_version is {if_version!r}; give the ticket's version as read (a whole number"
            " from 1)"
        )
