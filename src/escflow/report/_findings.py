"""Findings: what stands out in a report, each a sentence a rule makes from its numbers.

A finding is computed, never guessed. Each rule of :data:`RULES` names what it looks at,
the least number of cases it needs (fewer say nothing), and the threshold that makes a
finding; the README's "Reports" section lists them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from escflow.report._model import Finding, LevelStats, SlaStats, Week, share


@dataclass(frozen=True)
class Rule:
    """A rule: its name, what it says when it applies, the least number of cases it
    needs, and its threshold (a share, or for ``timer-rising`` a rise in points)."""

    name: str
    says: str
    minimum: int
    threshold: float


RULES = (
    Rule("timer-heavy", "a level's window ends a large share of its stays", 10, 0.30),
    Rule("timer-rising", "a flow's timer share rose from one week to the next", 10, 0.15),
    Rule("response-missed", "a flow and priority met few first-response targets", 10, 0.80),
    Rule("resolution-missed", "a flow and priority met few resolution targets", 10, 0.80),
    Rule("reopened", "a flow and priority had many resolved tickets reopened", 10, 0.10),
    Rule("held", "a level held many tickets for nobody on duty", 10, 0.20),
)
_RULE = {rule.name: rule for rule in RULES}


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def _names(tickets: list[str], total: int) -> str:
    more = total - len(tickets)
    return ", ".join(tickets) + (f" and {more} more" if more > 0 else "")


def findings(
    levels: list[LevelStats],
    sla: list[SlaStats],
    weeks: list[Week],
    examples: Mapping[tuple[str, str, str], list[str]],
) -> list[Finding]:
    """Every finding the rules make of the report's figures, in the order of :data:`RULES`."""
    found: list[Finding] = []
    rule = _RULE["timer-heavy"]
    for lv in levels:
        ended = lv.entered - lv.left.get("open", 0)
        timer = lv.left.get("timer", 0)
        part = share(timer, ended)
        if ended >= rule.minimum and part is not None and part >= rule.threshold:
            named = examples.get((lv.flow, lv.level, "timer"), [])
            found.append(
                Finding(
                    rule.name,
                    f"{_pct(part)} of {lv.flow} tickets left level {lv.number} ({lv.name}) by the"
                    f" timer ({timer} of {ended}): {_names(named, timer)}.",
                    named,
                )
            )
    found += _rising(weeks)
    for stats in sla:
        for name, met, judged, what in (
            ("response-missed", stats.response_met, stats.response_judged, "first-response"),
            ("resolution-missed", stats.resolution_met, stats.resolution_judged, "resolution"),
        ):
            rule = _RULE[name]
            part = share(met, judged)
            if judged >= rule.minimum and part is not None and part < rule.threshold:
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
        if stats.resolved >= rule.minimum and part is not None and part >= rule.threshold:
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
        if lv.entered >= rule.minimum and part is not None and part >= rule.threshold:
            found.append(
                Finding(
                    rule.name,
                    f"{_pct(part)} of {lv.flow} tickets entering level {lv.number} ({lv.name})"
                    f" waited for someone on duty ({lv.holds} of {lv.entered}).",
                    [],
                )
            )
    return found


def _rising(weeks: list[Week]) -> list[Finding]:
    """``timer-rising``: each flow's last two weeks with enough stays ended, compared."""
    rule = _RULE["timer-rising"]
    by_flow: dict[str, list[Week]] = defaultdict(list)
    for week in sorted(weeks, key=lambda w: w.week):
        if week.exits >= rule.minimum:
            by_flow[week.flow].append(week)
    found = []
    for flow, kept in sorted(by_flow.items()):
        if len(kept) < 2:
            continue
        before, last = kept[-2], kept[-1]
        was, now = share(before.timer_exits, before.exits), share(last.timer_exits, last.exits)
        if was is None or now is None or now - was < rule.threshold:
            continue
        found.append(
            Finding(
                rule.name,
                f"the timer ended {_pct(now)} of {flow} stays in the week of"
                f" {last.week:%Y-%m-%d} ({last.timer_exits} of {last.exits}), against"
                f" {_pct(was)} in the week of {before.week:%Y-%m-%d}"
                f" ({before.timer_exits} of {before.exits}).",
                [],
            )
        )
    return found
