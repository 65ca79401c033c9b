"""What the runner and the renderer read: a flow with every default and reference resolved."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, TypeVar

from escflow.errors import FlowUnavailable, UnknownName
from escflow.problems import Problem
from escflow.spec._load import did_you_mean
from escflow.spec._models import (
    RESOLVED,
    Calendar,
    Contact,
    FlowDoc,
    HandlerAction,
    MatrixDoc,
    Response,
    SlaTarget,
    Window,
)

TriggerKind = Literal["hierarchical", "functional", "loop", "step", "resolution"]


@dataclass(frozen=True)
class CompiledTrigger:
    """An edge: from a step to a step (or to resolution), manual or automatic."""

    id: str
    label: str
    source: str
    target: str
    kind: TriggerKind
    automatic: bool
    implicit: bool
    reason: str | None

    @property
    def resolves(self) -> bool:
        """True when the trigger ends the ticket."""
        return self.target == RESOLVED


@dataclass(frozen=True)
class CompiledStep:
    """A state of the flow."""

    id: str
    name: str
    level: str
    responses: tuple[Response, ...]
    triggers: tuple[CompiledTrigger, ...]

    @cached_property
    def timer(self) -> CompiledTrigger | None:
        """The automatic trigger that fires when the level's window ends, if any."""
        return next((t for t in self.triggers if t.automatic), None)

    @cached_property
    def _by_id(self) -> dict[str, CompiledTrigger]:
        return {t.id: t for t in self.triggers}

    def trigger(self, trigger_id: str) -> CompiledTrigger | None:
        """The step's trigger with this id, or None."""
        return self._by_id.get(trigger_id)


@dataclass(frozen=True)
class CompiledLevel:
    """A ladder level or a functional team, with its contact point and window resolved."""

    id: str
    number: int
    name: str
    contact_id: str
    contact: Contact
    window: Window
    calendar: str | None
    repeat: int
    team: bool
    next: str | None
    steps: tuple[str, ...]

    @property
    def entry(self) -> str:
        """The step a ticket enters this level at."""
        return self.steps[0]


@dataclass(frozen=True)
class EffectivePriority:
    """A priority as one flow applies it."""

    id: str
    name: str
    rank: int
    entry_level: str
    factor: float
    windows: Mapping[str, Window]

    def window(self, level: CompiledLevel) -> tuple[Window, float]:
        """The window this priority gives ``level``, and the factor still to apply."""
        if level.id in self.windows:
            return self.windows[level.id], 1.0
        return level.window, self.factor


@dataclass(frozen=True)
class CompiledFlow:
    """One flow, checked and resolved; ``digest`` pins this exact version."""

    id: str
    name: str
    issue_type: str
    issue_type_name: str
    language: str
    description: str | None
    file: str
    digest: str
    levels: tuple[CompiledLevel, ...]
    steps: Mapping[str, CompiledStep]
    priorities: Mapping[str, EffectivePriority]
    default_priority: str | None
    sla: Mapping[str, SlaTarget]
    calendars: Mapping[str, Calendar]
    contacts: Mapping[str, Contact]
    default_calendar: str | None
    source: str = field(repr=False, compare=False)
    """The canonical text of this version; ``compile_source`` rebuilds the flow from it."""
    spec: FlowDoc = field(repr=False, compare=False)

    @property
    def ladder(self) -> tuple[CompiledLevel, ...]:
        """The levels in order, without the functional teams."""
        return tuple(level for level in self.levels if not level.team)

    @property
    def teams(self) -> tuple[CompiledLevel, ...]:
        """The functional teams beside the ladder."""
        return tuple(level for level in self.levels if level.team)

    @property
    def handler_names(self) -> frozenset[str]:
        """The named handlers this flow's responses call (the service must register them)."""
        return frozenset(
            r.handler
            for step in self.steps.values()
            for r in step.responses
            if isinstance(r, HandlerAction)
        )

    @property
    def triggers(self) -> tuple[CompiledTrigger, ...]:
        """Every trigger of every step, in definition order."""
        return tuple(t for step in self.steps.values() for t in step.triggers)

    @property
    def calendar(self) -> str | None:
        """The calendar the flow counts in when a level does not name its own."""
        return self.spec.calendar or self.default_calendar

    @property
    def timezone(self) -> str:
        """The flow calendar's time zone (UTC without a calendar)."""
        spec = self.calendars.get(self.calendar) if self.calendar is not None else None
        return spec.timezone if spec is not None else "UTC"

    @cached_property
    def _by_id(self) -> dict[str, CompiledLevel]:
        return {level.id: level for level in self.levels}

    def level(self, level_id: str) -> CompiledLevel:
        """The level (or team) with this id.

        Raises :class:`~escflow.errors.UnknownName` naming the flow's levels when
        there is none.
        """
        return _lookup(self._by_id, level_id, "level", self)

    def level_of(self, step_id: str) -> CompiledLevel:
        """The level a step belongs to.

        Raises :class:`~escflow.errors.UnknownName` naming the flow's steps when
        there is no such step.
        """
        return self.level(_lookup(self.steps, step_id, "step", self).level)

    def entry(self, priority: str | None = None) -> str:
        """The step a new ticket of ``priority`` starts at (None: the first level's).

        Raises :class:`~escflow.errors.UnknownName` naming the priorities when
        ``priority`` is not one of them.
        """
        if priority is None:
            return self.ladder[0].entry
        found = _lookup(self.priorities, priority, "priority", self)
        return self.level(found.entry_level).entry


