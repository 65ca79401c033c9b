"""Start-up: ``import escflow``, ``escflow --help`` and ``escflow validate flows/``, each in a
fresh interpreter, median of 10 runs (targets 0.3 s, 0.3 s and 1 s).

    .venv/bin/python bench/startup_bench.py [--runs N]

Each run's wall time and its CPU time (user + system, from the child's own resource
usage) are both shown: on a machine shared with other work the wall time includes the
time the child waited for a core, the CPU time does not. ``python -c pass`` is the floor
of any command. The commands take turns run after run, so a busy moment hits them all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

from _shared import FLOWS

# (label, command line, target in seconds or None)
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("python -c pass", [sys.executable, "-c", "pass"], None),
    ("import escflow", [sys.executable, "-c", "import escflow"], 0.3),
    ("escflow --help", [sys.executable, "-m", "escflow", "--help"], 0.3),
    ("escflow validate flows/", [sys.executable, "-m", "escflow", "validate", str(FLOWS)], 1.0),
]


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command``; a failed run stops the bench."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    said = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{said}")
    return wall, usage.ru_utime + usage.ru_stime


def figures(runs: int) -> Iterator[str]:
    """The table: per command, median and spread (min..max) of wall and CPU seconds."""
    walls: dict[str, list[float]] = {label: [] for label, _, _ in COMMANDS}
    cpus: dict[str, list[float]] = {label: [] for label, _, _ in COMMANDS}
    for _ in range(runs):
        for label, command, _ in COMMANDS:
            wall, cpu = run_once(command)
            walls[label].append(wall)
            cpus[label].append(cpu)
    yield f"{'':26}{'wall median':>12}{'(min..max)':>16}{'CPU median':>12}{'target':>9}"
    for label, _, target in COMMANDS:
        spread = f"{min(walls[label]):.3f}..{max(walls[label]):.3f}"
        aim = f"{target:.1f} s" if target else ""
        yield (
            f"{label:26}{statistics.median(walls[label]):12.3f}{spread:>16}"
            f"{statistics.median(cpus[label]):12.3f}{aim:>9}"
        )


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    for line in figures(args.runs):
        print(line, flush=True)


if __name__ == "__main__":
    main()
