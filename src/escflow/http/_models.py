"""The API's request and response bodies, as pydantic models: the OpenAPI document is
generated from them, so what it says is what the server sends.

Requests refuse unknown fields (a misspelt ``prority`` is a 422 naming it, not a value
silently dropped) and instants without an offset. Every instant a response gives is
UTC; a ticket's deadlines come twice, in UTC and in the local time of the flow's
calendar (:class:`Instant`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

AttrValue = bool | int | float | str  # bool first: pydantic would read true as 1


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- requests ----------------------------------------------------------------------


class _Said(_Request):
    note: str | None = Field(default=None, description="a note for the history")
    reason: str | None = Field(default=None, description="why: what the customer is told")
    at: AwareDatetime | None = Field(
        default=None, description="when it happened, if not now (a late report), with offset"
    )


class OpenTicket(_Said):
    """Open a ticket of a flow (issue category) at its priority's entry step."""

    flow: str = Field(description="the flow id (issue category), e.g. complaint")
    priority: str | None = Field(default=None, description="default: the flow's")
    id: str | None = Field(default=None, description="the ticket id (default: one is made)")
    attrs: dict[str, AttrValue] = Field(default_factory=dict)


class Call(_Said):
    """Acknowledge, pause, resume, resolve or reopen a ticket."""

    from_step: str | None = Field(
        default=None, description="refuse unless the ticket is at this step (the one you saw)"
    )


class Fire(Call):
    """Fire a trigger of the ticket's step."""

    trigger: str = Field(description="a trigger id valid from the ticket's step")


class Attach(_Request):
    """Record evidence on a ticket."""

    kind: Literal["email", "call", "document", "note"]
    summary: str = Field(description="what it says, in a line")
    ref: str | None = Field(default=None, description="where it is kept: a message id, a link")
    occurred_at: AwareDatetime | None = Field(
        default=None, description="when the call or email happened"
    )
    at: AwareDatetime | None = None
    from_step: str | None = None


# --- flows -------------------------------------------------------------------------


class WindowOut(_Response):
    """A window in words: ``window`` whole, its ``min`` (warning) and ``max`` (escalation)."""

    window: str
    min: str | None
    max: str | None


class LevelOut(_Response):
    """A level of the ladder, or a functional team beside it."""

    id: str
    number: int
    name: str
    team: bool
    contact_id: str
    contact: str
    calendar: str | None
    steps: list[str]
    next: str | None
    window: WindowOut = Field(description="the window as written in the flow")
    windows: dict[str, WindowOut] = Field(
        description="the window each priority gives this level (by priority id)"
    )


class TriggerOut(_Response):
    """An edge out of a step."""

    id: str
    label: str
    source: str
    target: str
    kind: str
    automatic: bool


class StepOut(_Response):
    """A step of a level, with its triggers."""

    id: str
    name: str
    level: str
    triggers: list[TriggerOut]


class PriorityOut(_Response):
    """A priority as this flow applies it."""

    id: str
    name: str
    rank: int
    entry_level: str
    factor: float
    first_response: str | None = Field(description="the SLA target, when the flow has one")
    resolution: str | None


class VersionOut(_Response):
    """A version of a flow the store holds (tickets run to their end on theirs)."""

    digest: str
    saved_at: datetime | None
    running: bool = Field(description="the version new tickets open on")


class FlowSummary(_Response):
    """A flow in the list."""

    id: str
    name: str
    issue_type: str
    language: str
    digest: str
    levels: int


class FlowList(_Response):
    """The flows the server runs, and when it loaded them."""

    loaded_at: datetime
    flows: list[FlowSummary]


class FlowOut(_Response):
    """One compiled flow."""

    id: str
    name: str
    issue_type: str
    language: str
    description: str | None
    digest: str
    timezone: str
    default_priority: str | None
    levels: list[LevelOut]
    steps: list[StepOut]
    priorities: list[PriorityOut]
    versions: list[VersionOut]


class ReloadOut(_Response):
    """What a reload did: the versions now running, and what changed."""

    loaded_at: datetime
    versions: dict[str, str]
    added: list[str]
    changed: list[str]
    removed: list[str]


# --- tickets -----------------------------------------------------------------------


class Instant(_Response):
    """An instant in UTC and in the local time of the flow's calendar."""

    utc: datetime
    local: datetime


class OnDuty(_Response):
    """Who holds the ticket's level: its contact point, and the person on duty now."""

    contact_id: str
    contact: str
    person: str | None


class SlaUse(_Response):
    """One SLA target of the ticket and how much of it is used."""

    target: Literal["first_response", "resolution"]
    due: Instant | None
    done: Instant | None = Field(description="when it was met (first response, resolution)")
    used: float | None = Field(
        description="the share of the time to the target gone by (1.0 = due now), at the"
        " answer or when it was met"
    )
    breached: bool


class TicketOut(_Response):
    """A ticket as its flow has taken it by now."""

    id: str
    flow: str
    digest: str
    priority: str
    status: Literal["open", "paused", "resolved"]
    step: str
    level: str
    version: int
    timezone: str = Field(description="the calendar's time zone the local times are in")
    opened_at: Instant
    updated_at: Instant
    deadline: Instant | None = Field(description="when the level's window ends (escalation)")
    warn_at: Instant | None = Field(description="when its minimum passes (warning)")
    next_due: Instant | None
    on_duty: OnDuty
    valid_triggers: list[str]
    sla: list[SlaUse]
    attrs: dict[str, AttrValue]
    acknowledged: bool


class EventOut(_Response):
    """One event of a ticket's history."""

    seq: int
    at: datetime
    kind: str
    actor: str
    from_step: str | None
    to_step: str | None
    trigger: str | None
    reason: str | None
    note: str | None
    key: str | None
    data: dict[str, Any]


class ActionOut(_Response):
    """An action in the outbox, with its delivery status."""

    key: str
    kind: str
    target: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    last_error: str | None
    payload: dict[str, Any]


class ChangeOut(_Response):
    """What a command changed: the ticket after it, its events and the actions queued.
    ``replayed`` says the idempotency key was applied already (nothing applied again)."""

    ticket: TicketOut
    events: list[EventOut]
    actions: list[ActionOut]
    replayed: bool


class TicketPage(_Response):
    """A page of tickets, soonest next deadline first; ``next`` is the cursor of the
    page after (None on the last)."""

    items: list[TicketOut]
    next: str | None


class Health(_Response):
    """The server is up."""

    status: Literal["ok"]


class Ready(_Response):
    """The store answers and its schema is the one this escflow writes."""

    status: Literal["ready"]
    schema_version: int | None = Field(description="None for a store in memory")


class ProblemOut(BaseModel):
    """An error (RFC 9457): what is wrong (``detail``) and escflow's fields beside it."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    error: str = Field(description="the error's class: what a client branches on")


__all__ = [
    "ActionOut",
    "Attach",
    "Call",
    "ChangeOut",
    "EventOut",
    "Fire",
    "FlowList",
    "FlowOut",
    "FlowSummary",
    "Health",
    "Instant",
    "LevelOut",
    "OnDuty",
    "OpenTicket",
    "PriorityOut",
    "ProblemOut",
    "Ready",
    "ReloadOut",
    "SlaUse",
    "StepOut",
    "TicketOut",
    "TicketPage",
    "TriggerOut",
    "VersionOut",
    "WindowOut",
]
