"""Durable throughput on SQLite (synchronous=FULL), side by side with its references.

    .venv/bin/python bench/store_bench.py [--tickets N] [--events E]

Seeds N open complaint tickets, then measures, in one run:

- raw transitions dispatch of the same trigger on the same flow;
- the engine on SQLite with one commit per event, events hitting tickets in random order,
  next to *raw SQLite commits of the same rows*: every statement the engine's store
  executed (ticket row, events, outbox), replayed with the same parameters on a copy of
  the database as it was, one transaction per event, without any escflow code (the
  two take turns, a few hundred events each);
- the same with group commit (``fire_many``, batches of 500), next to raw dispatch and to
  the raw replay of the same batches;
- a timer sweep over N tickets of which a tenth are due, each for one escalation:
  escalations per second, and the cost of a sweep when nothing is due;
- the peak memory of ``escflow worker`` busy for 30 s on 10,000 and on N open tickets.

The engine's own runs record their statements for the replay (a list append per
statement): that small cost counts against the engine.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _shared import FLOWS, worker_command
from transitions import Machine

from escflow import load_matrix
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.runtime._worker import freeze_startup
from escflow.store import MemoryStore, Write
from escflow.store._sqlite import PRAGMAS, SQLiteStore
from escflow.timing import ManualClock

# A Monday 09:00 UTC more than a week ago, so the worker (on the real clock) finds work.
_TODAY = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
START = _TODAY - timedelta(days=_TODAY.weekday() + 14)
TRIGGER = "asks-for-manager"
RSS_SECONDS = 30.0

Statement = tuple[str, str, Any]  # (execute | executemany, SQL, parameters)


class Model:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class Recording:
    """A connection that keeps every statement of each write transaction for a replay."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.transactions: list[list[Statement]] = []
        self._open: list[Statement] | None = None

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        if sql == "BEGIN IMMEDIATE":
            self._open = []
        elif sql == "COMMIT" and self._open is not None:
            self.transactions.append(self._open)
            self._open = None
        elif self._open is not None and not sql.startswith("SELECT"):
            self._open.append(("execute", sql, params))
        return self._db.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> sqlite3.Cursor:
        rows = list(params)
        if self._open is not None:
            self._open.append(("executemany", sql, rows))
        return self._db.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def engine_on(store: object, clock: ManualClock) -> Engine:
    matrix = load_matrix(FLOWS)
    sink: list[Action] = []
    handlers = dict.fromkeys(matrix.handler_names, sink.append)
    actions = Actions(notify=sink.append, handlers=handlers)
    return Engine(matrix, store, clock=clock, actions=actions)  # type: ignore[arg-type]


def seed(path: Path, tickets: int, first: datetime, span: timedelta, ack: bool) -> None:
    """``tickets`` complaints opened evenly over ``span`` from ``first`` (acknowledged at
    once when ``ack``: no warning waits, only the window's end)."""
    durable = SQLiteStore(path, pool=1)
    with durable._pool.connection() as db:
        db.execute("PRAGMA synchronous=OFF")  # seeding is set-up, not measured
    clock = ManualClock(first)
    spread = span / tickets
    for start in range(0, tickets, 20_000):
        memory = MemoryStore()
        engine = engine_on(memory, clock)
        if start == 0:
            flow = engine.matrix.flow("complaint")
            durable.save_version(flow.digest, flow.id, flow.source)
        batch: list[Write] = []
        for n in range(start, min(start + 20_000, tickets)):
            at = first + spread * n
            engine.open("complaint", priority="medium", ticket_id=f"T-{n}", at=at)
            if ack:
                engine.acknowledge(f"T-{n}", actor="agent", at=at)
            ticket_id = f"T-{n}"
            ticket = memory.get(ticket_id)
            assert ticket is not None
            batch.append(Write(ticket, memory.history(ticket_id), memory.actions(ticket_id), 0))
        durable.append(batch)
    durable.close()


def copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def raw_dispatch(events: int) -> float:
    flow = load_matrix(FLOWS).flow("complaint")
    machine = Machine(
        model=None, states=[*flow.steps, "resolved"], initial="level-1", auto_transitions=False
    )
    for step in flow.steps.values():
        for trigger in step.triggers:
            machine.add_transition(trigger.id, step.id, trigger.target)
    event = machine.events[TRIGGER]
    start = time.perf_counter()
    for _ in range(events):
        event.trigger(Model("level-1"))
    return events / (time.perf_counter() - start)


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def engine_run(
    engine: Engine, recording: Recording, calls: list[tuple[str, str]], group: int
) -> tuple[float, list[list[Statement]]]:
    """Seconds the engine took for ``calls`` and the transactions it wrote."""
    recording.transactions = []

    def work() -> None:
        if group == 1:
            for ticket_id, trigger in calls:
                engine.fire(ticket_id, trigger)
        else:
            for i in range(0, len(calls), group):
                engine.fire_many(calls[i : i + group])

    return timed(work), recording.transactions


def replay(db: sqlite3.Connection, transactions: list[list[Statement]]) -> float:
    """Seconds SQLite alone takes to commit the same statements, transaction by transaction."""

    def work() -> None:
        for statements in transactions:
            db.execute("BEGIN IMMEDIATE")
            for method, sql, params in statements:
                if method == "execute":
                    db.execute(sql, params)
                else:
                    db.executemany(sql, params)
            db.execute("COMMIT")

    return timed(work)


def side_by_side(
    engine: Engine,
    recording: Recording,
    db: sqlite3.Connection,
    calls: list[tuple[str, str]],
    group: int,
) -> tuple[float, float]:
    """Events per second of the engine and of the raw replay of its statements.

    The two take turns, a few hundred events each, so that both meet the disk in the same
    mood: an fsync here takes anywhere from 150 to 400 microseconds from one second to
    the next.
    """
    turn = max(group * 2, 200)
    engine_s = raw_s = 0.0
    for i in range(0, len(calls), turn):
        seconds, transactions = engine_run(engine, recording, calls[i : i + turn], group)
        engine_s += seconds
        raw_s += replay(db, transactions)
    return len(calls) / engine_s, len(calls) / raw_s


def durable(base: Path, folder: Path, tickets: int, events: int, group: int) -> dict[str, float]:
    """Engine and raw rates for one commit per event and for group commit."""
    engine_db, raw_db = folder / "engine.db", folder / "raw.db"
    copy(base, engine_db)
    copy(base, raw_db)
    os.sync()
    store = SQLiteStore(engine_db, pool=1)
    with store._pool.connection() as connection:
        recording = Recording(connection)
    store._pool._idle[:] = [recording]  # type: ignore[list-item]  # its one connection, recorded
    engine = engine_on(store, ManualClock(START + timedelta(minutes=1)))
    db = sqlite3.connect(raw_db, isolation_level=None)
    for pragma in PRAGMAS:  # the store's own settings: the same durability, the same cache
        db.execute(f"PRAGMA {pragma}")
    chosen = random.Random(2).sample(range(tickets), events * (1 + 4))
    single = [(f"T-{n}", TRIGGER) for n in chosen[:events]]
    grouped = [(f"T-{n}", TRIGGER) for n in chosen[events:]]
    rates: dict[str, float] = {}
    rates["single"], rates["raw single"] = side_by_side(engine, recording, db, single, 1)
    rates["group"], rates["raw group"] = side_by_side(engine, recording, db, grouped, group)
    store.close()
    db.close()
    return rates


def sweep(path: Path, due_from: datetime) -> tuple[float, float, int]:
    """Escalations per second of ``tick`` until nothing is due, and an empty sweep's cost.

    The engine is set up as ``escflow worker`` sets up its own: start-up frozen out of
    the garbage collector's generations.
    """
    clock = ManualClock(due_from)
    engine = engine_on(SQLiteStore(path), clock)
    freeze_startup()
    escalations = 0

    def work() -> None:
        nonlocal escalations
        while changes := engine.tick(limit=1000):
            escalations += sum(e.kind == "escalated" for c in changes for e in c.events)

    seconds = timed(work)
    empty = timed(lambda: [engine.tick(limit=1000) for _ in range(100)]) / 100
    gc.unfreeze()
    return escalations / seconds, empty, escalations