@dataclass(frozen=True)
class BrokenFile:
    """A definitions file with errors, left out of a partial matrix
    (:attr:`~escflow.compile.Report.partial`): its errors, and the flow ids it concerns,
    whose new tickets are refused until it is fixed."""

    file: str
    problems: tuple[Problem, ...]
    flows: tuple[str, ...]
    """The ids its top-level ``id:`` lines declare (read from the text, so that a file YAML
    cannot read still says which flow it is) and the id its name gives (``complaint`` for
    ``complaint.yaml``), except those a sound document defines: they run."""

    @property
    def again(self) -> str:
        """The command that checks the file again."""
        return shlex.join(["escflow", "validate", self.file])


@dataclass(frozen=True)
class Matrix:
    """The whole set of definitions: the matrix document and its compiled flows.

    A partial matrix (``broken`` not empty) holds the flows that checked clean; the
    flows of ``broken`` files take no new tickets (:meth:`flow` raises
    :class:`~escflow.errors.FlowUnavailable` for them), while their running tickets go on
    on the versions the store keeps.
    """

    doc: MatrixDoc
    file: str
    flows: Mapping[str, CompiledFlow]
    warnings: tuple[Problem, ...] = ()
    broken: tuple[BrokenFile, ...] = ()

    @property
    def handler_names(self) -> frozenset[str]:
        """Every named handler the flows call: what an embedding service must register."""
        return frozenset(name for flow in self.flows.values() for name in flow.handler_names)

    def flow(self, flow_id: str) -> CompiledFlow:
        """The flow of this category (its id).

        Raises :class:`~escflow.errors.FlowUnavailable` when a file with errors concerns
        it (see :attr:`broken`), :class:`~escflow.errors.UnknownName` naming the close
        ones and every flow when there is none.
        """
        if flow_id not in self.flows and isinstance(flow_id, str):
            files = self.broken_for(flow_id)
            if files:
                raise _unavailable(flow_id, files)
        return _lookup(self.flows, flow_id, "flow", listed=sorted)

    def broken_for(self, flow_id: str) -> tuple[BrokenFile, ...]:
        """The files with errors that concern this flow id (none: it is not refused)."""
        return tuple(b for b in self.broken if flow_id in b.flows)


def _unavailable(flow_id: str, files: tuple[BrokenFile, ...]) -> FlowUnavailable:
    problems = [p for b in files for p in b.problems]
    names = ", ".join(b.file for b in files)
    count = f"{len(problems)} error{'s' if len(problems) != 1 else ''}"
    again = " and ".join(f"'{b.again}'" for b in files)
    return FlowUnavailable(
        f"flow '{flow_id}' takes no new tickets: {names} has {count}; its running"
        " tickets go on on the version each started on",
        flow=flow_id,
        problems=problems,
        hint=f"fix the file, then {again} checks it again",
    )


_PLURAL = {"priority": "priorities"}

V = TypeVar("V")


def _lookup(
    known: Mapping[str, V],
    name: str,
    what: str,
    flow: CompiledFlow | None = None,
    listed: Callable[[Iterable[str]], Iterable[str]] = iter,
) -> V:
    """``known[name]``, or an error that names what was asked for and what there is (in
    the order ``listed`` gives: by default the definition's own).

    A :class:`~escflow.errors.UnknownName`, as the engine raises for a ticket that
    names a flow, priority or trigger the definitions lack: a caller's mistake, not a
    fault of the definitions. Not a ``KeyError``, nor a ``TypeError`` for a name that is
    not text: whatever was passed, the message says what to pass instead.
    """
    value = known.get(name) if isinstance(name, str) else None
    if value is not None:
        return value
    there = f"{_PLURAL.get(what, what + 's')}: {', '.join(listed(known)) or 'none'}"
    where = f"flow '{flow.id}' has " if flow is not None else ""  # built on a miss only
    if not isinstance(name, str):
        raise UnknownName(
            f"{where}no {what} {name!r}: a {what} is named by its id, as text ({there})"
        )
    raise UnknownName(f"{where}no {what} '{name}'{did_you_mean(name, known)} ({there})")
