"""Domain objects as the API's response models: flows, tickets, events, actions.

Each function reads what the engine and the compiled flow already know; the HTTP layer
holds no domain rule of its own. A ticket is shown as its flow has taken it by now (the
engine's preview: deadlines that passed since it was stored are applied), as ``fire``
would see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from escflow.compile import CompiledFlow
from escflow.http import _models as m
from escflow.records import Action, Change, Event, Ticket
from escflow.runtime import Engine
from escflow.runtime._timing import Timing
from escflow.spec import Window

_TIMING = Timing()  # caches window texts by flow digest, so one is shared by every answer


def _window(window: Window) -> m.WindowOut:
    low, high = window.min, window.max
    return m.WindowOut(
        window=str(window),
        min=str(low) if low is not None else None,
        max=str(high) if high is not None else None,
    )


def flow_out(flow: CompiledFlow, versions: list[m.VersionOut]) -> m.FlowOut:
    """One compiled flow: its levels with the windows as written and per priority, its
    steps and triggers, its priorities with their SLA targets, the versions stored."""
    levels = []
    for level in flow.levels:
        per_priority = {}
        for priority in flow.priorities:
            text = _TIMING.window_text(flow, level, priority)
            per_priority[priority] = m.WindowOut(window=text.window, min=text.min, max=text.max)
        levels.append(
            m.LevelOut(
                id=level.id,
                number=level.number,
                name=level.name,
                team=level.team,
                contact_id=level.contact_id,
                contact=level.contact.name,
                calendar=level.calendar,
                steps=list(level.steps),
                next=level.next,
                window=_window(level.window),
                windows=per_priority,
            )
        )
    steps = [
        m.StepOut(
            id=step.id,
            name=step.name,
            level=step.level,
            triggers=[
                m.TriggerOut(
                    id=t.id,
                    label=t.label,
                    source=t.source,
                    target=t.target,
                    kind=t.kind,
                    automatic=t.automatic,
                )
                for t in step.triggers
            ],
        )
        for step in flow.steps.values()
    ]
    priorities = []
    for p in flow.priorities.values():
        sla = flow.sla.get(p.id)
        priorities.append(
            m.PriorityOut(
                id=p.id,
                name=p.name,
                rank=p.rank,
                entry_level=p.entry_level,
                factor=p.factor,
                first_response=str(sla.first_response) if sla else None,
                resolution=str(sla.resolution) if sla else None,
            )
        )
    return m.FlowOut(
        id=flow.id,
        name=flow.name,
        issue_type=flow.issue_type,
        language=flow.language,
        description=flow.description,
        digest=flow.digest,
        timezone=flow.timezone,
        default_priority=flow.default_priority,
        levels=levels,
        steps=steps,
        priorities=priorities,
        versions=versions,
    )


def flow_summary(flow: CompiledFlow) -> m.FlowSummary:
    """A flow as the list shows it."""
    return m.FlowSummary(
        id=flow.id,
        name=flow.name,
        issue_type=flow.issue_type,
        language=flow.language,
        digest=flow.digest,
        levels=len(flow.levels),
    )


def _instant(at: datetime | None, zone: ZoneInfo) -> m.Instant | None:
    if at is None:
        return None
    return m.Instant(utc=at.astimezone(ZoneInfo("UTC")), local=at.astimezone(zone))


def _sla(
    target: Literal["first_response", "resolution"],
    opened: datetime,
    due: datetime | None,
    done: datetime | None,
    now: datetime,
    zone: ZoneInfo,
) -> m.SlaUse:
    """How much of a target is used: the time gone by since the ticket opened, until
    ``done`` (the target met) or now, over the time it had. Wall time: a pause has moved
    ``due`` on already, so the share stays right across pauses within a few percent."""
    end = done or now
    used = None
    if due is not None:
        span = (due - opened).total_seconds()
        used = round((end - opened).total_seconds() / span, 4) if span > 0 else 1.0
    return m.SlaUse(
        target=target,
        due=_instant(due, zone),
        done=_instant(done, zone),
        used=used,
        breached=due is not None and end > due,
    )


def ticket_out(engine: Engine, ticket: Ticket, now: datetime) -> m.TicketOut:
    """A ticket (as given: preview it first to show it as of now) with its valid
    triggers, deadlines in UTC and local time, who is on duty and its SLA use."""
    flow = engine.flow_of(ticket)
    zone = ZoneInfo(flow.timezone)
    level = flow.level(ticket.level)
    instant = _instant  # short name for the many fields below
    return m.TicketOut(
        id=ticket.id,
        flow=ticket.flow,
        digest=ticket.digest,
        priority=ticket.priority,
        status=ticket.status,
        step=ticket.step,
        level=ticket.level,
        version=ticket.version,
        timezone=flow.timezone,
        opened_at=_required(ticket.opened_at, zone),
        updated_at=_required(ticket.updated_at, zone),
        deadline=instant(ticket.deadline, zone),
        warn_at=instant(ticket.warn_at, zone),
        next_due=instant(ticket.next_due, zone),
        on_duty=m.OnDuty(
            contact_id=level.contact_id, contact=level.contact.name, person=ticket.assignee
        ),
        valid_triggers=engine.triggers_of(ticket),
        sla=[
            _sla(
                "first_response",
                ticket.opened_at,
                ticket.first_response_due,
                ticket.first_response_at,
                now,
                zone,
            ),
            _sla(
                "resolution",
                ticket.opened_at,
                ticket.resolution_due,
                ticket.resolved_at,
                now,
                zone,
            ),
        ],
        attrs=dict(ticket.attrs),
        acknowledged=ticket.acknowledged,
    )


def _required(at: datetime, zone: ZoneInfo) -> m.Instant:
    return m.Instant(utc=at.astimezone(ZoneInfo("UTC")), local=at.astimezone(zone))


def jsonable(value: Any) -> Any:
    """Event data and payloads as JSON values: instants as ISO 8601 text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


R = TypeVar("R", bound=BaseModel)


def _record_out(model: type[R], record: object, **computed: Any) -> R:
    """``model`` filled from the record's attributes of the same names; ``computed`` gives
    the fields that are not copied as they are."""
    copied = {name: getattr(record, name) for name in model.model_fields if name not in computed}
    return model(**copied, **computed)


def event_out(event: Event) -> m.EventOut:
    """One event."""
    return _record_out(m.EventOut, event, data=jsonable(event.data))


def action_out(action: Action) -> m.ActionOut:
    """One action of the outbox."""
    return _record_out(m.ActionOut, action, payload=jsonable(action.payload))


def change_out(engine: Engine, change: Change, now: datetime) -> m.ChangeOut:
    """What a command did."""
    return m.ChangeOut(
        ticket=ticket_out(engine, change.ticket, now),
        events=[event_out(e) for e in change.events],
        actions=[action_out(a) for a in change.actions],
        replayed=change.replayed,
    )


__all__ = [
    "action_out",
    "change_out",
    "event_out",
    "flow_out",
    "flow_summary",
    "jsonable",
    "ticket_out",
]
