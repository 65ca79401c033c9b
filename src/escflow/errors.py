"""The one exception tree of escflow.

Every error escflow raises on purpose derives from :class:`EscflowError`; foreign
errors (YAML, pydantic, sqlite3, psycopg, transitions) are caught at the boundary
and re-raised as one of these, so a caller needs a single ``except`` clause. The tree
splits by what a caller does about it, so that a service (or the HTTP API) maps an error
to its answer by class, never by reading the message::

    EscflowError
    +-- DefinitionError      a flow or matrix file is wrong (carries every Problem)
    |   +-- SheetError       a spreadsheet is wrong (each Problem names its cell)
    +-- RuntimeFlowError     a call is refused and changed nothing (fields: ticket_id, step,
        |                    valid_triggers)
        +-- InputError       an argument is wrong: fix the call (not text, empty, out of range)
        |   +-- TimeError    a naive datetime, an instant out of reach, a clock going backwards
        |   +-- UnknownName  no such flow, priority, status or handler name in the matrix
        |       +-- UnknownTrigger   the flow has no trigger of this name
        +-- UnknownTicket    no ticket has this id
        +-- StateError       the ticket is not in a state that allows the call: read it again
        |   +-- InvalidTrigger   the trigger exists, but not from the ticket's step (or it is
        |   |                    the timer's)
        |   +-- TicketClosed     resolved: reopen it first
        |   +-- TicketPaused     waiting on the customer: resume it first
        |   +-- DuplicateTicket  a ticket with this id exists already
        |   +-- StaleTicket      not at the step or version the call was meant for
        +-- KeyReused        an idempotency key names another call: a new call needs a new key
        +-- UnknownHandler   a flow calls a handler the embedding service did not register
        +-- FlowUnavailable  the flow's file has errors: it takes no new tickets until fixed
                             (fields: flow, problems)
    +-- DeliveryError        an action could not be delivered: try again later, or never
    +-- BadSignature         a webhook's signature does not match its body, or is too old
    +-- OutputError          a file cannot be written (nothing was)
    |   +-- RenderError      a diagram cannot be drawn: no ``dot``, a bad format or folder
    |   +-- ExportError      a sheet cannot hold the definitions: an unknown format, a cell
    |                        over Excel's limit, things a sheet cannot tell apart
    +-- StoreError           the database cannot be used (wrong URL, damaged, too new)
        +-- RetryLater       it may work in a moment: locked, unreachable, busy
        |   +-- ConflictError    other writers kept changing the ticket: read it and retry
        +-- DamagedRecord    a stored row cannot be read (a hand edit, a disk fault)
    +-- AccessError          the HTTP API does not know who calls, or does not let them
        +-- NotAuthenticated no bearer token, or one the server does not know (401)
        +-- NotAllowed       the token's role does not allow the call (403)
    +-- CatalogueError       a shipped message catalogue is missing or unreadable

The docstring of each class says when it is raised; its message says what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escflow.problems import Problem


class EscflowError(Exception):
    """Base class of every error escflow raises on purpose."""

    def details(self) -> dict[str, object]:
        """What a program reads instead of the message: the class's name (``error``), the
        message, and each subclass's own fields (``ticket_id``, ``problems``, ...). The
        command line prints it with ``--format json``; the HTTP API answers with it."""
        return {"error": type(self).__name__, "message": str(self)}


class DefinitionError(EscflowError):
    """A flow or matrix definition has errors; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [p.format() for p in problems]
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the flow definitions"
        super().__init__("\n".join([head, *lines]))

    def details(self) -> dict[str, object]:
        """The base fields and ``problems``, each as ``validate --format json`` gives it."""
        head = str(self).splitlines()[0]  # the problems follow as data, not as lines
        return {
            **super().details(),
            "message": head,
            "problems": [p.as_dict() for p in self.problems],
        }


class SheetError(DefinitionError):
    """A spreadsheet cannot be imported; each problem names its sheet and cell."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the sheet"
        self.args = ("\n".join([head, *(p.format() for p in problems)]),)


class RuntimeFlowError(EscflowError):
    """A call is refused; nothing changed.

    ``ticket_id``, ``step`` and ``valid_triggers`` say, when the call was about a ticket,
    which one, where it stood, and what could be fired from there instead.
    """

    def __init__(
        self,
        message: str,
        *,
        ticket_id: str | None = None,
        step: str | None = None,
        valid_triggers: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.ticket_id = ticket_id
        self.step = step
        self.valid_triggers = tuple(valid_triggers)

    def details(self) -> dict[str, object]:
        """The base fields and ``ticket_id``, ``step``, ``valid_triggers``."""
        return {
            **super().details(),
            "ticket_id": self.ticket_id,
            "step": self.step,
            "valid_triggers": list(self.valid_triggers),
        }


class InputError(RuntimeFlowError, ValueError):
    """An argument is wrong (not text, empty, out of range, malformed): fix the call."""


class TimeError(InputError):
    """A time value is unusable: naive, going backwards, or outside a calendar's reach."""


class UnknownName(InputError):
    """A name the matrix does not have: a flow, a priority, a status, a handler."""


class UnknownTrigger(UnknownName):
    """The flow has no trigger of this name."""


class UnknownTicket(RuntimeFlowError, LookupError):
    """No ticket has this id."""


class StateError(RuntimeFlowError):
    """The ticket is not in a state that allows the call: read it again, then decide."""


