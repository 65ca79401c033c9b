"""One ``transitions`` state machine per compiled flow. The only module importing transitions.

States are the flow's steps (plus ``resolved``); events are its triggers. The machine is
built once per flow version and shared by every ticket: a ticket is passed to
``machine.events[name].trigger(model)`` as a light model holding its step, the pattern
transitions documents for many models (no ``add_model`` per ticket, no Machine per ticket).
"""

from __future__ import annotations

from dataclasses import dataclass

from transitions import Machine, MachineError

from escflow.compile import CompiledFlow
from escflow.errors import InvalidTrigger, UnknownTrigger
from escflow.spec._load import did_you_mean
from escflow.spec._models import RESOLVED


class _Cursor:
    """The model transitions moves: only the step, under the attribute it expects."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass(frozen=True)
class FlowMachine:
    """A flow's steps and triggers as a transitions Machine, with escflow's errors."""

    flow: CompiledFlow
    machine: Machine

    @classmethod
    def build(cls, flow: CompiledFlow) -> FlowMachine:
        """Build the machine of one flow version (done once per version)."""
        machine = Machine(
            model=None,
            states=[*flow.steps, RESOLVED],
            initial=flow.entry(),
            auto_transitions=False,
            send_event=False,
            ignore_invalid_triggers=False,
        )
        for step in flow.steps.values():
            for trigger in step.triggers:
                machine.add_transition(trigger.id, step.id, trigger.target)
        return cls(flow, machine)

    def target(self, ticket_id: str, step: str, trigger: str) -> str:
        """Fire ``trigger`` from ``step``; the step it leads to.

        Raises :class:`UnknownTrigger` when the flow has no such trigger and
        :class:`InvalidTrigger` when it exists but not from ``step``.
        """
        event = self.machine.events.get(trigger)
        if event is None:
            names = sorted(self.machine.events)
            raise UnknownTrigger(
                f"ticket '{ticket_id}': flow '{self.flow.id}' has no trigger '{trigger}'"
                f"{did_you_mean(trigger, names)}; {self.valid_text(step)}",
                ticket_id=ticket_id,
                step=step,
                valid_triggers=self.manual_from(step),
            )
        cursor = _Cursor(step)
        try:
            event.trigger(cursor)
        except MachineError:
            raise InvalidTrigger(
                f"ticket '{ticket_id}' is at step '{step}', where '{trigger}' does not apply;"
                f" {self.valid_text(step)}",
                ticket_id=ticket_id,
                step=step,
                valid_triggers=self.manual_from(step),
            ) from None
        return cursor.state

    def check(self, ticket_id: str, step: str, trigger: str) -> None:
        """Refuse, as :meth:`target` does, a trigger that cannot fire from ``step``."""
        self.target(ticket_id, step, trigger)

    def manual_from(self, step: str) -> tuple[str, ...]:
        """The triggers a person can fire from ``step`` (a timer's fire by themselves)."""
        if step not in self.flow.steps:
            return ()
        return tuple(t.id for t in self.flow.steps[step].triggers if not t.automatic)

    def valid_text(self, step: str) -> str:
        """The triggers valid from ``step``, as a message says them."""
        valid = self.manual_from(step)
        if valid:
            return f"valid from '{step}': {', '.join(valid)}"
        return f"'{step}' has no trigger a person can fire"
