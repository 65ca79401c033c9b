"""Events per second through the Engine (memory store) next to raw transitions dispatch.

Both run the same events on the same flow (the complaint walked from level 1 to
resolution by its triggers, ticket after ticket); the raw side fires them straight on a
transitions Machine with ``machine.events[name].trigger(model)``, the engine side
applies them as escflow does: read, dispatch, deadlines, events, outbox, commit.

    .venv/bin/python bench/engine_bench.py [--tickets N] [--rounds R]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from transitions import Machine

from escflow import load_matrix
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.timing._clock import ManualClock

WALK = [
    "asks-for-manager",
    "solution-unsuccessful",
    "competitor-switch",
    "formal-complaint",
    "demands-refund",
    "approval-required",
    "resolved",
]


class Model:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def raw(flow_steps: dict[str, list[tuple[str, str]]], tickets: int) -> float:
    machine = Machine(
        model=None, states=[*flow_steps, "resolved"], initial="level-1", auto_transitions=False
    )
    for source, edges in flow_steps.items():
        for trigger, target in edges:
            machine.add_transition(trigger, source, target)
    events = [machine.events[name] for name in WALK]
    start = time.perf_counter()
    for _ in range(tickets):
        model = Model("level-1")
        for event in events:
            event.trigger(model)
    return tickets * len(WALK) / (time.perf_counter() - start)


def engine(tickets: int) -> float:
    matrix = load_matrix(Path(__file__).resolve().parent.parent / "flows")
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    sent: list[Action] = []
    handlers = {
        "create-incident-report": sent.append,
        "issue-credit-note": sent.append,
        "open-incident": sent.append,
        "compute-service-credits": sent.append,
        "open-it-ticket": sent.append,
        "update-portfolio-report": sent.append,
    }
    run = Engine(matrix, clock=clock, actions=Actions(notify=sent.append, handlers=handlers))
    ids = [f"T-{n}" for n in range(tickets)]
    for ticket_id in ids:
        run.open("complaint", priority="medium", ticket_id=ticket_id)
    clock.advance(timedelta(minutes=1))
    start = time.perf_counter()
    for ticket_id in ids:
        for name in WALK:
            run.fire(ticket_id, name)
    return tickets * len(WALK) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    flow = load_matrix(Path(__file__).resolve().parent.parent / "flows").flow("complaint")
    steps = {s.id: [(t.id, t.target) for t in s.triggers] for s in flow.steps.values()}
    # The two take turns and each keeps its best round, as timeit does: a round lasts a
    # fraction of a second, and this machine's speed drifts by a third between rounds.
    raw_rate = engine_rate = 0.0
    for _ in range(args.rounds):
        raw_rate = max(raw_rate, raw(steps, args.tickets))
        engine_rate = max(engine_rate, engine(args.tickets))
    print(f"{'':32}{'events/s':>12}")
    print(f"{'raw transitions dispatch':32}{raw_rate:12,.0f}")
    print(f"{'escflow Engine (memory store)':32}{engine_rate:12,.0f}")
    print(f"engine cost / raw dispatch: {raw_rate / engine_rate:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
