"""A what-if scenario: the load a flow is put under, and how each level handles it.

A scenario is a YAML file (``kind: whatif``) checked as the flows are: every problem is
located (file:line:column) and says what would fix it. It names one flow of the matrix;
its levels, priorities and triggers must be the flow's.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from escflow.compile import CompiledFlow, CompiledLevel, Matrix
from escflow.errors import DefinitionError
from escflow.problems import Problem, YamlPath
from escflow.spec._load import did_you_mean, display_name, validate_as
from escflow.spec._models import DurationField, Id, Model, Window, parse_days
from escflow.spec._yaml import Document, read_documents
from escflow.timing import Duration

Share = Annotated[float, Field(ge=0, le=1, description="a share of tickets, 0 to 1")]
Rate = Annotated[float, Field(ge=0, description="tickets per hour")]
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class Peak(Model):
    """A rate for some hours of some days of the week, in the flow calendar's time."""

    days: str = Field(description="'mon-fri', 'sat', 'daily'...")
    hours: str = Field(default="00:00-24:00", description="'09:00-17:00'")
    per_hour: Rate

    @field_validator("days")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_days(value)
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        start, end = hour_range(value)
        if start >= end:
            raise ValueError(f"'{value}' ends before it starts; write e.g. '09:00-17:00'")
        return value


def hour_range(text: str) -> tuple[int, int]:
    """``'09:00-17:00'`` -> the whole hours it covers, ``(9, 17)``."""
    found = _HOURS.match(text)
    if found is None:
        raise ValueError(f"'{text}' is not hours such as '09:00-17:00'")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if m1 or m2 or h1 > 24 or h2 > 24:
        raise ValueError(f"'{text}': give whole hours from 00:00 to 24:00, e.g. '09:00-17:00'")
    return h1, h2


class Arrivals(Model):
    """Tickets of one priority arriving at random (a Poisson process), at ``per_hour``
    outside the ``peaks`` and at each peak's rate inside it (the last peak that covers an
    hour sets it)."""

    priority: Id | None = Field(default=None, description="default: the flow's default")
    per_hour: Rate = 0.0
    peaks: list[Peak] = Field(default_factory=list)

    def hour_of_week(self) -> tuple[float, ...]:
        """The rate in each of the 168 hours of the week, Monday 00:00 first."""
        rates = [self.per_hour] * 168
        for peak in self.peaks:
            first, last = hour_range(peak.hours)
            for day in parse_days(peak.days):
                for hour in range(first, last):
                    rates[day * 24 + hour] = peak.per_hour
        return tuple(rates)


class Handling(Model):
    """How long a person works a ticket: ``mean`` alone is exponential; with ``sd`` it is
    lognormal; ``fixed`` is always the mean. Counted in the level's business time."""

    mean: DurationField
    sd: DurationField | None = None
    distribution: Literal["exponential", "lognormal", "fixed"] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Handling:
        if self.distribution == "lognormal" and self.sd is None:
            raise ValueError("a lognormal handling time needs its 'sd'")
        if self.sd is not None and self.distribution not in (None, "lognormal"):
            raise ValueError(f"'sd' is for a lognormal handling time, not {self.distribution}")
        return self

    @property
    def shape(self) -> str:
        """The distribution the simulation draws from."""
        if self.distribution is not None:
            return self.distribution
        return "lognormal" if self.sd is not None else "exponential"


class LevelLoad(Model):
    """How a level handles its tickets: how many people, how long each ticket takes, and
    how tickets leave once handled: ``resolved`` there, by each trigger (its share), and
    the rest wait for the timer (the window's end)."""

    people: Annotated[int, Field(ge=1, le=10_000)]
    handling: DurationField | Handling
    window: Window | None = Field(
        default=None, description="the level's window in this scenario, instead of the flow's"
    )
    resolved: Share = 0.0
    triggers: dict[Id, Share] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shares(self) -> LevelLoad:
        total = self.resolved + sum(self.triggers.values())
        if total > 1 + 1e-9:
            raise ValueError(
                f"the shares add up to {total:g} (resolved {self.resolved:g} and the triggers"
                f" {sum(self.triggers.values()):g}); they may add up to 1 at most"
            )
        return self

    @property
    def handling_time(self) -> Handling:
        """The handling time as a distribution."""
        if isinstance(self.handling, Handling):
            return self.handling
        return Handling(mean=self.handling)


