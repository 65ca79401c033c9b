"""Durable throughput on SQLite (synchronous=FULL), side by side with its references.

    .venv/bin/python bench/store_bench.py [--tickets N] [--events E]

Seeds N open complaint tickets (deadlines spread over a week), then measures, in one run:
raw transitions dispatch of the same triggers; raw SQLite single-row commits of rows the
size escflow writes; the engine on SQLite with one commit per event and with group commit
(fire_many, batches of 500), events hitting tickets in random order; a timer sweep over
the N tickets with a tenth of them due; the cost of a sweep when nothing is due; and the
peak memory of `escflow worker --once` over the database.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from transitions import Machine

from escflow import load_matrix
from escflow.runtime import Action, Actions, Engine
from escflow.store import MemoryStore, Write
from escflow.store._sqlite import SQLiteStore
from escflow.timing import ManualClock

FLOWS = Path(__file__).resolve().parent.parent / "flows"
# A Monday 09:00 UTC more than a week ago, so the worker (on the real clock) finds work.
_TODAY = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
START = _TODAY - timedelta(days=_TODAY.weekday() + 14)


class Model:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def engine_on(store: object, clock: ManualClock) -> Engine:
    matrix = load_matrix(FLOWS)
    sink: list[Action] = []
    handlers = dict.fromkeys(matrix.handler_names, sink.append)
    return Engine(matrix, store, clock, Actions(notify=sink.append, handlers=handlers))  # type: ignore[arg-type]


def seed(path: Path, tickets: int, first: datetime, span: timedelta) -> None:
    clock = ManualClock(first)
    memory = MemoryStore()
    engine = engine_on(memory, clock)
    spread = span / tickets
    for n in range(tickets):
        engine.open("complaint", "medium", f"T-{n}", at=first + spread * n)
    durable = SQLiteStore(path)
    flow = engine.matrix.flow("complaint")
    durable.save_version(flow.digest, flow.id, flow.source)
    batch: list[Write] = []
    for n in range(tickets):
        ticket_id = f"T-{n}"
        ticket = memory.get(ticket_id)
        assert ticket is not None
        batch.append(Write(ticket, memory.history(ticket_id), memory.actions(ticket_id), 0))
        if len(batch) == 10_000:
            durable.append(batch)
            batch = []
    if batch:
        durable.append(batch)
    durable.close()


def raw_dispatch(events: int) -> float:
    flow = load_matrix(FLOWS).flow("complaint")
    machine = Machine(
        model=None, states=[*flow.steps, "resolved"], initial="level-1", auto_transitions=False
    )
    for step in flow.steps.values():
        for trigger in step.triggers:
            machine.add_transition(trigger.id, step.id, trigger.target)
    event = machine.events["asks-for-manager"]
    start = time.perf_counter()
    for _ in range(events):
        event.trigger(Model("level-1"))
    return events / (time.perf_counter() - start)


def raw_sqlite(path: Path, tickets: int, events: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS raw_tickets (id TEXT PRIMARY KEY, state TEXT)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS raw_events (ticket_id TEXT, seq INTEGER, body TEXT,"
        " PRIMARY KEY (ticket_id, seq)) WITHOUT ROWID"
    )
    db.execute("BEGIN")
    db.executemany(
        "INSERT OR REPLACE INTO raw_tickets VALUES (?, ?)",
        ((f"T-{n}", "x" * 600) for n in range(tickets)),
    )
    db.execute("COMMIT")
    order = random.Random(1)
    start = time.perf_counter()
    for seq in range(events):
        ticket = f"T-{order.randrange(tickets)}"
        db.execute("BEGIN")
        db.execute("UPDATE raw_tickets SET state = ? WHERE id = ?", ("y" * 600, ticket))
        db.execute("INSERT INTO raw_events VALUES (?, ?, ?)", (ticket, 1000 + seq, "z" * 300))
        db.execute("COMMIT")
    rate = events / (time.perf_counter() - start)
    db.close()
    return rate


def durable(path: Path, tickets: int, events: int, group: int) -> float:
    clock = ManualClock(START + timedelta(minutes=1))
    engine = engine_on(SQLiteStore(path), clock)
    order = random.Random(2)
    chosen = order.sample(range(tickets), events)
    calls = [(f"T-{n}", "asks-for-manager") for n in chosen]
    start = time.perf_counter()
    if group == 1:
        for ticket_id, trigger in calls:
            engine.fire(ticket_id, trigger)
    else:
        for i in range(0, len(calls), group):
            engine.fire_many(calls[i : i + group])
    return events / (time.perf_counter() - start)


def sweep(path: Path, tickets: int) -> tuple[float, float, int]:
    # Deadlines are 30 minutes after openings spread over a week: a tenth of the week in.
    now = START + timedelta(days=0.7) + timedelta(minutes=30)
    clock = ManualClock(now)
    engine = engine_on(SQLiteStore(path), clock)
    moved = 0
    start = time.perf_counter()
    while True:
        changes = engine.tick(limit=1000)
        if not changes:
            break
        moved += len(changes)
    rate = moved / (time.perf_counter() - start)
    empty_start = time.perf_counter()
    for _ in range(100):
        engine.tick(limit=1000)
    empty = (time.perf_counter() - empty_start) / 100
    return rate, empty, moved


def worker_rss(path: Path) -> float:
    """Peak RSS (MB) of one ``escflow worker --once`` round, read from /proc while it runs.

    (``ru_maxrss`` of a child would count the pages it shared with this process before
    ``exec``.)
    """
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "escflow",
            "worker",
            "--once",
            "--batch",
            "500",
            "--db",
            f"sqlite:///{path}",
            "--flows",
            str(FLOWS),
            "--actions-log",
            os.devnull,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0
    status = Path(f"/proc/{worker.pid}/status")
    while worker.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            break
        time.sleep(0.01)
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        started = time.perf_counter()
        # Opened in the ten minutes before START: all at level 1 when the events come.
        recent = START - timedelta(minutes=10), timedelta(minutes=10)
        seed(base / "single.db", args.tickets, *recent)
        print(f"seeded {args.tickets:,} open tickets in {time.perf_counter() - started:.1f} s")
        copies = {"single": base / "single.db", "group": base / "group.db"}
        with (
            sqlite3.connect(copies["single"]) as source,
            sqlite3.connect(copies["group"]) as target,
        ):
            source.backup(target)
        # Opened over a week from START: the sweep finds a tenth of them due.
        copies["sweep"] = base / "sweep.db"
        seed(copies["sweep"], args.tickets, START, timedelta(days=7))
        small = base / "small.db"
        seed(small, 10_000, START, timedelta(days=7))
        dispatch = raw_dispatch(args.events * 10)
        raw = raw_sqlite(base / "raw.db", args.tickets, args.events)
        single = durable(copies["single"], args.tickets, args.events, 1)
        grouped = durable(copies["group"], args.tickets, args.events * 4, 500)
        rate, empty, moved = sweep(copies["sweep"], args.tickets)
        print(f"{'':46}{'per second':>12}")
        print(f"{'raw transitions dispatch':46}{dispatch:12,.0f}")
        print(f"{'raw SQLite single-row commits (FULL)':46}{raw:12,.0f}")
        print(
            f"{'engine on SQLite, one commit per event':46}{single:12,.0f}"
            f"   {single / raw:.2f}x raw commits (target >= 0.8x)"
        )
        print(
            f"{'engine on SQLite, group commit (500)':46}{grouped:12,.0f}"
            f"   {grouped / dispatch:.2f}x raw dispatch (target >= 0.5x)"
        )
        print(f"{'timer sweep, escalations':46}{rate:12,.0f}   ({moved:,} due; target >= 10,000/s)")
        print(f"sweep with nothing due: {empty * 1000:.3f} ms (target < 1 ms)")
        print(
            f"worker peak RSS: {worker_rss(small):.0f} MB with 10,000 open tickets,"
            f" {worker_rss(copies['sweep']):.0f} MB with {args.tickets:,} (target flat, < 150 MB)"
        )


if __name__ == "__main__":
    main()
