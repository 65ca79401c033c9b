"""The SLA's timers: a warning at a share of each target, a breach at the target.

A ticket's first response (its first acknowledgement) and its resolution each have a
target (``sla:`` of the flow, by priority). When the flow's ``sla_warning`` share of a
target has passed unmet, an ``sla_warning`` event is added; when the target passes, an
``sla_breach``. Each queues a notification for the contact points of ``sla_notify``, or,
when the flow names none, for the contact point of the level the ticket is at.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from escflow.compile import CompiledFlow
from escflow.records import Action, SlaKind, SlaTargetName, Ticket
from escflow.runtime._draft import Draft

_WORDS: dict[SlaTargetName, str] = {
    "first_response": "first response",
    "resolution": "resolution",
}


def sla_event(
    draft: Draft, flow: CompiledFlow, at: datetime, kind: SlaKind, target: SlaTargetName
) -> None:
    """Add the SLA timer due at ``at`` (``kind`` of ``target``) and queue who hears of it."""
    ticket = draft.current
    due = ticket.response_breach_at if target == "first_response" else ticket.resolution_breach_at
    assert due is not None, "a pending warning has its target pending"
    spec = flow.sla[ticket.priority]
    length = spec.first_response if target == "first_response" else spec.resolution
    words = _WORDS[target]
    if kind == "sla_warning":
        reason = f"{flow.spec.sla_warning * 100:g}% of the {words} target ({length}) passed"
    else:
        reason = f"{words} target ({length}) missed"
    event = draft.add(kind, at, actor="timer", reason=reason, data={"target": target, "due": due})
    local = due.astimezone(ZoneInfo(flow.timezone)).strftime("%a %Y-%m-%d %H:%M %Z")
    if kind == "sla_warning":
        message = f"Ticket {ticket.id}: {reason}; it is due by {local}."
    else:
        message = f"Ticket {ticket.id} missed its {words} target ({length}), due by {local}."
    for n, contact_id in enumerate(_listeners(flow, ticket)):
        contact = flow.contacts[contact_id]
        draft.actions.append(
            Action(
                f"{ticket.id}:{event.seq}:sla-{n}",
                ticket.id,
                "notify",
                contact_id,
                {
                    "ticket": ticket.id,
                    "contact": contact.name,
                    "assignee": ticket.assignee
                    if contact_id == flow.level(ticket.level).contact_id
                    else None,
                    "channel": None,
                    "channels": contact.channels.model_dump(exclude_none=True),
                    "sla": {
                        "event": kind,
                        "target": target,
                        "due": due.astimezone(UTC).isoformat(),
                    },
                    "message": message,
                },
                at,
            )
        )


def _listeners(flow: CompiledFlow, ticket: Ticket) -> list[str]:
    """The contact points told of the ticket's SLA timers: the flow's ``sla_notify``, or
    the contact point of the ticket's level."""
    return list(flow.spec.sla_notify) or [flow.level(ticket.level).contact_id]
