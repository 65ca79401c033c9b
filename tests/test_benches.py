"""Each comparison benchmark runs end to end on tiny sizes, so that none rots unnoticed.

The figures themselves are not checked (a test must not depend on the machine's speed):
only that each bench finishes and prints every row and ratio of its table.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # each seeds stores and starts interpreters: seconds apiece

BENCH = ROOT / "bench"


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_startup_bench_times_each_command() -> None:
    out = _run("startup_bench.py", "--runs", "1")
    for label in ("python -c pass", "import escflow", "escflow --help", "escflow validate"):
        assert label in out


def test_peers_bench_prints_every_system_and_ratio() -> None:
    pytest.importorskip("statemachine", reason="the bench extra: pip install -e '.[bench]'")
    pytest.importorskip("SpiffWorkflow", reason="the bench extra: pip install -e '.[bench]'")
    out = _run(
        "peers_bench.py", "--tickets", "30", "--durable", "3", "--due", "30", "--rounds", "1"
    )
    for label in (
        "memory: raw transitions",
        "memory: python-statemachine",
        "memory: SpiffWorkflow",
        "memory: escflow",
        "SQLite, a commit per event: SpiffWorkflow JSON",
        "SQLite, 1000 a commit: escflow fire_many",
        "timers, SQLite: SpiffWorkflow refresh_timers",
        "timers, SQLite: escflow tick",
        "memory: escflow / memory: SpiffWorkflow",
    ):
        assert label in out
    if os.environ.get("ESCFLOW_TEST_PG_DSN"):
        assert "PostgreSQL, 1000 a commit: escflow fire_many" in out


def test_floor_bench_prints_rates_wal_and_where_the_bytes_go() -> None:
    out = _run("floor_bench.py", "--tickets", "30", "--single", "3", "--rounds", "1")
    for label in (
        "SQLite, a commit per event: minimal rows",
        "SQLite, 1000 a commit: escflow fire_many / SQLite, 1000 a commit: minimal rows",
        "SQLite WAL per event",
        "where the bytes go",
        "events: escflow",
        "outbox: escflow",
    ):
        assert label in out