class ScenarioDoc(Model):
    """A what-if scenario file."""

    escflow: Literal[1]
    kind: Literal["whatif"]
    name: str | None = None
    flow: Id
    start: date | datetime = Field(description="the first day simulated (a Monday is usual)")
    weeks: Annotated[int, Field(ge=1, le=520)] = 4
    replications: Annotated[int, Field(ge=2, le=1000)] = 20
    seed: int = 1
    arrivals: Annotated[list[Arrivals], Field(min_length=1)]
    levels: dict[Id, LevelLoad]


@dataclass(frozen=True)
class Scenario:
    """A checked scenario, with the compiled flow it runs through."""

    doc: ScenarioDoc
    flow: CompiledFlow
    file: str

    @property
    def name(self) -> str:
        """What the scenario is called in reports: its ``name``, else its file."""
        return self.doc.name or Path(self.file).stem

    def start_instant(self) -> datetime:
        """The first instant simulated, in UTC (a date starts at midnight in the flow
        calendar's time)."""
        start = self.doc.start
        if isinstance(start, datetime):
            if start.tzinfo is None:
                raise AssertionError("checked by load_scenario")  # pragma: no cover
            return start
        from zoneinfo import ZoneInfo

        return datetime.combine(start, time(0), ZoneInfo(self.flow.timezone))


def load_scenario(path: Path, matrix: Matrix) -> Scenario:
    """Read and check a scenario against the matrix's flow. Raises
    :class:`~escflow.errors.DefinitionError` with every problem located."""
    file = display_name(path)
    documents, problems = read_documents(path, file)
    if problems:
        raise DefinitionError(problems)
    if len(documents) != 1:
        raise DefinitionError(
            [Problem("W001", "error", "a scenario file holds one document", file, 1, 1)]
        )
    document = documents[0]
    doc, problems = validate_as(document, ScenarioDoc)
    if doc is None:
        raise DefinitionError(problems)
    if doc.flow not in matrix.flows:
        known = sorted(matrix.flows)
        raise DefinitionError(
            [
                _at(
                    document,
                    ("flow",),
                    f"no flow '{doc.flow}' in the matrix{did_you_mean(doc.flow, known)}"
                    f" (flows: {', '.join(known)})",
                )
            ]
        )
    flow = matrix.flows[doc.flow]
    problems = [*_timing_problems(document, doc), *_flow_problems(document, doc, flow)]
    if problems:
        raise DefinitionError(problems)
    return Scenario(doc, with_windows(flow, doc), file)


def with_windows(flow: CompiledFlow, doc: ScenarioDoc) -> CompiledFlow:
    """The flow with the scenario's windows in place of its levels' (a priority's own
    window for such a level gives way too; its factor still scales the new one). The
    digest changes with them, so nothing computed for the flow as written is reused."""
    changed = {key: load.window for key, load in doc.levels.items() if load.window is not None}
    if not changed:
        return flow
    levels = tuple(replace(lv, window=changed.get(lv.id) or lv.window) for lv in flow.levels)
    priorities = {
        key: replace(p, windows={k: w for k, w in p.windows.items() if k not in changed})
        for key, p in flow.priorities.items()
    }
    said = repr(sorted((k, str(w)) for k, w in changed.items())).encode()
    digest = hashlib.sha256(flow.digest.encode() + said).hexdigest()
    return replace(flow, levels=levels, priorities=priorities, digest=digest)


def _at(document: Document, path: YamlPath, message: str, *, key: bool = False) -> Problem:
    line, column = document.locate(path, key=key)
    return Problem("W002", "error", message, document.file, line, column, path)


def _timing_problems(document: Document, doc: ScenarioDoc) -> list[Problem]:
    if isinstance(doc.start, datetime) and doc.start.tzinfo is None:
        return [
            _at(
                document,
                ("start",),
                "give the start's offset (2026-11-23T00:00+01:00), or a date alone, which"
                " starts at midnight in the flow calendar's time",
            )
        ]
    if all(rate == 0 for a in doc.arrivals for rate in a.hour_of_week()):
        return [_at(document, ("arrivals",), "no tickets arrive: give a rate above 0")]
    return []


