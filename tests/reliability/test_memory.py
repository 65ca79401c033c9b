"""The largest batch ``escflow worker --help`` offers keeps the worker within 150 MB, on a
SQLite file and on PostgreSQL, when every ticket of the batch climbs a whole ladder at once
(opened eight days ago and never ticked: the most a ticket writes in one round)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from escflow import load_matrix
from escflow.runtime import Actions, Engine
from escflow.store import Write, open_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS, escflow, worker_command

LIMIT_MB = 150
MEASURED = """
import os, subprocess, sys
worker = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(worker.pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def largest_batch() -> int:
    helped = " ".join(escflow("worker", "--help").stdout.split())
    found = re.search(r"--batch BATCH tickets one transaction escalates.*? 1 to ([\d,]+)", helped)
    assert found is not None, helped
    return int(found[1].replace(",", ""))


def seed(url: str, count: int) -> None:
    """``count`` complaints opened eight days ago, their rows written together."""
    matrix = load_matrix(FLOWS)
    store = open_store(url)
    week = datetime.now(UTC) - timedelta(days=8)
    handlers = dict.fromkeys(matrix.handler_names, print)
    actions = Actions(notify=print, handlers=handlers)
    engine = Engine(matrix, store, clock=ManualClock(week), actions=actions)
    engine.open("complaint", priority="medium", ticket_id="R-0")
    first, history = store.get("R-0"), store.history("R-0")
    assert first is not None
    for start in range(1, count, 1000):
        store.append(
            [
                Write(
                    replace(first, id=f"R-{n}"),
                    [replace(e, ticket_id=f"R-{n}") for e in history],
                    [],
                    0,
                )
                for n in range(start, min(start + 1000, count))
            ]
        )


def test_the_largest_batch_fits_in_150_mb(url: str, tmp_path: Path) -> None:
    batch = largest_batch()
    seed(url, batch)
    # Started by a small process that reports its peak: a child's peak counts the pages
    # it shared, before it started the worker, with the process that made it (this one).
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURED,
            *worker_command(url, "--once", "--batch", str(batch), "--actions-log", os.devnull),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert f"{batch} tickets moved" in done.stderr, done.stderr
    peak = int(done.stdout) / 1024  # kilobytes on Linux
    print(f"peak RSS of worker --once --batch {batch:,} ({url.split(':')[0]}): {peak:.0f} MB")
    assert peak < LIMIT_MB
    # Every ticket where the first one is, and none due any more: each climbed all at once.
    store = open_store(url)
    tickets = store.get_many([f"R-{n}" for n in range(batch)])
    first = tickets["R-0"]
    assert first.version > 5, "the first ticket climbed"
    assert {(t.step, t.version) for t in tickets.values()} == {(first.step, first.version)}
    assert first.next_due is None or first.next_due > datetime.now(UTC) - timedelta(seconds=5)
