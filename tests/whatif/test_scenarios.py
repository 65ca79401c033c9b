"""Scenario files: located errors for what a designer gets wrong, the arrivals the file
asks for, a level's window changed by the scenario, and ``escflow whatif run``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escflow import DefinitionError, load_matrix
from escflow.whatif import load_scenario, run_whatif
from tests.conftest import FLOW, MATRIX, ROOT, Write, escflow

SCENARIO = """\
escflow: 1
kind: whatif
flow: f
start: 2026-01-05
weeks: 2
replications: 4
arrivals:
  - priority: normal
    per_hour: 0.5
    peaks:
      - {days: mon-fri, hours: "09:00-17:00", per_hour: 2}
levels:
  level-1:
    people: 50
    handling: 20 minutes
    resolved: 0.5
    triggers: {done: 0.2}
  level-2:
    people: 50
    handling: 10 minutes
    resolved: 1
"""


def scenario(write: Write, text: str = SCENARIO) -> Path:
    write("flows/matrix.yaml", MATRIX)
    write("flows/f.yaml", FLOW)
    return write("s.yaml", text)


def problems(path: Path) -> list[str]:
    """Each problem as ``s.yaml:LINE:COLUMN: CODE message``."""
    with pytest.raises(DefinitionError) as refused:
        load_scenario(path, load_matrix(path.parent / "flows"))
    return [
        f"{Path(p.file).name}:{p.line}:{p.column}: {p.code} {p.message}"
        for p in refused.value.problems
    ]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("    per_hour: 0.5\n", "    per_hour: -1\n",
         "s.yaml:9:15: S003 give a number at least 0, got -1"),
        ("    resolved: 0.5\n", "    resolved: 1.5\n",
         "s.yaml:16:15: S003 give a number at most 1, got 1.5"),
        ("    triggers: {done: 0.2}\n", "    triggers: {done: 0.6}\n",
         "s.yaml:14:5: S004 the shares add up to 1.1"),
        ("  level-2:\n", "  level-9:\n", "s.yaml:18:3: W002 the flow 'f' has no level 'level-9'"),
        ("    triggers: {done: 0.2}\n", "    triggers: {dnoe: 0.2}\n",
         "s.yaml:17:16: W002 level 'level-1' has no trigger 'dnoe'; did you mean 'done'?"),
        ("  - priority: normal\n", "  - priority: urgnet\n",
         "s.yaml:8:15: W002 the flow 'f' has no priority 'urgnet'; did you mean 'urgent'?"),
        ("flow: f\n", "flow: g\n", "s.yaml:3:7: W002 no flow 'g' in the matrix"),
        ("start: 2026-01-05\n", "start: 2026-01-05T09:00\n",
         "s.yaml:4:8: W002 give the start's offset"),
        ("    resolved: 1\n", "    resolved: 0.5\n",
         "s.yaml:18:3: W002 level 'level-2' has no timer"),
        ("    people: 50\n    handling: 10 minutes\n",
         "    people: 50\n    window: 1 hour\n    handling: 10 minutes\n",
         "s.yaml:20:13: W002 level 'level-2' has no timer trigger"),
        (SCENARIO[SCENARIO.index("    per_hour: 0.5"): SCENARIO.index("levels:")],
         "    per_hour: 0\n", "s.yaml:8:3: W002 no tickets arrive"),
        ('hours: "09:00-17:00"', 'hours: "17:00-09:00"',
         "s.yaml:11:32: S004 '17:00-09:00' ends"),
        ("days: mon-fri", "days: mon-fry", "s.yaml:11:16: S004 'mon-fry' is not a day"),
    ],
)  # fmt: skip
def test_a_bad_scenario_is_refused_where_it_is_wrong(
    write: Write, old: str, new: str, said: str
) -> None:
    assert old in SCENARIO
    found = problems(scenario(write, SCENARIO.replace(old, new)))
    assert any(p.startswith(said) for p in found), found


def test_a_level_tickets_reach_must_be_described(write: Write) -> None:
    text = SCENARIO[: SCENARIO.index("  level-2:")]
    [problem] = problems(scenario(write, text))
    assert problem.startswith("s.yaml:12:1: W002 tickets can reach level-2, which the scenario")


def test_the_arrivals_are_the_rates_the_file_gives(write: Write) -> None:
    path = scenario(write)
    result = run_whatif(load_scenario(path, load_matrix(path.parent / "flows")))
    # 40 peak hours a week at 2 an hour, the other 128 at 0.5: 144 a week, for 2 weeks
    opened = result.row("priority", "normal", "tickets").estimate
    assert opened is not None
    assert opened.low is not None
    assert opened.high is not None
    assert opened.low <= 288 <= opened.high


def test_a_scenario_window_replaces_the_flows(write: Write) -> None:
    """Handling always takes 20 minutes; level 1's window ends at 30 minutes in the flow,
    at 10 in the scenario, so every ticket handled there then leaves by the timer."""
    fixed = SCENARIO.replace(
        "    handling: 20 minutes\n", "    handling: {mean: 20 minutes, distribution: fixed}\n"
    )
    always = MATRIX.replace('{mon-fri: "09:00-17:00"}', '{daily: "00:00-24:00"}')
    write("flows/matrix.yaml", always)
    write("flows/f.yaml", FLOW)
    matrix = load_matrix(write("s.yaml", fixed).parent / "flows")
    as_written = run_whatif(load_scenario(write("a.yaml", fixed), matrix))
    shorter = fixed.replace("    people: 50\n", "    people: 50\n    window: 5-10 minutes\n", 1)
    changed = run_whatif(load_scenario(write("b.yaml", shorter), matrix))
    before = as_written.row("level", "level-1", "by_timer").estimate
    after = changed.row("level", "level-1", "by_timer").estimate
    assert before is not None
    assert after is not None
    assert before.mean == pytest.approx(0.3, abs=0.06)  # the share left to the timer
    assert after.mean == 1.0


def test_whatif_run_prints_each_level_and_priority(write: Write) -> None:
    path = scenario(write)
    done = escflow("whatif", "run", str(path), "--flows", str(path.parent / "flows"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("s: flow f, 2 weeks from 2026-01-05 x 4 replications")
    assert [line.split()[0] for line in lines if line[:1] not in ("", " ")][1:] == [
        "LEVEL",
        "level-1",
        "level-2",
        "PRIORITY",
        "normal",
    ]


def test_a_scenario_beside_itself_differs_only_by_noise(write: Write) -> None:
    path = scenario(write)
    flows = ["--flows", str(path.parent / "flows")]
    done = escflow("whatif", "run", str(path), "--vs", str(path), "--format", "json", *flows)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    differences = [
        d for scope in report["difference"].values() for m in scope.values() for d in m.values()
    ]
    assert differences
    assert all(d is None or (d["delta"] == 0 and d["noise"]) for d in differences)


def test_the_shipped_scenarios_are_valid() -> None:
    matrix = load_matrix(ROOT / "flows")
    for path in (ROOT / "scenarios").glob("*.yaml"):
        assert load_scenario(path, matrix).flow.id == "complaint"


def test_a_missing_scenario_file_is_said(tmp_path: Path) -> None:
    done = escflow("whatif", "run", str(tmp_path / "nope.yaml"), "--flows", str(ROOT / "flows"))
    assert done.returncode == 1
    assert f"no scenario file {tmp_path / 'nope.yaml'}" in done.stderr


def test_replications_in_processes_give_the_same_result(write: Write) -> None:
    path = scenario(write)
    loaded = load_scenario(path, load_matrix(path.parent / "flows"))
    alone, parallel = run_whatif(loaded, jobs=1), run_whatif(loaded, jobs=3)
    assert [r.values for r in alone.rows] == [r.values for r in parallel.rows]
