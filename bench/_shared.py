"""What the benchmarks share: the flows they run, the worker command line they start, and
the rounds-and-medians harness of the comparisons."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "flows"


def worker_command(url: str, actions_log: str, batch: int) -> list[str]:
    """``escflow worker`` on ``url`` and the repository's flows, as an operator starts it."""
    return [
        sys.executable,
        "-m",
        "escflow",
        "worker",
        "--db",
        url,
        "--flows",
        str(FLOWS),
        "--actions-log",
        actions_log,
        "--batch",
        str(batch),
        "--log-unhandled",
    ]


def interleaved(measures: Mapping[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each measure's rate (per second), once a round, the measures taking turns.

    A round of each lasts a second or two, and this machine's speed drifts by a third
    between rounds (other work shares its two cores): measured in turn, every one meets
    the same moods, and the median of the rounds (with their spread) says what is typical.
    """
    rates: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            rates[name].append(measure())
    return rates


def rate_table(
    rates: Mapping[str, list[float]],
    ratios: Sequence[tuple[str, str, str]],
    unit: str = "events/s",
) -> Iterator[str]:
    """Lines of a table: each measure's median and spread (min..max over the rounds), then
    each ``(measure, reference, target)`` ratio of medians."""
    yield f"{'':58}{'median ' + unit:>18}{'(min..max)':>22}"
    for name, found in rates.items():
        spread = f"{min(found):,.0f}..{max(found):,.0f}"
        yield f"{name:58}{statistics.median(found):18,.0f}{spread:>22}"
    yield ""
    for name, reference, target in ratios:
        if name in rates and reference in rates:
            ratio = statistics.median(rates[name]) / statistics.median(rates[reference])
            yield f"{name} / {reference}: {ratio:.2f}x{f' (target {target})' if target else ''}"


def timed(work: Callable[[], object]) -> float:
    """Seconds ``work`` takes."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
