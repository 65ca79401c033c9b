"""The ticket list's query: filters read into a store query, and the cursor between pages.

The cursor is where a page ended (its last ticket's next deadline and id), so that the
next page is read from the index right after it: a page costs what it holds, however
deep in the list it is. It is opaque to clients (base64 of a small JSON array) and
checked when it comes back: a cursor that is not one this API made is a 422 naming it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta

from escflow.compile import Matrix
from escflow.errors import InputError, UnknownName
from escflow.records import Status, Ticket
from escflow.spec._load import did_you_mean
from escflow.store import TicketQuery


def encode_cursor(ticket: Ticket) -> str:
    """The cursor of the page after ``ticket`` (the last of its page)."""
    due = ticket.next_due
    raw = json.dumps([due.isoformat() if due else None, ticket.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, str]:
    """Where the page before ended; :class:`~escflow.errors.InputError` for a cursor this
    API did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, last = json.loads(raw)
        if not isinstance(last, str) or not (due is None or isinstance(due, str)):
            raise ValueError(cursor)
        instant = datetime.fromisoformat(due) if due is not None else None
        if instant is not None and instant.tzinfo is None:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InputError(
            f"cursor {cursor[:40]!r} is not one this API gave: pass the 'next' of the page"
            " before as it came, or leave cursor out for the first page"
        ) from None
    return instant, last


def places_of(matrix: Matrix, contact: str, flow: str | None) -> tuple[tuple[str, str], ...]:
    """The (flow, level) pairs that ``contact`` holds in the running flows (of ``flow``
    only, when given)."""
    contacts = matrix.doc.contacts
    if contact not in contacts:
        raise UnknownName(
            f"no contact point '{contact}'{did_you_mean(contact, contacts)} (contact points:"
            f" {', '.join(sorted(contacts))})"
        )
    return tuple(
        (f.id, level.id)
        for f in matrix.flows.values()
        if flow is None or f.id == flow
        for level in f.levels
        if level.contact_id == contact
    )


def ticket_query(
    matrix: Matrix,
    now: datetime,
    *,
    status: Status | None,
    flow: str | None,
    priority: str | None,
    level: str | None,
    contact: str | None,
    due_before: datetime | None,
    breaching_within: int | None,
    cursor: str | None,
    limit: int,
) -> TicketQuery:
    """The store query of a list request. ``breaching_within`` N minutes keeps the
    tickets whose next deadline or warning comes by ``now`` + N; with ``due_before`` too,
    the earlier of the two bounds holds."""
    if due_before is not None and due_before.tzinfo is None:
        raise InputError(
            f"due_before {due_before.isoformat()} has no offset; write e.g."
            f" {due_before.isoformat()}Z or {due_before.isoformat()}+01:00"
        )
    bounds = [b for b in (due_before,) if b is not None]
    if breaching_within is not None:
        bounds.append(now + timedelta(minutes=breaching_within))
    return TicketQuery(
        status=status,
        flow=flow,
        priority=priority,
        level=level,
        places=places_of(matrix, contact, flow) if contact is not None else None,
        due_by=min(bounds) if bounds else None,
        after=decode_cursor(cursor) if cursor is not None else None,
        limit=limit,
    )


__all__ = ["decode_cursor", "encode_cursor", "places_of", "ticket_query"]
