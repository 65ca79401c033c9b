"""A worker killed with SIGKILL at random points, again and again, loses nothing.

2,000 tickets were opened over the past week, so every one of their deadlines is due:
the worker escalates each through the whole complaint ladder. It is killed 50 times at
random moments and restarted each time. Afterwards every ticket's history equals the one
an uninterrupted engine computes, every state equals the replay of its events, and every
action was delivered at least once under its stable key.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from escflow import Matrix, load_matrix
from escflow.records import replay
from escflow.runtime import Actions, Engine
from escflow.store import MemoryStore, Store, open_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS, worker_command

TICKETS = 2000
KILLS = 50
WEEK_AGO = datetime.now(UTC).replace(microsecond=0) - timedelta(days=8)


def _engine(matrix: Matrix, store: Store, clock: ManualClock | None = None) -> Engine:
    handlers = dict.fromkeys(matrix.handler_names, print)
    return Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))


def _seed(engine: Engine) -> None:
    spread = timedelta(days=7) / TICKETS
    for n in range(TICKETS):
        engine.open("complaint", priority="medium", ticket_id=f"T-{n:04}", at=WEEK_AGO + spread * n)


def _worker(url: str, log: Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        worker_command(url, "--poll", "0.05", "--batch", "200", "--actions-log", str(log)),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def _settled(store: Store) -> bool:
    """Nothing due and nothing left to deliver (looked at without claiming anything).

    Every ticket is looked at: a batch that a killed worker claimed stays leased to it
    (PostgreSQL) until the lease runs out, and only a worker takes it over then.
    """
    due = store.next_due()
    if due is not None and due <= datetime.now(UTC):
        return False
    return all(a.status == "delivered" for n in range(TICKETS) for a in store.actions(f"T-{n:04}"))


def test_sigkill_at_random_points_loses_nothing(tmp_path: Path, url: str) -> None:
    matrix = load_matrix(FLOWS)
    _seed(_engine(matrix, open_store(url)))
    log = tmp_path / "actions.jsonl"
    chance = random.Random(20261122)
    for _ in range(KILLS):
        worker = _worker(url, log, tmp_path)
        time.sleep(chance.uniform(0.3, 1.2))  # start-up takes ~0.3 s; then it works
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    worker = _worker(url, log, tmp_path)
    assert worker.stderr is not None
    # SIGTERM before the worker handles it would simply end it: wait until it does.
    started = worker.stderr.readline()
    assert " INFO escflow.worker: started on " in started, f"the worker did not start: {started}"
    store = open_store(url)
    deadline = time.monotonic() + 300  # killed workers' leases (PostgreSQL) last 60 s
    while not _settled(store) and time.monotonic() < deadline:
        time.sleep(1)
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert _settled(store), "the worker finished the work after the last restart"
    # Deadlines keep passing in real time: settle both sides at one instant, delivering
    # what that last catch-up queues into the same log.
    final = datetime.now(UTC)
    with log.open("a", encoding="utf-8") as more:
        settle = Engine(matrix, store, clock=ManualClock(final), actions=Actions.log(more))
        while settle.tick(limit=10_000):
            pass
        while settle.deliver(limit=10_000):
            pass

    # The same tickets, run without interruption on a simulated clock.
    clock = ManualClock(WEEK_AGO)
    reference = _engine(matrix, MemoryStore(), clock)
    _seed(reference)
    clock.set(final)
    while reference.tick(limit=10_000):
        pass

    climbed = sum(1 for e in (store.history("T-0000")) if e.kind == "escalated")
    assert climbed >= 5, "the first ticket, opened eight days ago, climbed past level 5"
    delivered = {json.loads(line)["key"] for line in log.read_text(encoding="utf-8").splitlines()}
    for n in range(TICKETS):
        ticket_id = f"T-{n:04}"
        history = store.history(ticket_id)
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
        expected = reference.history(ticket_id)
        assert [(e.kind, e.at, e.to_step, e.trigger) for e in history] == [
            (e.kind, e.at, e.to_step, e.trigger) for e in expected
        ], ticket_id
        escalations = [e.to_step or "" for e in history if e.kind == "escalated"]
        assert escalations == sorted(set(escalations)), "each due escalation exactly once"
        assert store.get(ticket_id) == replay(history)
        for action in store.actions(ticket_id):
            assert action.status == "delivered", action
            assert action.key in delivered
            assert action.key.startswith(f"{ticket_id}:")
