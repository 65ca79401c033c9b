"""How long drawing takes: every flow in flows/, and one generated 200-step flow.

Prints figures; it is not a test. Run from the repository root:

    .venv/bin/python bench/render_bench.py

The target is under 2 s for each line (DOT building plus Graphviz's ``dot``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from escflow import CompiledFlow, FlowDoc, Level, Step, Trigger, Window, compile_flow, load_matrix
from escflow.render import flow_source, render_all, render_flow

ROOT = Path(__file__).resolve().parent.parent
LEVELS, STEPS_PER_LEVEL = 20, 10  # 200 steps
CONTACTS = [
    "representative",
    "support-manager",
    "account-manager",
    "sales-manager",
    "director",
    "stakeholder",
    "senior-management",
]


def big_flow(steps_per_level: int = STEPS_PER_LEVEL, levels: int = LEVELS) -> FlowDoc:
    """A ladder of ``levels`` levels of ``steps_per_level`` steps each.

    Every step moves on to the next step, can resolve, and the last step of a level
    escalates; each level has a window, so every step also gets a timer edge.
    """
    ladder = []
    for number in range(1, levels + 1):
        steps = []
        for index in range(steps_per_level):
            last = index == steps_per_level - 1
            step_id = f"l{number}-s{index}"
            triggers = [
                Trigger(
                    id="solved", label=f"Solved at step {index} of level {number}", to="resolved"
                )
            ]
            if not last:
                triggers.append(
                    Trigger(
                        id="next", label="Checklist done, next step", to=f"l{number}-s{index + 1}"
                    )
                )
            elif number < levels:
                triggers.append(Trigger(id="escalate", label="Needs the next level"))
            steps.append(
                Step(
                    id=step_id,
                    name=f"Step {index + 1} of level {number}",
                    responses=[f"Check item {k} for this step" for k in range(3)],
                    triggers=triggers,
                )
            )
        window = "until resolution" if number == levels else "30 minutes - 1 hour"
        ladder.append(
            Level(
                level=number,
                contact=CONTACTS[(number - 1) % len(CONTACTS)],
                window=Window.model_validate(window),
                steps=steps,
            )
        )
    return FlowDoc(
        escflow=1,
        kind="flow",
        id="bench-200",
        name="Generated flow with 200 steps",
        issue_type="customer-service",
        levels=ladder,
    )


def timed(label: str, action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {elapsed:7.3f} s")
    return elapsed


def main() -> int:
    matrix = load_matrix(ROOT / "flows")
    generated: CompiledFlow = compile_flow(matrix.doc, big_flow())
    print(
        f"flows/: {len(matrix.flows)} flows;"
        f" generated: {len(generated.steps)} steps, {len(generated.triggers)} triggers"
    )
    targets = [
        timed("flows/ -> DOT (all flows + overview)", lambda: render_all(matrix, ("dot",))),
        timed("flows/ -> SVG+DOT, as committed", lambda: render_all(matrix, ("svg", "dot"))),
        timed("200-step flow -> DOT", lambda: flow_source(generated)),
        timed("200-step flow -> SVG", lambda: render_flow(generated, "svg")),
        timed("200-step flow -> SVG (LR)", lambda: render_flow(generated, "svg", "LR")),
    ]
    print("for information (raster and print formats):")
    timed("flows/ -> PNG (all flows + overview)", lambda: render_all(matrix, ("png",)))
    timed("flows/ -> PDF (all flows + overview)", lambda: render_all(matrix, ("pdf",)))
    slow = sum(1 for seconds in targets if seconds >= 2.0)
    print("targets: all under 2 s" if not slow else f"targets: {slow} over 2 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
