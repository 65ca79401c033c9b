"""A flat index of a flow document: its levels, steps and triggers, each with its YAML path.

Checks and the compiler both read this index, so the rules about ids, defaults and
targets live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from escflow._i18n import Words, words
from escflow.problems import YamlPath
from escflow.spec._models import RESOLVED, FlowDoc, Level, Step, Trigger
from escflow.timing._duration import length_words

IMPLICIT_TIMER = "timeout"


@dataclass
class UnitRef:
    """A ladder level or a functional team."""

    level: Level
    path: YamlPath
    team: bool
    next: str | None = None
    steps: list[StepRef] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.level.key

    @property
    def entry(self) -> StepRef:
        return self.steps[0]


@dataclass
class StepRef:
    """A step and the level it belongs to."""

    step: Step
    path: YamlPath
    unit: UnitRef
    position: int
    triggers: list[TriggerRef] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.step.id


@dataclass
class TriggerRef:
    """A trigger out of a step, with its target resolved to a step id (or ``resolved``)."""

    trigger: Trigger
    path: YamlPath
    source: StepRef
    target: str | None
    implicit: bool = False

    @property
    def id(self) -> str:
        return self.trigger.id


@dataclass
class FlowIndex:
    """Every unit, step and trigger of one flow; unknown references left as None."""

    flow: FlowDoc
    units: list[UnitRef]
    unit_by_id: dict[str, UnitRef]
    step_by_id: dict[str, StepRef]
    triggers: list[TriggerRef]

    @property
    def ladder(self) -> list[UnitRef]:
        return [u for u in self.units if not u.team]

    def entry_step(self, level_number: int) -> StepRef | None:
        """The first step of the ladder level with this number."""
        for unit in self.ladder:
            if unit.level.level == level_number:
                return unit.entry
        return None


def resolve_target(index: FlowIndex, name: str) -> str | None:
    """A ``to:`` name -> a step id, ``resolved``, or None when unknown."""
    if name == RESOLVED:
        return RESOLVED
    if name in index.unit_by_id:
        return index.unit_by_id[name].entry.id
    if name in index.step_by_id:
        return name
    return None


def timer_label(maximum: str, said: Words) -> str:
    """The label of the timer a window adds, ``maximum`` being the window's end in words:
    what the customer and the chart read."""
    return said.gettext("Unresolved after {length}", length=maximum)


def build_index(flow: FlowDoc) -> FlowIndex:
    """Index a flow; first occurrences win when ids repeat (a check reports the rest)."""
    said = words(flow.language)
    units: list[UnitRef] = []
    for group, team in (("levels", False), ("teams", True)):
        for i, level in enumerate(flow.levels if not team else flow.teams):
            units.append(UnitRef(level, (group, i), team))
    ladder = [u for u in units if not u.team]
    for position, unit in enumerate(ladder):
        following = ladder[position + 1].id if position + 1 < len(ladder) else None
        unit.next = unit.level.escalates_to or following
    for unit in units:
        if unit.team:
            unit.next = unit.level.escalates_to
    unit_by_id: dict[str, UnitRef] = {}
    step_by_id: dict[str, StepRef] = {}
    for unit in units:
        unit_by_id.setdefault(unit.id, unit)
        shorthand = unit.level.steps is None
        for k, step in enumerate(unit.level.all_steps()):
            path = unit.path if shorthand else (*unit.path, "steps", k)
            ref = StepRef(step, path, unit, k)
            unit.steps.append(ref)
            step_by_id.setdefault(step.id, ref)
    index = FlowIndex(flow, units, unit_by_id, step_by_id, [])
    for unit in units:
        for ref in unit.steps:
            for m, trigger in enumerate(ref.step.triggers):
                name = trigger.to if trigger.to is not None else unit.next
                target = resolve_target(index, name) if name is not None else None
                ref.triggers.append(TriggerRef(trigger, (*ref.path, "triggers", m), ref, target))
            maximum = unit.level.window.max
            has_timer = any(t.trigger.automatic for t in ref.triggers)
            if maximum is not None and not has_timer and unit.next is not None:
                label = timer_label(length_words(maximum, said), said)
                timer = Trigger(id=IMPLICIT_TIMER, label=label, automatic=True)
                target = resolve_target(index, unit.next)
                ref.triggers.append(
                    TriggerRef(timer, (*unit.path, "window", "max"), ref, target, implicit=True)
                )
            index.triggers.extend(ref.triggers)
    return index
