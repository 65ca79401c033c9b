"""What a what-if tells: each measure per level and per priority, estimated across the
replications, and two scenarios side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from escflow.whatif._scenario import Scenario
from escflow.whatif._sim import LevelCounts, PriorityCounts, Replication, replications
from escflow.whatif._stats import Difference, Estimate, difference, estimate


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Measure:
    """One measure: its key (JSON), its label (tables), its unit, and how one replication
    gives it (None when that replication had nothing to measure)."""

    key: str
    label: str
    unit: str
    value: Callable[[Replication, str], float | None]


def _level(
    fn: Callable[[LevelCounts, Replication, str], float | None],
) -> Callable[[Replication, str], float | None]:
    return lambda rep, key: fn(rep.levels[key], rep, key)


def _priority(
    fn: Callable[[PriorityCounts], float | None],
) -> Callable[[Replication, str], float | None]:
    return lambda rep, key: fn(rep.priorities[key])


LEVEL_MEASURES: tuple[Measure, ...] = (
    Measure("tickets", "tickets entered", "", _level(lambda c, r, k: c.entered)),
    Measure(
        "utilisation",
        "utilisation",
        "%",
        _level(lambda c, r, k: _ratio(c.busy_minutes, r.people[k] * r.business_minutes[k])),
    ),
    Measure(
        "queue", "tickets waiting (mean)", "", _level(lambda c, r, k: c.queue_area / r.minutes)
    ),
    Measure(
        "waited", "found everyone busy", "%", _level(lambda c, r, k: _ratio(c.waited, c.entered))
    ),
    Measure(
        "wait_minutes",
        "time waiting (mean)",
        "min",
        _level(lambda c, r, k: _ratio(c.wait_minutes, c.served)),
    ),
    Measure(
        "by_timer",
        "left by the timer",
        "%",
        _level(lambda c, r, k: _ratio(c.by_timer, c.left)),
    ),
    Measure("resolved", "resolved here", "%", _level(lambda c, r, k: _ratio(c.resolved, c.left))),
)
"""Per level (or functional team)."""

PRIORITY_MEASURES: tuple[Measure, ...] = (
    Measure("tickets", "tickets opened", "", _priority(lambda c: c.opened)),
    Measure(
        "first_response_breach",
        "first response breached",
        "%",
        _priority(lambda c: _ratio(c.first_response_breached, c.first_response_due)),
    ),
    Measure(
        "resolution_breach",
        "resolution breached",
        "%",
        _priority(lambda c: _ratio(c.resolution_breached, c.resolution_due)),
    ),
    Measure(
        "resolved", "resolved by the end", "%", _priority(lambda c: _ratio(c.resolved, c.opened))
    ),
)
"""Per priority: the SLA."""


@dataclass(frozen=True)
class Row:
    """One measure of one level or priority: its estimate, and each replication's value
    (what a comparison needs)."""

    scope: str  # "level" or "priority"
    key: str  # the level's or priority's id
    measure: Measure
    values: tuple[float, ...]
    estimate: Estimate | None


@dataclass(frozen=True)
class WhatIf:
    """The result of a scenario's replications."""

    scenario: Scenario
    rows: tuple[Row, ...]
    replications: int

    def row(self, scope: str, key: str, measure: str) -> Row:
        """The row of one measure (KeyError when there is none)."""
        for row in self.rows:
            if (row.scope, row.key, row.measure.key) == (scope, key, measure):
                return row
        raise KeyError((scope, key, measure))


def run_whatif(scenario: Scenario, *, jobs: int = 1) -> WhatIf:
    """Simulate the scenario and estimate every measure; ``jobs`` replications run at once,
    each in its own process (the result is the same for any number)."""
    runs = replications(scenario, jobs=jobs)
    rows: list[Row] = []
    for scope, keys, measures in (
        ("level", [lv.id for lv in scenario.flow.levels if lv.id in scenario.doc.levels],
         LEVEL_MEASURES),
        ("priority", sorted(runs[0].priorities), PRIORITY_MEASURES),
    ):  # fmt: skip
        for key in keys:
            for measure in measures:
                values = tuple(v for r in runs if (v := measure.value(r, key)) is not None)
                rows.append(Row(scope, key, measure, values, estimate(values)))
    return WhatIf(scenario, tuple(rows), len(runs))


@dataclass(frozen=True)
class Compared:
    """A measure in two scenarios, and their difference."""

    base: Row
    other: Row | None
    difference: Difference | None


def compare(base: WhatIf, other: WhatIf) -> tuple[Compared, ...]:
    """Each measure of ``base`` beside the same in ``other`` (None where ``other`` has no
    such level or priority)."""
    found = {(r.scope, r.key, r.measure.key): r for r in other.rows}
    pairs: Sequence[tuple[Row, Row | None]] = [
        (row, found.get((row.scope, row.key, row.measure.key))) for row in base.rows
    ]
    return tuple(
        Compared(a, b, None if b is None else difference(a.values, b.values)) for a, b in pairs
    )