def _flow_problems(document: Document, doc: ScenarioDoc, flow: CompiledFlow) -> list[Problem]:
    """Levels, priorities and triggers the flow does not have; levels a ticket can reach
    that the scenario does not describe; shares a level cannot have."""
    problems: list[Problem] = []
    levels = {level.id: level for level in flow.levels}
    for number, arrivals in enumerate(doc.arrivals):
        if arrivals.priority is not None and arrivals.priority not in flow.priorities:
            known = sorted(flow.priorities)
            problems.append(
                _at(
                    document,
                    ("arrivals", number, "priority"),
                    f"the flow '{flow.id}' has no priority '{arrivals.priority}'"
                    f"{did_you_mean(arrivals.priority, known)} (priorities: {', '.join(known)})",
                )
            )
    for level_id, load in doc.levels.items():
        if level_id not in levels:
            problems.append(
                _at(
                    document,
                    ("levels", level_id),
                    f"the flow '{flow.id}' has no level '{level_id}'"
                    f"{did_you_mean(level_id, levels)} (levels: {', '.join(levels)})",
                    key=True,
                )
            )
            continue
        problems.extend(_level_problems(document, flow, level_id, load))
    missing = [level for level in reachable(flow, doc) if level not in doc.levels]
    if missing and not problems:
        problems.append(
            _at(
                document,
                ("levels",),
                f"tickets can reach {', '.join(missing)}, which the scenario does not describe:"
                " give each its people, handling and shares",
                key=True,
            )
        )
    return problems


def _level_problems(
    document: Document, flow: CompiledFlow, level_id: str, load: LevelLoad
) -> list[Problem]:
    level = flow.level(level_id)
    steps = [flow.steps[s] for s in level.steps]
    manual = {t.id for step in steps for t in step.triggers if not t.automatic}
    problems = [
        _at(
            document,
            ("levels", level_id, "triggers", trigger),
            f"level '{level_id}' has no trigger '{trigger}'{did_you_mean(trigger, manual)}"
            f" (its triggers: {', '.join(sorted(manual)) or 'none'})",
            key=True,
        )
        for trigger in load.triggers
        if trigger not in manual
    ]
    timer = any(step.timer is not None for step in steps)
    if load.window is not None:
        problems.extend(_window_problems(document, level, load.window, timer=timer))
        timer = timer and load.window.max is not None
    left = 1 - load.resolved - sum(load.triggers.values())
    if not timer and left > 1e-9:
        problems.append(
            _at(
                document,
                ("levels", level_id),
                f"level '{level_id}' has no timer (its window has no end), so every handled"
                f" ticket must leave it: the shares leave {left:g} of them there for ever;"
                " make resolved and the triggers add up to 1",
                key=True,
            )
        )
    return problems


def _window_problems(
    document: Document, level: CompiledLevel, window: Window, *, timer: bool
) -> list[Problem]:
    where = ("levels", level.id, "window")
    if window.max is not None and not timer:
        return [
            _at(
                document,
                where,
                f"level '{level.id}' has no timer trigger (its window in the flow has no end):"
                " a window with an end would not escalate; leave the window out",
            )
        ]
    if window.business and level.calendar is None:
        return [
            _at(
                document,
                where,
                f"level '{level.id}' has no calendar: its window cannot count business time;"
                " write it in wall time ('1-2 hours')",
            )
        ]
    return []


def reachable(flow: CompiledFlow, doc: ScenarioDoc) -> list[str]:
    """The levels tickets of the scenario's priorities can reach, in the flow's order."""
    priorities = {a.priority or flow.default_priority for a in doc.arrivals}
    todo = [flow.entry(p) if p in flow.priorities else flow.entry(None) for p in priorities]
    seen: set[str] = set()
    while todo:
        step = todo.pop()
        if step in seen or step not in flow.steps:
            continue
        seen.add(step)
        todo.extend(t.target for t in flow.steps[step].triggers)
    found = {flow.steps[s].level for s in seen}
    return [level.id for level in flow.levels if level.id in found]


def handling_minutes(duration: Duration, day_minutes: int) -> float:
    """A handling time in minutes (a business day counts as the calendar's day)."""
    return float(duration.nominal_minutes(day_minutes))
