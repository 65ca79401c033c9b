"""How a ticket moves: triggers dispatched by the flow's machine, windows that end, levels
entered (duty looked up, windows started, responses queued), deadlines caught up on.

:class:`Moves` holds what is prepared once per flow version (the machine, the responses'
blueprints, the customer notices) and adds the events of each move to a call's
:class:`~escflow.runtime._draft.Draft`; the engine decides which moves a call makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from escflow._i18n import words
from escflow.compile import CompiledFlow, CompiledLevel, CompiledTrigger
from escflow.compile._index import timer_label
from escflow.errors import InvalidTrigger, RuntimeFlowError, TicketClosed, TicketPaused
from escflow.records import EventKind, Ticket
from escflow.runtime._actions import Blueprint, Notice, blueprints, warning_action
from escflow.runtime._draft import Draft
from escflow.runtime._machine import FlowMachine
from escflow.runtime._sla import sla_event
from escflow.runtime._timing import Timing
from escflow.spec._models import RESOLVED

# Timer events one call applies to one ticket: only a flow whose timers loop, left without
# a worker for long, has more due; a tick applies these and leaves the rest for the next.
CATCH_UP = 10_000


def must_be_open(ticket: Ticket, valid: tuple[str, ...] = ()) -> Ticket:
    """The ticket, refused when it is resolved or paused."""
    if ticket.status == "resolved":
        raise TicketClosed(
            f"ticket '{ticket.id}' is resolved; reopen it first", ticket_id=ticket.id
        )
    if ticket.status == "paused":
        raise TicketPaused(
            f"ticket '{ticket.id}' is paused (waiting on the customer); resume it first",
            ticket_id=ticket.id,
            step=ticket.step,
        )
    return ticket


class Moves:
    """The moves of tickets through compiled flows, with what each flow version prepares."""

    def __init__(self) -> None:
        self.timing = Timing()
        self._machines: dict[str, FlowMachine] = {}
        self._responses: dict[tuple[str, str, str], tuple[Blueprint, ...]] = {}
        self._notices: dict[tuple[str, str, str], Notice] = {}

    def machine(self, flow: CompiledFlow) -> FlowMachine:
        """The flow version's state machine, built on first use."""
        machine = self._machines.get(flow.digest)
        if machine is None:
            machine = FlowMachine.build(flow)
            self._machines[flow.digest] = machine
        return machine

    def catch_up(
        self, draft: Draft, flow: CompiledFlow, now: datetime, *, partial: bool = False
    ) -> None:
        """Apply, at their own instants, the warnings and deadlines due by ``now``, the
        SLA's among them.

        At most :data:`CATCH_UP` of them: with more due, a ``partial`` catch-up (a tick)
        stops there, and any other call is refused rather than applied to a ticket that is
        not where its flow has taken it.
        """
        key, draft.key = draft.key, None
        for _ in range(CATCH_UP):
            ticket = draft.current
            due = ticket.next_due
            if due is None or due > now:
                break
            sla = ticket.sla_timer()
            if sla is not None and sla[0] <= due:  # at one instant, before the window's
                sla_event(draft, flow, *sla)
                continue
            if ticket.warn_at is not None and (
                ticket.deadline is None or ticket.warn_at <= ticket.deadline
            ):
                level = flow.level(ticket.level)
                minimum = self.timing.window_text(flow, level, ticket.priority).min
                event = draft.add(
                    "warned",
                    ticket.warn_at,
                    actor="timer",
                    reason=words(flow.language).gettext(
                        "window minimum {length} passed", length=minimum
                    ),
                    data=self._duty(flow, level, ticket, ticket.warn_at),
                )
                action_key = f"{ticket.id}:{event.seq}:warning"
                draft.actions.append(
                    warning_action(flow, draft.current, level, str(minimum), action_key, event.at)
                )
                continue
            self._expire(draft, flow, ticket)
        else:
            due = draft.current.next_due
            if not partial and due is not None and due <= now:
                raise RuntimeFlowError(
                    f"ticket '{draft.ticket_id}' has more than {CATCH_UP:,} warnings and"
                    f" deadlines due before {now.isoformat()} (its flow's timers loop); let a"
                    " worker catch it up (escflow worker --once, or Engine.tick) and call again",
                    ticket_id=draft.ticket_id,
                )
        draft.key = key

    def edge(self, flow: CompiledFlow, ticket: Ticket, trigger: str) -> CompiledTrigger:
        """The manual trigger ``trigger`` of the ticket's step, checked by the machine.

        Raises :class:`~escflow.errors.UnknownTrigger` or :class:`InvalidTrigger` (an
        automatic trigger is the timer's: it fires by itself when the window ends).
        """
        machine = self.machine(flow)
        machine.check(ticket.id, ticket.step, trigger)
        edge = flow.steps[ticket.step].trigger(trigger)
        assert edge is not None, "the machine has this step's triggers"
        if edge.automatic:
            when = ticket.deadline.isoformat() if ticket.deadline else "when the window ends"
            raise InvalidTrigger(
                f"ticket '{ticket.id}': '{trigger}' is the timer's trigger of step"
                f" '{ticket.step}', fired by itself at {when}; {machine.valid_text(ticket.step)}",
                ticket_id=ticket.id,
                step=ticket.step,
                valid_triggers=machine.manual_from(ticket.step),
            )
        return edge

    def fire(
        self,
        draft: Draft,
        flow: CompiledFlow,
        now: datetime,
        edge: CompiledTrigger,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> None:
        """Follow a manual trigger of the ticket's step (checked by :meth:`edge`)."""
        target = self.machine(flow).target(draft.ticket_id, draft.current.step, edge.id)
        self._follow(draft, flow, "moved", now, edge, target, reason=reason, note=note)

    def _expire(self, draft: Draft, flow: CompiledFlow, ticket: Ticket) -> None:
        assert ticket.deadline is not None
        at = ticket.deadline
        level = flow.level(ticket.level)
        if ticket.repeats < level.repeat:
            self.enter(
                draft,
                flow,
                "repeated",
                at,
                level.entry,
                actor="timer",
                reason=words(flow.language).gettext(
                    "window ended; level repeats ({count} of {repeat})",
                    count=ticket.repeats + 1,
                    repeat=level.repeat,
                ),
                repeats=ticket.repeats + 1,
                notice=False,
            )
            return
        timer = flow.steps[ticket.step].timer
        window = self.timing.window_text(flow, level, ticket.priority)
        if timer is None:
            draft.add(
                "expired",
                at,
                actor="timer",
                reason=words(flow.language).gettext(
                    "window of {window} ended; no automatic trigger leads on",
                    window=window.window,
                ),
            )
            return
        target = self.machine(flow).target(ticket.id, ticket.step, timer.id)
        # The timer a window adds is labelled with the window's end as written; the reason
        # a ticket gives quotes the end its priority gave it.
        reason = (
            timer_label(window.max, words(flow.language)) if timer.implicit and window.max else None
        )
        self._follow(draft, flow, "escalated", at, timer, target, actor="timer", reason=reason)

    def _follow(
        self,
        draft: Draft,
        flow: CompiledFlow,
        kind: EventKind,
        at: datetime,
        edge: CompiledTrigger,
        target: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        actor: str | None = None,
    ) -> None:
        ticket = draft.current
        why = reason or edge.reason or edge.label
        if target == RESOLVED:
            draft.add(
                "resolved",
                at,
                from_step=ticket.step,
                trigger=edge.id,
                reason=why,
                note=note,
                actor=actor,
                data=sla_outcome(ticket, at),
            )
            return
        if flow.steps[target].level == ticket.level and edge.kind in ("step", "loop"):
            event = draft.add(
                kind,
                at,
                from_step=ticket.step,
                to_step=target,
                trigger=edge.id,
                reason=why,
                note=note,
                actor=actor,
                data=self._duty(flow, flow.level(ticket.level), ticket, at),
            )
            self._queue_responses(draft, flow, target, event.seq, event.at, why)
            return
        self.enter(
            draft, flow, kind, at, target, trigger=edge.id, reason=why, note=note, actor=actor
        )

    def enter(
        self,
        draft: Draft,
        flow: CompiledFlow,
        kind: EventKind,
        at: datetime,
        step: str,
        *,
        trigger: str | None = None,
        reason: str | None = None,
        note: str | None = None,
        actor: str | None = None,
        repeats: int = 0,
        notice: bool = True,
        opening: Mapping[str, Any] | None = None,
        skips: int = 0,
    ) -> None:
        """Enter ``step`` at a new level: its window starts, duty is looked up, actions queue."""
        level = flow.level_of(step)
        from_step = draft.ticket.step if draft.ticket else None
        on_duty, person = self.timing.on_duty(flow, level, at)
        start: datetime | None = at
        if (
            not on_duty
            and level.contact.off_duty == "skip"
            and level.next
            and skips < len(flow.levels)
        ):
            passed = draft.add(
                kind,
                at,
                from_step=from_step,
                to_step=step,
                trigger=trigger,
                reason=reason,
                note=note,
                actor=actor,
                data={
                    **(opening or {}),
                    "level": level.id,
                    "deadline": None,
                    "warn_at": None,
                    "assignee": None,
                },
            )
            # What needs no person still happens (an incident opened, a status page
            # posted); what is addressed to the people off duty does not (when_skipped).
            said = _reason(flow, kind, reason, passed.data.get("priority"))
            self._queue_responses(draft, flow, step, passed.seq, at, said, skipped=True)
            following = flow.level(level.next)
            self.enter(
                draft,
                flow,
                "skipped",
                at,
                following.entry,
                actor="timer",
                reason=nobody_on_duty(flow, level),
                skips=skips + 1,
            )
            return
        if not on_duty:
            start = self.timing.next_on_duty(flow, level, at)
            person = self.timing.on_duty(flow, level, start)[1] if start else None
        priority = (opening or {}).get("priority") or (
            draft.ticket.priority if draft.ticket else ""
        )
        span = self.timing.span(flow, level, priority, start) if start else None
        data = {
            **(opening or {}),
            "level": level.id,
            "deadline": span.deadline if span else None,
            "warn_at": span.warn_at if span else None,
            "assignee": person,
            "repeats": repeats,
        }
        event = draft.add(
            kind,
            at,
            from_step=from_step,
            to_step=step,
            trigger=trigger,
            reason=reason,
            note=note,
            actor=actor,
            data=data,
        )
        if not on_duty:
            draft.add(
                "held",
                at,
                actor="timer",
                reason=nobody_on_duty(flow, level),
                data={
                    "until": start,
                    "deadline": data["deadline"],
                    "warn_at": data["warn_at"],
                },
            )
        reason = _reason(flow, kind, reason, priority)
        self._queue_responses(draft, flow, step, event.seq, event.at, reason)
        if notice and kind not in ("opened", "repeated", "reopened"):
            key = (flow.digest, level.id, draft.current.priority)
            prepared = self._notices.get(key)
            if prepared is None:
                window = self.timing.window_text(flow, level, draft.current.priority).window
                prepared = self._notices[key] = Notice.of(flow, level, window)
            draft.actions.append(
                prepared.action(
                    draft.current, reason or "", f"{draft.ticket_id}:{event.seq}:notice", at
                )
            )

    def _duty(
        self, flow: CompiledFlow, level: CompiledLevel, ticket: Ticket, at: datetime
    ) -> dict[str, Any]:
        """``{"assignee": who}`` when the level's rota has turned since the ticket entered
        it (or was last told): the actions queued at ``at`` name who is on duty then,
        and the ticket's assignee follows (``{}`` when it has not turned)."""
        if self.timing.rotation(flow, level.contact_id) is None:
            return {}
        person = self.timing.on_duty(flow, level, at)[1]
        return {} if person == ticket.assignee else {"assignee": person}

    def _queue_responses(
        self,
        draft: Draft,
        flow: CompiledFlow,
        step: str,
        seq: int,
        at: datetime,
        reason: str,
        *,
        skipped: bool = False,
    ) -> None:
        """Queue the automated responses of ``step`` (``skipped``: those that run when the
        ticket passes through its level for nobody on duty), keyed by their place among
        the step's responses."""
        ticket = draft.current
        key = (flow.digest, step, ticket.priority)
        prepared = self._responses.get(key)
        if prepared is None:
            level = flow.level_of(step)
            window = self.timing.window_text(flow, level, ticket.priority).window
            prepared = self._responses[key] = blueprints(flow, step, window)
        for i, blueprint in enumerate(prepared):
            if skipped and not blueprint.when_skipped:
                continue
            action_key = f"{draft.ticket_id}:{seq}:{i}"
            draft.actions.append(blueprint.action(ticket, reason, action_key, at, skipped=skipped))


def _reason(flow: CompiledFlow, kind: EventKind, reason: str | None, priority: object) -> str:
    """What a level's ``$reason`` says: the move's reason; at first, the new ticket's (in
    the flow's language)."""
    if reason is None and kind == "opened":
        return words(flow.language).gettext("new ticket, priority {priority}", priority=priority)
    return reason or ""


def nobody_on_duty(flow: CompiledFlow, level: CompiledLevel) -> str:
    """Why a level is skipped or a ticket held there, in the flow's language."""
    return words(flow.language).gettext("nobody on duty at {level}", level=level.name)


def sla_outcome(ticket: Ticket, at: datetime) -> dict[str, Any]:
    """Whether a ticket resolved at ``at`` met its resolution target (None: it had none)."""
    due = ticket.resolution_due
    return {"within_sla": None if due is None else at <= due}