def worker_rss(path: Path, seconds: float) -> tuple[float, int]:
    """Peak RSS (MB) of ``escflow worker`` at work for ``seconds``, read from /proc while
    it runs, and the busy rounds it made.

    On the real clock every seeded ticket is long due, so the worker escalates ticket
    after ticket, level after level, and delivers the outbox: its memory is measured under
    load, with the page cache filled, not idle. (``ru_maxrss`` of a child would count the
    pages it shared with this process before ``exec``.)
    """
    worker = subprocess.Popen(
        worker_command(f"sqlite:///{path}", os.devnull, 500),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    status = Path(f"/proc/{worker.pid}/status")
    until = time.monotonic() + seconds
    while time.monotonic() < until and worker.poll() is None:
        try:
            text = status.read_text()
        except OSError:  # it ended between the two looks
            break
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
        time.sleep(0.05)
    worker.terminate()
    _, said = worker.communicate()
    rounds = re.search(r"stopped after (\d+) busy rounds", said)
    return peak / 1024, int(rounds[1]) if rounds else 0


def figures(tickets: int, events: int, folder: Path) -> Iterator[str]:
    started = time.perf_counter()
    base = folder / "base.db"
    # Opened in the ten minutes before START: all at level 1 when the events come.
    seed(base, tickets, START - timedelta(minutes=10), timedelta(minutes=10), ack=False)
    # Opened over 100 minutes and acknowledged: 40 minutes in, the first tenth has passed
    # its 30-minute window (one escalation each) and nothing else is due.
    swept = folder / "sweep.db"
    seed(swept, tickets, START, timedelta(minutes=100), ack=True)
    small = folder / "small.db"
    seed(small, 10_000, START, timedelta(minutes=100), ack=True)
    # Seeding leaves gigabytes for the kernel to write back: not while measuring.
    os.sync()
    yield f"seeded {tickets:,} open tickets twice in {time.perf_counter() - started:.0f} s"
    dispatch = raw_dispatch(max(events * 10, 50_000))
    rates = durable(base, folder, tickets, events, 500)
    base.unlink()
    rate, empty, moved = sweep(swept, START + timedelta(minutes=40))
    small_rss, small_rounds = worker_rss(small, RSS_SECONDS)
    large_rss, large_rounds = worker_rss(swept, RSS_SECONDS)
    yield f"{'':50}{'per second':>12}"
    yield f"{'raw transitions dispatch':50}{dispatch:12,.0f}"
    yield f"{'raw SQLite commits of the same rows, one per event':50}{rates['raw single']:12,.0f}"
    yield (
        f"{'engine on SQLite, one commit per event':50}{rates['single']:12,.0f}"
        f"   {rates['single'] / rates['raw single']:.2f}x raw commits (target >= 0.8x)"
    )
    yield f"{'raw SQLite group commits of the same rows (500)':50}{rates['raw group']:12,.0f}"
    yield (
        f"{'engine on SQLite, group commit (500)':50}{rates['group']:12,.0f}"
        f"   {rates['group'] / dispatch:.2f}x raw dispatch (target >= 0.5x),"
        f" {rates['group'] / rates['raw group']:.2f}x raw group commits"
    )
    yield (
        f"{'timer sweep, escalations':50}{rate:12,.0f}"
        f"   ({moved:,} due of {tickets:,}; target >= 10,000/s)"
    )
    yield f"sweep with nothing due: {empty * 1000:.3f} ms (target < 1 ms)"
    yield (
        f"worker peak RSS over {RSS_SECONDS:.0f} s of work: {small_rss:.0f} MB with 10,000 open"
        f" tickets ({small_rounds} busy rounds of 500), {large_rss:.0f} MB with {tickets:,}"
        f" ({large_rounds} busy rounds) (target flat, < 150 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for line in figures(args.tickets, args.events, Path(folder)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
