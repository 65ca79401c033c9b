"""A what-if as people read it (a table of text rows) and as programs read it (JSON)."""

from __future__ import annotations

from typing import Any

from escflow.whatif._results import Compared, Measure, WhatIf
from escflow.whatif._stats import Difference, Estimate

_SCOPES = {"level": "LEVEL", "priority": "PRIORITY"}


def _number(value: float, measure: Measure) -> str:
    if measure.unit == "%":
        return f"{value * 100:.1f}%"
    if measure.unit == "min":
        return f"{value:,.1f} min"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def _spread(value: float, measure: Measure) -> str:
    if measure.unit == "%":
        return f"{value * 100:.1f}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def shown(found: Estimate | None, measure: Measure) -> str:
    """An estimate in words: ``44.5% ± 0.8``, ``13.5 min ± 0.9``, or ``-`` when no
    replication had it."""
    if found is None:
        return "-"
    text = _number(found.mean, measure)
    return text if found.half_width is None else f"{text} ± {_spread(found.half_width, measure)}"


def shown_difference(found: Difference | None, measure: Measure) -> str:
    """A difference in words, with whether it is within the noise."""
    if found is None:
        return "-"
    points = " points" if measure.unit == "%" else ""
    sign = "+" if found.delta > 0 else ""
    text = f"{sign}{_spread(found.delta, measure)}{points}"
    if found.half_width is not None:
        text += f" ± {_spread(found.half_width, measure)}"
    return f"{text} (noise)" if found.noise else text


def heading(result: WhatIf) -> str:
    """What was simulated, in a line."""
    doc = result.scenario.doc
    return (
        f"{result.scenario.name}: flow {result.scenario.flow.id}, {doc.weeks} weeks from"
        f" {doc.start} x {result.replications} replications; ± is the 95% interval"
    )


def rows(result: WhatIf) -> list[tuple[str, ...]]:
    """The table of one scenario: scope, id, measure, estimate."""
    table: list[tuple[str, ...]] = []
    last = ""
    for row in result.rows:
        if row.scope != last:
            table.append((_SCOPES[row.scope], "", "ESTIMATE"))
            last = row.scope
        table.append((row.key, row.measure.label, shown(row.estimate, row.measure)))
    return _blank_repeats(table)


def compared_rows(pairs: tuple[Compared, ...], base: str, other: str) -> list[tuple[str, ...]]:
    """The table of two scenarios: scope, id, measure, each estimate, the difference."""
    table: list[tuple[str, ...]] = []
    last = ""
    for pair in pairs:
        row = pair.base
        if row.scope != last:
            table.append((_SCOPES[row.scope], "", base.upper(), other.upper(), "DIFFERENCE"))
            last = row.scope
        table.append(
            (
                row.key,
                row.measure.label,
                shown(row.estimate, row.measure),
                shown(pair.other.estimate if pair.other else None, row.measure),
                shown_difference(pair.difference, row.measure),
            )
        )
    return _blank_repeats(table)


def _blank_repeats(table: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each level or priority named once, on its first row."""
    out: list[tuple[str, ...]] = []
    previous = None
    for row in table:
        if row[0] in _SCOPES.values():
            previous = None
            out.append(row)
            continue
        out.append(("" if row[0] == previous else row[0], *row[1:]))
        previous = row[0]
    return out


def as_json(result: WhatIf) -> dict[str, Any]:
    """One scenario's result for programs: every measure's mean and interval."""
    doc = result.scenario.doc
    body: dict[str, Any] = {
        "scenario": result.scenario.name,
        "flow": result.scenario.flow.id,
        "start": result.scenario.start_instant().isoformat(),
        "weeks": doc.weeks,
        "replications": result.replications,
        "seed": doc.seed,
        "levels": {},
        "priorities": {},
    }
    for row in result.rows:
        scope = body["levels" if row.scope == "level" else "priorities"]
        scope.setdefault(row.key, {})[row.measure.key] = (
            None if row.estimate is None else row.estimate.as_dict()
        )
    return body


def compared_json(base: WhatIf, other: WhatIf, pairs: tuple[Compared, ...]) -> dict[str, Any]:
    """Two scenarios for programs: each result, and each measure's difference."""
    differences: dict[str, Any] = {"levels": {}, "priorities": {}}
    for pair in pairs:
        scope = differences["levels" if pair.base.scope == "level" else "priorities"]
        scope.setdefault(pair.base.key, {})[pair.base.measure.key] = (
            None if pair.difference is None else pair.difference.as_dict()
        )
    return {"base": as_json(base), "other": as_json(other), "difference": differences}