class InvalidTrigger(StateError):
    """The trigger exists, but not from the step the ticket is in, or it is a timer's."""


class TicketClosed(StateError):
    """The ticket is resolved; reopen it first."""


class TicketPaused(StateError):
    """The ticket is paused (waiting on the customer); resume it first."""


class DuplicateTicket(StateError):
    """A ticket with this id already exists."""


class StaleTicket(StateError):
    """The ticket is not at the step or version the call said it was meant for: it moved
    (a timer, another person) since the caller looked."""


class KeyReused(RuntimeFlowError):
    """An idempotency key already names another call (another verb, ticket or argument)."""


class UnknownHandler(RuntimeFlowError):
    """A response names a handler that the embedding service did not register."""


class FlowUnavailable(RuntimeFlowError):
    """A new ticket of a flow whose definition file has errors (a YAML syntax error, a
    failed check) is refused: the matrix was loaded without it (see
    :attr:`escflow.compile.Report.partial`). ``flow`` is the flow id asked for,
    ``problems`` every error of the files that concern it; the message ends with the
    command that checks them again. Running tickets of the flow are not concerned: they
    go on on the version each started on, which the store keeps.
    """

    def __init__(self, message: str, *, flow: str, problems: Sequence[Problem], hint: str) -> None:
        lines = [p.format() for p in problems]
        super().__init__("\n".join([message, *lines, hint]))
        self.flow = flow
        self.problems = tuple(problems)
        self.head = message
        self.hint = hint

    def details(self) -> dict[str, object]:
        """The base fields (the message without the problems' lines), ``flow`` and
        ``problems``, each as ``validate --format json`` gives it."""
        return {
            **super().details(),
            "message": f"{self.head}; {self.hint}",
            "flow": self.flow,
            "problems": [p.as_dict() for p in self.problems],
        }


class DeliveryError(EscflowError):
    """A deliverer could not deliver an action; the outbox records the message.

    ``permanent`` says that trying again cannot help (a webhook answered 410 Gone): the
    action fails at once instead of being retried. ``retry_after`` (a wait) or
    ``retry_at`` (an instant) is when the receiver asked to be tried again (an HTTP
    ``Retry-After``); the outbox waits that long, at most its backoff cap. A deliverer
    that raises anything else is retried with the usual backoff.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: timedelta | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.retry_at = retry_at


class BadSignature(EscflowError):
    """A received webhook is not signed by the secret its receiver holds, its body changed,
    or it was signed too long ago (a replay): :func:`escflow.runtime.verify_webhook` refuses it."""


class OutputError(EscflowError):
    """A file cannot be written: a bad path or name, a full disk, no permission. Nothing
    was written."""


class RenderError(OutputError):
    """A diagram cannot be drawn or written: an unknown format, no ``dot``, a bad path."""


class ExportError(OutputError):
    """The definitions cannot be exported (or the template written): an unknown format, a
    cell longer than an .xlsx cell holds, or definitions the sheet layout cannot tell apart
    (reading the book back would change them). Nothing was written."""


class CatalogueError(EscflowError):
    """One of escflow's own message catalogues (``escflow/locale/*/LC_MESSAGES/escflow.po``)
    is missing, cannot be parsed, or has plural forms other than its language's CLDR rules:
    the installation is damaged or a translator's edit broke it; the message names the file."""


class StoreError(EscflowError):
    """The store cannot be used: a wrong URL, a damaged or foreign database, a newer schema."""


class RetryLater(StoreError):
    """The store could not take the call now (locked, unreachable, busy); the same call may
    succeed in a moment. Nothing was written."""


class ConflictError(RetryLater):
    """Other writers kept changing the ticket while the call was applied; retry the call."""


class DamagedRecord(StoreError):
    """A stored row cannot be read: a ticket row, an action or an event that a hand edit or
    a disk fault left undecodable. ``ticket_id`` is its ticket; ``record`` says which row
    (``ticket``, ``action <key>`` or ``event <seq>``); the message says why and what to do."""

    def __init__(self, message: str, *, ticket_id: str, record: str) -> None:
        super().__init__(message)
        self.ticket_id = ticket_id
        self.record = record

    def details(self) -> dict[str, object]:
        """The base fields and ``ticket_id``, ``record``."""
        return {**super().details(), "ticket_id": self.ticket_id, "record": self.record}


class AccessError(EscflowError):
    """The HTTP API refuses the caller: it does not know who calls, or their token's role
    does not allow the call."""


class NotAuthenticated(AccessError):
    """No bearer token came with the request, or the server knows none like it: send
    ``Authorization: Bearer <token>`` with a token from the server's tokens."""


class NotAllowed(AccessError):
    """The token's role (viewer, agent, admin) does not include the one the call needs."""


__all__ = [
    "AccessError",
    "BadSignature",
    "CatalogueError",
    "ConflictError",
    "DamagedRecord",
    "DefinitionError",
    "DeliveryError",
    "DuplicateTicket",
    "EscflowError",
    "ExportError",
    "FlowUnavailable",
    "InputError",
    "InvalidTrigger",
    "KeyReused",
    "NotAllowed",
    "NotAuthenticated",
    "OutputError",
    "RenderError",
    "RetryLater",
    "RuntimeFlowError",
    "SheetError",
    "StaleTicket",
    "StateError",
    "StoreError",
    "TicketClosed",
    "TicketPaused",
    "TimeError",
    "UnknownHandler",
    "UnknownName",
    "UnknownTicket",
    "UnknownTrigger",
]
