"""Errors as HTTP answers: one table from escflow's error classes to a status, and the
problem document (RFC 9457, ``application/problem+json``) each answer carries.

The table is read by class, most specific first (an error's class and then its bases), so
every subclass of :class:`~escflow.errors.EscflowError`, today's and tomorrow's, has a
status; a bad request never becomes a 500. The problem's ``type`` is a stable URI per
class, so that a client branches on it (or on ``error``), never on the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escflow.errors import (
    AccessError,
    ConflictError,
    DamagedRecord,
    DefinitionError,
    DeliveryError,
    EscflowError,
    InputError,
    KeyReused,
    NotAllowed,
    NotAuthenticated,
    OutputError,
    RetryLater,
    RuntimeFlowError,
    StaleTicket,
    StateError,
    StoreError,
    UnknownHandler,
    UnknownTicket,
)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://escflow.dev/problems/"
"""Problem types are names under this URI (``.../InvalidTrigger``): identifiers that a
client compares, not pages it must fetch."""

# Error class -> (status, title). Read by the error's MRO, so the most specific row wins.
STATUS: Mapping[type[EscflowError], tuple[int, str]] = {
    EscflowError: (422, "The request cannot be carried out"),
    DefinitionError: (422, "The flow definitions have errors"),
    RuntimeFlowError: (422, "The call is refused"),
    InputError: (422, "A value in the request is wrong"),
    UnknownTicket: (404, "No such ticket"),
    StateError: (409, "The ticket's state does not allow this"),
    StaleTicket: (409, "The ticket moved since it was read"),
    KeyReused: (422, "The idempotency key names another call"),
    UnknownHandler: (503, "The server lacks a handler the flow calls"),
    DeliveryError: (502, "An action could not be delivered"),
    OutputError: (503, "The server cannot produce this output now"),
    StoreError: (503, "The ticket store cannot be used"),
    RetryLater: (503, "The ticket store is busy: try again in a moment"),
    ConflictError: (409, "Other writers kept changing the ticket: read it and retry"),
    DamagedRecord: (503, "A stored record cannot be read"),
    AccessError: (403, "The call is not allowed"),
    NotAuthenticated: (401, "A bearer token is needed"),
    NotAllowed: (403, "The token's role does not allow this"),
}
RETRY_AFTER_SECONDS = 1
"""What a 503 for a busy store (:class:`~escflow.errors.RetryLater`) asks a client to wait."""


def status_of(error: EscflowError) -> tuple[int, str]:
    """The status and title for ``error``: the table's row for its nearest class."""
    for cls in type(error).__mro__:
        row = STATUS.get(cls)
        if row is not None:
            return row
    return STATUS[EscflowError]  # unreachable: every error derives from EscflowError


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    kind: str,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A problem document: the RFC's members, then escflow's own (``error``, the fields)."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body["error"] = kind
    body.update(extra)
    return body


_OVERRIDDEN = {
    412: "The ticket is not at the version If-Match named",
    404: "No such resource",
}


def error_problem(
    error: EscflowError, *, instance: str | None = None, status: int | None = None
) -> dict[str, Any]:
    """The problem document of an escflow error: its details (``valid_triggers``,
    ``ticket_id``, ``problems``...) beside the RFC's members. ``status`` overrides the
    table's (a stale ticket the client named with ``If-Match`` is 412)."""
    found, title = status_of(error)
    details = error.details()
    detail = str(details.pop("message"))
    kind = str(details.pop("error"))
    title = _OVERRIDDEN.get(status or found, title) if status else title
    return problem(status or found, title, detail, kind=kind, instance=instance, **details)


__all__ = ["MEDIA_TYPE", "RETRY_AFTER_SECONDS", "STATUS", "error_problem", "problem", "status_of"]
