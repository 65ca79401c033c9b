"""Findings: each rule at its threshold, the README's table of them, and the timer-heavy
levels of a generated history found from the generator's record."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from escflow.compile import Matrix
from escflow.report import RULES, Dwell, Finding, LevelStats, SlaStats, build_report
from escflow.report._findings import findings
from escflow.runtime import generate_history
from escflow.store import open_store
from tests.conftest import ROOT
from tests.report import expected
from tests.report.conftest import START

WEEK = datetime(2026, 11, 2, tzinfo=UTC)


def _level(entered: int, timer: int, holds: int = 0) -> LevelStats:
    left = {"timer": timer, "resolved": entered - timer}
    return LevelStats("billing-payment", "level-2", 2, "Support", "support", entered, left,
                      {}, 0, holds, Dwell())  # fmt: skip


def _sla(judged: int, met: int, resolved: int = 0, reopened: int = 0) -> SlaStats:
    return SlaStats("complaint", "high", judged, judged, met, 0, 0, None, None, 0, resolved,
                    reopened, 0, {"response": ["C-1", "C-2"]})  # fmt: skip


def _rules(found: list[Finding]) -> list[str]:
    return [f.rule for f in found]


def test_timer_heavy_at_its_threshold() -> None:
    assert _rules(findings([_level(20, 7)], [], {}, {})) == ["timer-heavy"]  # 35%
    assert _rules(findings([_level(20, 6)], [], {}, {})) == []  # 30%
    assert _rules(findings([_level(19, 19)], [], {}, {})) == [], "too few stays"
    [found] = findings([_level(40, 20)], [], {}, {("billing-payment", "level-2", "timer"):
                                                  ["BP-1", "BP-2"]})  # fmt: skip
    assert found.text == (
        "50% of billing-payment tickets left level 2 (Support) by the timer (20 of 40):"
        " BP-1, BP-2 and 18 more."
    )
    assert found.tickets == ["BP-1", "BP-2"]


def test_response_missed_and_reopened() -> None:
    [missed] = findings([], [_sla(20, 13)], {}, {})  # 65% < 70%
    assert missed.rule == "response-missed"
    assert "met 65% of their first-response targets (13 of 20), under 70%" in missed.text
    assert "missed by C-1, C-2 and 5 more" in missed.text
    assert findings([], [_sla(20, 14)], {}, {}) == []  # 70%
    assert _rules(findings([], [_sla(20, 20, resolved=20, reopened=3)], {}, {})) == ["reopened"]
    assert findings([], [_sla(20, 20, resolved=20, reopened=2)], {}, {}) == []  # 10%


def test_held_and_timer_rising() -> None:
    assert _rules(findings([_level(20, 0, holds=10)], [], {}, {})) == ["held"]
    assert findings([_level(20, 0, holds=9)], [], {}, {}) == []
    weeks = {("billing-payment", "level-2"): [(WEEK, 10, 1), (WEEK.replace(day=9), 10, 3)]}
    [rising] = findings([_level(10, 4)], [], weeks, {})
    assert rising.text == (
        "the timer ended 30% of billing-payment stays at level 2 (Support) in the week of"
        " 2026-11-09 (3 of 10), against 10% in the week of 2026-11-02 (1 of 10)."
    )
    weeks = {("billing-payment", "level-2"): [(WEEK, 10, 1), (WEEK.replace(day=9), 10, 2)]}
    assert findings([_level(10, 4)], [], weeks, {}) == []


def test_the_readme_lists_every_rule_with_its_figures() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| ([a-z-]+) \| (.+) \|$", readme, flags=re.MULTILINE))
    for rule in RULES:
        assert rule.name in rows, rule.name
        row = rows[rule.name]
        points = f"{round(rule.threshold * 100)}"
        assert points in row, (rule.name, row)
        assert f"| {rule.minimum} " in row, (rule.name, row)


def test_a_level_that_gets_worse_is_found(tmp_path: Path, matrix: Matrix) -> None:
    """The generator's drift (billing-payment's level 2 short of staff from the middle of
    the period on) is found, as are the other levels the record says are timer-heavy."""
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    with open_store(url) as store:
        history = generate_history(matrix, store, start=START, days=14, seed=2, per_day=12,
                                   flows=("billing-payment",))  # fmt: skip
        report = build_report(store, until=history.end)
    rule = next(r for r in RULES if r.name == "timer-heavy")
    want = set()
    for key, row in expected.levels(history).items():
        ended = row["entered"] - row["left"]["open"]
        if ended >= rule.minimum and row["left"]["timer"] >= rule.threshold * ended:
            want.add(key[1])
    assert "level-2" in want
    heavy = [f.text for f in report.findings if f.rule == "timer-heavy"]
    assert len(heavy) == len(want)
    drift = "billing-payment tickets left level 2 (Call centre support manager) by the timer"
    assert any(drift in text for text in heavy), heavy
