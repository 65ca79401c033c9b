"""The one exception tree of escflow.

Every error escflow raises on purpose derives from :class:`EscflowError`; foreign
errors (YAML, pydantic, sqlite3, psycopg, transitions) are caught at the boundary
and re-raised as one of these, so a caller needs a single ``except`` clause::

    EscflowError
    +-- DefinitionError      a flow or matrix file is wrong (carries every Problem)
    +-- TimeError            a naive datetime, a clock that goes backwards, a bad calendar
    +-- RuntimeFlowError     a ticket operation that the flow does not allow
        +-- UnknownTicket
        +-- UnknownTrigger
        +-- InvalidTrigger   the trigger exists but not from the ticket's step
        +-- TicketClosed
        +-- DuplicateTicket
        +-- UnknownHandler
    +-- RenderError          a diagram cannot be drawn: no ``dot``, a bad format or folder
    +-- StoreError           the database cannot be used (wrong URL, locked, full, too new)
        +-- ConflictError    another writer changed the ticket first: read it again and retry

The docstring of each class says when it is raised; its message says what to fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escflow.problems import Problem


class EscflowError(Exception):
    """Base class of every error escflow raises on purpose."""


class DefinitionError(EscflowError):
    """A flow or matrix definition has errors; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [p.format() for p in problems]
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the flow definitions"
        super().__init__("\n".join([head, *lines]))


class TimeError(EscflowError):
    """A time value is unusable: naive, going backwards, or outside a calendar's reach."""


class RuntimeFlowError(EscflowError):
    """A ticket operation the flow does not allow."""


class UnknownTicket(RuntimeFlowError):
    """No ticket has this id."""


class UnknownTrigger(RuntimeFlowError):
    """The flow has no trigger of this name."""


class InvalidTrigger(RuntimeFlowError):
    """The trigger exists, but not from the step the ticket is in."""


class TicketClosed(RuntimeFlowError):
    """The ticket is resolved; reopen it first."""


class DuplicateTicket(RuntimeFlowError):
    """A ticket with this id already exists."""


class UnknownHandler(RuntimeFlowError):
    """A response names a handler that the embedding service did not register."""


class RenderError(EscflowError):
    """A diagram cannot be drawn or written: an unknown format, no ``dot``, a bad path."""


class StoreError(EscflowError):
    """The store cannot be used: a wrong URL, a locked or full database, a newer schema."""


class ConflictError(StoreError):
    """Another writer changed the ticket between our read and our write; retry the call."""
