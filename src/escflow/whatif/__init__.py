"""Capacity what-if: a scenario's load simulated through a flow, measures with their
confidence intervals, and two scenarios side by side."""

from escflow.whatif._results import Compared, Measure, Row, WhatIf, compare, run_whatif
from escflow.whatif._scenario import Scenario, ScenarioDoc, load_scenario
from escflow.whatif._stats import Difference, Estimate

__all__ = [
    "Compared",
    "Difference",
    "Estimate",
    "Measure",
    "Row",
    "Scenario",
    "ScenarioDoc",
    "WhatIf",
    "compare",
    "load_scenario",
    "run_whatif",
]
