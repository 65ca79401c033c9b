"""Simulated tickets per second of ``escflow whatif`` on the complaint flow, by load.

The shipped scenario (scenarios/complaint.yaml) scaled to N tickets a day: its arrival
rates and its people multiplied by the same factor, so that each level stays as busy as
in the shipped file and the run measures the simulation, not a queue that grows without
end. Prints, per load, the tickets simulated per second of one process, and the time a
52-week, 20-replication run takes at the target load (measured with ``--full``, else
extrapolated from the measured rate).

    .venv/bin/python bench/whatif_bench.py [--weeks W] [--replications R] [--full]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import simpy

from escflow import load_matrix
from escflow.whatif import Scenario, load_scenario, run_whatif
from escflow.whatif._scenario import with_windows

ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_DAY = 500
TARGET_WEEKS, TARGET_REPLICATIONS, TARGET_SECONDS = 52, 20, 60.0


def per_day(scenario: Scenario) -> float:
    """The tickets a day the scenario's arrivals give (their rates summed over a week)."""
    return sum(sum(a.hour_of_week()) for a in scenario.doc.arrivals) / 7


def scaled(base: Scenario, tickets_per_day: float, weeks: int, replications: int) -> Scenario:
    """The scenario at ``tickets_per_day``: rates and people multiplied alike."""
    factor = tickets_per_day / per_day(base)
    doc = base.doc
    arrivals = [
        a.model_copy(
            update={
                "per_hour": a.per_hour * factor,
                "peaks": [p.model_copy(update={"per_hour": p.per_hour * factor}) for p in a.peaks],
            }
        )
        for a in doc.arrivals
    ]
    levels = {
        key: load.model_copy(update={"people": max(1, round(load.people * factor))})
        for key, load in doc.levels.items()
    }
    update = {"arrivals": arrivals, "levels": levels, "weeks": weeks, "replications": replications}
    new = doc.model_copy(update=update)
    return Scenario(new, with_windows(base.flow, new), base.file)


def simpy_floor(processes: int = 20_000, steps: int = 6) -> float:
    """Events per second SimPy itself reaches: processes that each wait ``steps`` times for
    the first of two timeouts (a request or the timer, as a ticket at a level does), with
    nothing else to do. Simulated tickets per second cannot beat this divided by the events
    a ticket makes."""
    env = simpy.Environment()

    def ticket() -> Generator[Any, Any, None]:
        for _ in range(steps):
            yield env.timeout(1.0) | env.timeout(2.0)

    for _ in range(processes):
        env.process(ticket())
    started = time.perf_counter()
    env.run()
    took = time.perf_counter() - started
    events = processes * steps * 4  # two timeouts, the condition, the resumption
    return events / took


def events_per_ticket(base: Scenario) -> float:
    """SimPy events per simulated ticket, counted on a short run of the scenario."""
    counted = [0]
    step = simpy.Environment.step

    def counting(env: simpy.Environment) -> None:
        counted[0] += 1
        step(env)

    setattr(simpy.Environment, "step", counting)  # noqa: B010 (a method swapped for a count)
    try:
        result = run_whatif(scaled(base, TARGET_PER_DAY, 1, 1))
    finally:
        setattr(simpy.Environment, "step", step)  # noqa: B010
    tickets = sum(
        row.estimate.mean
        for row in result.rows
        if row.scope == "priority" and row.measure.key == "tickets" and row.estimate
    )
    return counted[0] / tickets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="run the 52 x 20 target as well")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    args = parser.parse_args()
    base = load_scenario(ROOT / "scenarios" / "complaint.yaml", load_matrix(ROOT / "flows"))
    print(f"shipped scenario: {per_day(base):.0f} tickets a day; {args.jobs} processes")
    print(f"{'tickets/day':>12} {'tickets':>9} {'seconds':>8} {'tickets/s':>10}")
    rate = 0.0
    for load in (100, 250, TARGET_PER_DAY, 1000):
        scenario = scaled(base, load, args.weeks, args.replications)
        started = time.perf_counter()
        result = run_whatif(scenario, jobs=args.jobs)
        took = time.perf_counter() - started
        tickets = sum(
            row.estimate.mean * result.replications
            for row in result.rows
            if row.scope == "priority" and row.measure.key == "tickets" and row.estimate
        )
        print(f"{load:>12} {tickets:>9.0f} {took:>8.2f} {tickets / took:>10,.0f}")
        if load == TARGET_PER_DAY:
            rate = tickets / took
    total = TARGET_PER_DAY * 7 * TARGET_WEEKS * TARGET_REPLICATIONS
    if args.full:
        scenario = scaled(base, TARGET_PER_DAY, TARGET_WEEKS, TARGET_REPLICATIONS)
        started = time.perf_counter()
        run_whatif(scenario, jobs=args.jobs)
        took, how = time.perf_counter() - started, "measured"
    else:
        took, how = total / rate, "extrapolated"
    verdict = "met" if took < TARGET_SECONDS else "NOT met"
    floor, per_ticket = simpy_floor(), events_per_ticket(base)
    print(
        f"SimPy alone: {floor:,.0f} events/s; a complaint ticket makes {per_ticket:.1f} (its"
        " arrival, a request, a timer and a condition per level):"
        f" at most {floor / per_ticket:,.0f} tickets/s in one process"
    )
    print(
        f"{TARGET_WEEKS} weeks x {TARGET_REPLICATIONS} replications at {TARGET_PER_DAY}/day"
        f" ({total:,} tickets): {took:.0f} s {how}; target < {TARGET_SECONDS:.0f} s: {verdict}"
    )


if __name__ == "__main__":
    main()
