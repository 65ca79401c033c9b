"""Findings: what stands out in a report, each a sentence a rule makes from its numbers.

A finding is computed, never guessed. Each rule of :data:`RULES` names what it looks at,
the least number of cases it needs (fewer say nothing), and the threshold that makes a
finding; the README's "Reports" section lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from escflow.report._model import Finding, LevelStats, SlaStats, share


@dataclass(frozen=True)
class Rule:
    """A rule: its name, what it says when it applies, the least number of cases it
    needs, and its threshold (a share, or for ``timer-rising`` a rise in points)."""

    name: str
    says: str
    minimum: int
    threshold: float


RULES = (
    Rule("timer-heavy", "a level's window ends a large share of its stays", 20, 0.35),
    Rule("timer-rising", "a level's timer share rose from one week to the next", 10, 0.20),
    Rule("response-missed", "a flow and priority met few first-response targets", 20, 0.70),
    Rule("resolution-missed", "a flow and priority met few resolution targets", 20, 0.70),
    Rule("reopened", "a flow and priority had many resolved tickets reopened", 20, 0.15),
    Rule("held", "a level held many tickets for nobody on duty", 20, 0.50),
)
_RULE = {rule.name: rule for rule in RULES}
# Shares are compared with the thresholds as the fractions they are: 3/10 - 1/10 reaches
# 0.2 although the floating-point difference falls short of it by 3e-17.
_EPSILON = 1e-9


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def _names(tickets: list[str], total: int) -> str:
    more = total - len(tickets)
    return ", ".join(tickets) + (f" and {more} more" if more > 0 else "")


def findings(
    levels: list[LevelStats],
    sla: list[SlaStats],
    weeks: Mapping[tuple[str, str], list[tuple[datetime, int, int]]],
    examples: Mapping[tuple[str, str, str], list[str]],
) -> list[Finding]:
    """Every finding the rules make of the report's figures, in the order of :data:`RULES`.

    ``weeks`` holds, per flow and level, each week's stays ended and those the timer
    ended; ``examples`` the first tickets of each flow, level and way of leaving."""
    found: list[Finding] = []
    rule = _RULE["timer-heavy"]
    for lv in levels:
        ended = lv.entered - lv.left.get("open", 0)
        timer = lv.left.get("timer", 0)
        part = share(timer, ended)
        if ended >= rule.minimum and part is not None and part >= rule.threshold - _EPSILON:
            named = examples.get((lv.flow, lv.level, "timer"), [])
            found.append(
                Finding(
                    rule.name,
                    f"{_pct(part)} of {lv.flow} tickets left level {lv.number} ({lv.name}) by the"
                    f" timer ({timer} of {ended}): {_names(named, timer)}.",
                    named,
                )
            )
    found += _rising(weeks, {(lv.flow, lv.level): lv for lv in levels})
    for stats in sla:
        for name, met, judged, what in (
            ("response-missed", stats.response_met, stats.response_judged, "first-response"),
            ("resolution-missed", stats.resolution_met, stats.resolution_judged, "resolution"),
        ):
            rule = _RULE[name]
            part = share(met, judged)
            if judged >= rule.minimum and part is not None and part < rule.threshold - _EPSILON:
                target = "response" if name == "response-missed" else "resolution"
                named = stats.breaches.get(target, [])
                found.append(
                    Finding(
                        rule.name,
                        f"{stats.flow} tickets of priority {stats.priority} met {_pct(part)} of"
                        f" their {what} targets ({met} of {judged}), under"
                        f" {_pct(rule.threshold)}: missed by {_names(named, judged - met)}.",
                        named,
                    )
                )
        rule = _RULE["reopened"]
        part = share(stats.reopened, stats.resolved)
        if (
            stats.resolved >= rule.minimum
            and part is not None
            and part >= rule.threshold - _EPSILON
        ):
            found.append(
                Finding(
                    rule.name,
                    f"{_pct(part)} of resolved {stats.flow} tickets of priority"
                    f" {stats.priority} were reopened ({stats.reopened} of {stats.resolved}).",
                    [],
                )
            )
    rule = _RULE["held"]
    for lv in levels:
        part = share(lv.holds, lv.entered)
        if lv.entered >= rule.minimum and part is not None and part >= rule.threshold - _EPSILON:
            found.append(
                Finding(
                    rule.name,
                    f"{_pct(part)} of {lv.flow} tickets entering level {lv.number} ({lv.name})"
                    f" waited for someone on duty ({lv.holds} of {lv.entered}).",
                    [],
                )
            )
    return found


def _rising(
    weeks: Mapping[tuple[str, str], list[tuple[datetime, int, int]]],
    levels: Mapping[tuple[str, str], LevelStats],
) -> list[Finding]:
    """``timer-rising``: each level's last two weeks with enough stays ended, compared."""
    rule = _RULE["timer-rising"]
    found = []
    for key, rows in sorted(weeks.items()):
        kept = [row for row in sorted(rows) if row[1] >= rule.minimum]
        if len(kept) < 2:
            continue
        (was_week, was_ended, was_timer), (week, ended, timer) = kept[-2], kept[-1]
        was, now = share(was_timer, was_ended), share(timer, ended)
        if was is None or now is None or now - was < rule.threshold - _EPSILON:
            continue
        level = levels.get(key)
        name = f"level {level.number} ({level.name})" if level else key[1]
        found.append(
            Finding(
                rule.name,
                f"the timer ended {_pct(now)} of {key[0]} stays at {name} in the week of"
                f" {week:%Y-%m-%d} ({timer} of {ended}), against {_pct(was)} in the week of"
                f" {was_week:%Y-%m-%d} ({was_timer} of {was_ended}).",
                [],
            )
        )
    return found
