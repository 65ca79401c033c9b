"""The simulation against queueing theory: one level with Poisson arrivals, exponential
handling and c people, around the clock and without a timer, is an M/M/c queue, whose
waiting is known in closed form (Erlang C), computed here."""

from __future__ import annotations

import math

import pytest

from escflow import load_matrix
from escflow.whatif import load_scenario, run_whatif
from tests.conftest import Write

MATRIX = """\
escflow: 1
kind: matrix
name: Queue
calendar: always
issue_types: {support: {name: Support}}
priorities: {normal: {}}
calendars: {always: {timezone: UTC, hours: {daily: "00:00-24:00"}}}
contacts:
  desk: {name: Desk, kind: person}
"""

FLOW = """\
escflow: 1
kind: flow
id: queue
name: Queue
issue_type: support
levels:
  - level: 1
    contact: desk
    window: until resolution
    triggers:
      - {id: done, label: Done, to: resolved}
"""

SCENARIO = """\
escflow: 1
kind: whatif
flow: queue
start: 2026-01-05
weeks: %(weeks)d
replications: %(replications)d
seed: %(seed)d
arrivals:
  - {priority: normal, per_hour: %(rate)s}
levels:
  level-1:
    people: %(people)d
    handling: %(mean)d minutes
    resolved: 1
"""


def erlang_c(c: int, a: float) -> float:
    """The probability that an arrival waits in an M/M/c queue with offered load ``a``."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(
    ("rate", "people", "mean"),
    [(4.0, 3, 30), (10.0, 2, 10), (1.5, 1, 20)],
)
def test_one_level_agrees_with_erlang_c(write: Write, rate: float, people: int, mean: int) -> None:
    write("flows/matrix.yaml", MATRIX)
    write("flows/queue.yaml", FLOW)
    values = {"weeks": 8, "replications": 20, "seed": 11, "rate": rate, "people": people}
    path = write("s.yaml", SCENARIO % {**values, "mean": mean})
    result = run_whatif(load_scenario(path, load_matrix(path.parent / "flows")))

    mu = 60 / mean  # per hour
    a = rate / mu
    rho = a / people
    waits = erlang_c(people, a)
    expected = {
        "waited": waits,
        "wait_minutes": waits / (people * mu - rate) * 60,
        "utilisation": rho,
        "queue": waits * rho / (1 - rho),
    }
    for measure, exact in expected.items():
        found = result.row("level", "level-1", measure).estimate
        assert found is not None
        assert found.low is not None
        assert found.high is not None
        assert found.low <= exact <= found.high, (measure, exact, found)
    tickets = result.row("priority", "normal", "tickets").estimate
    assert tickets is not None
    assert tickets.low is not None
    assert tickets.high is not None
    assert tickets.low <= rate * 24 * 7 * 8 <= tickets.high
