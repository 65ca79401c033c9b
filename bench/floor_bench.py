"""The floor: what any durable design must write per event, next to what escflow writes.

    .venv/bin/python bench/floor_bench.py [--tickets N] [--single N] [--rounds R]

The minimal design keeps, per event, only what no design can do without: it reads the
ticket's state, updates the ticket row (its new state and its next deadline, indexed),
appends one compact event row (time, from, to, trigger, actor, reason) and one outbox row
(the contact to notify), in raw SQL with no library above the driver: a batch reads its
tickets in one statement and writes each table with one ``executemany``. escflow runs the
same walk (the complaint's 6 escalations and a resolve, ticket after ticket) through its
Engine, with ``fire`` (a commit per event) and ``fire_many`` (1000 events a commit). On
SQLite both use escflow's store settings (WAL, ``synchronous=FULL``); on PostgreSQL
(``$ESCFLOW_TEST_PG_DSN``) each runs in a schema of its own, dropped afterwards.

WAL bytes per event (SQLite): the size of the ``-wal`` file after the walk, with automatic
checkpoints off (``wal_autocheckpoint=0``) so that the file holds every frame written,
divided by the events; pages are those bytes over a frame (page size + 24 bytes). Then
where escflow's bytes go: the stored size of each column of its ticket, event and outbox
rows (SQLite's record format: text and blobs their length, integers 0-8 bytes, NULLs 0)
averaged over the rows the walk wrote, next to the minimal rows'.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from _shared import interleaved, rate_table, timed
from engine_bench import WALK
from peers_bench import PG_VARIABLE, Seeds, escflow_durable_rate, walk_calls
from store_bench import START, engine_on

from escflow.store._sqlite import PRAGMAS, SQLiteStore
from escflow.timing import ManualClock

BATCH = 1000
LEVELS = ["level-1", "level-2", "level-3", "level-4", "level-5", "level-6", "level-7"]
# The minimal rows. The ticket's deadline is indexed (the timer finds what is due); the
# event is keyed by (ticket, sequence); the outbox by its own id, its row deleted once
# delivered (so it needs no index of what is pending).
MINIMAL_SCHEMA = [
    "CREATE TABLE tickets (id TEXT PRIMARY KEY, state TEXT NOT NULL, seq INTEGER NOT NULL,"
    " deadline INTEGER) WITHOUT ROWID",
    "CREATE INDEX tickets_deadline ON tickets (deadline) WHERE deadline IS NOT NULL",
    "CREATE TABLE events (ticket_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,"
    " from_state TEXT NOT NULL, to_state TEXT NOT NULL, trigger TEXT NOT NULL,"
    " actor TEXT NOT NULL, reason TEXT, PRIMARY KEY (ticket_id, seq)) WITHOUT ROWID",
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL, at INTEGER NOT NULL,"
    " target TEXT NOT NULL)",
]
_READ = "SELECT id, state, seq FROM tickets WHERE id IN ({})"
_TICKET = "UPDATE tickets SET state = $1, seq = $2, deadline = $3 WHERE id = $4"
_EVENT = "INSERT INTO events VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
_OUTBOX = "INSERT INTO outbox (ticket_id, at, target) VALUES ($1, $2, $3)"
_START_US = int(START.timestamp() * 1_000_000)
_WINDOW_US = 30 * 60 * 1_000_000


def _next(state: str) -> str:
    return "resolved" if state == LEVELS[-1] else LEVELS[LEVELS.index(state) + 1]


def _event_rows(ticket_id: str, state: str, seq: int, n: int) -> tuple[tuple[Any, ...], ...]:
    """The three writes of one event on a ticket at ``state``: ticket, event, outbox."""
    target = _next(state)
    at = _START_US + n
    deadline = None if target == "resolved" else at + _WINDOW_US
    trigger = WALK[LEVELS.index(state)]
    return (
        (target, seq + 1, deadline, ticket_id),
        (ticket_id, seq + 1, at, state, target, trigger, "system", None),
        (ticket_id, at, f"{target}-team"),
    )


Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def batch_rows(calls: list[tuple[str, str]], found: dict[str, tuple[str, int]], first: int) -> Rows:
    """The writes of a batch of events, given each ticket's (state, seq) as read: the
    tickets' last rows (one update a ticket), an event row and an outbox row per event."""
    tickets: dict[str, tuple[Any, ...]] = {}
    events, outbox = [], []
    for n, (ticket_id, _) in enumerate(calls, start=first):
        state, seq = found[ticket_id]
        ticket, event, action = _event_rows(ticket_id, state, seq, n)
        found[ticket_id] = (ticket[0], ticket[1])
        tickets[ticket_id] = ticket
        events.append(event)
        outbox.append(action)
    return list(tickets.values()), events, outbox


# -- SQLite ------------------------------------------------------------------------------------


def sqlite_minimal(path: Path, tickets: int) -> sqlite3.Connection:
    """A new file of the minimal rows, ``tickets`` at level 1, checkpoints off."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    for statement in MINIMAL_SCHEMA:
        db.execute(statement)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO tickets VALUES (?, 'level-1', 0, ?)",
        ((f"T-{n}", _START_US + _WINDOW_US) for n in range(tickets)),
    )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA wal_autocheckpoint=0")
    return db


def _sqlite(sql: str) -> str:
    """The statement with SQLite's numbered placeholders (``?1``)."""
    return re.sub(r"\$(\d)", r"?\1", sql)


def _pg(sql: str) -> str:
    """The statement with psycopg's placeholders (``%s``, in order)."""
    return re.sub(r"\$\d", "%s", sql)


def sqlite_floor_run(path: Path, tickets: int, group: int) -> tuple[float, int]:
    """Events per second of the minimal rows, and the WAL bytes they wrote."""
    db = sqlite_minimal(path, tickets)
    read, ticket, event, outbox = map(_sqlite, (_READ, _TICKET, _EVENT, _OUTBOX))
    calls = walk_calls(tickets)

    def work() -> None:
        for i in range(0, len(calls), group):
            chosen = calls[i : i + group]
            ids = list(dict.fromkeys(t for t, _ in chosen))
            db.execute("BEGIN IMMEDIATE")
            found = {
                r[0]: (r[1], r[2])
                for r in db.execute(read.format(",".join("?" * len(ids))), ids).fetchall()
            }
            tickets, events, outboxes = batch_rows(chosen, found, i)
            db.executemany(ticket, tickets)
            db.executemany(event, events)
            db.executemany(outbox, outboxes)
            db.execute("COMMIT")

    seconds = timed(work)
    wal = Path(f"{path}-wal").stat().st_size
    db.close()
    return len(calls) / seconds, wal


def escflow_sqlite_run(url: str, tickets: int, group: int) -> tuple[float, int]:
    """Events per second of escflow on the seeded file at ``url``, and its WAL bytes."""
    path = Path(url.removeprefix("sqlite:///"))
    store = SQLiteStore(path, pool=1)
    with store._pool.connection() as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA wal_autocheckpoint=0")
    engine = engine_on(store, ManualClock(START + timedelta(minutes=1)))
    calls = walk_calls(tickets)
    if group == 1:
        seconds = timed(lambda: [engine.fire(t, name) for t, name in calls])
    else:
        seconds = timed(
            lambda: [engine.fire_many(calls[i : i + group]) for i in range(0, len(calls), group)]
        )
    wal = Path(f"{path}-wal").stat().st_size
    store.close()
    return len(calls) / seconds, wal


# -- PostgreSQL --------------------------------------------------------------------------------


def pg_floor_rate(dsn: str, tickets: int, group: int) -> float:
    """Events per second of the minimal rows on PostgreSQL, in a schema of their own."""
    import psycopg

    schema = f"escflow_floor_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
        db.execute(f"SET search_path = {schema}")
        for statement in MINIMAL_SCHEMA:
            db.execute(statement.replace(" WITHOUT ROWID", "").replace("INTEGER", "BIGINT"))
        with db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO tickets VALUES (%s, 'level-1', 0, %s)",
                [(f"T-{n}", _START_US + _WINDOW_US) for n in range(tickets)],
            )
        db.execute("ALTER TABLE outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY")
        calls = walk_calls(tickets)
        read, ticket, event, outbox = map(_pg, (_READ, _TICKET, _EVENT, _OUTBOX))

        def work() -> None:
            for i in range(0, len(calls), group):
                chosen = calls[i : i + group]
                ids = list(dict.fromkeys(t for t, _ in chosen))
                with db.transaction(), db.cursor() as cursor:
                    rows = cursor.execute(read.format(",".join(["%s"] * len(ids))), ids)
                    found = {r[0]: (r[1], r[2]) for r in rows.fetchall()}
                    tickets, events, outboxes = batch_rows(chosen, found, i)
                    cursor.executemany(ticket, tickets)
                    cursor.executemany(event, events)
                    cursor.executemany(outbox, outboxes)

        try:
            seconds = timed(work)
        finally:
            db.execute(f"DROP SCHEMA {schema} CASCADE")
    return len(calls) / seconds


# -- where the bytes go ------------------------------------------------------------------------


def stored_size(value: object) -> int:
    """Bytes of one value in SQLite's record format (header byte aside)."""
    if value is None or value in (0, 1):
        return 0
    if isinstance(value, int):
        for size, bound in ((1, 1 << 7), (2, 1 << 15), (3, 1 << 23), (4, 1 << 31), (6, 1 << 47)):
            if -bound <= value < bound:
                return size
        return 8
    if isinstance(value, float):
        return 8
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    assert isinstance(value, bytes)
    return len(value)


def column_bytes(path: Path, table: str, where: str = "") -> tuple[int, dict[str, float]]:
    """Rows of ``table`` and the mean stored bytes of each of its columns."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    names = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    rows = db.execute(f"SELECT * FROM {table} {where}").fetchall()
    db.close()
    if not rows:
        return 0, {}
    means = {
        name: statistics.fmean(stored_size(r[i]) for r in rows) for i, name in enumerate(names)
    }
    return len(rows), means


def breakdown(escflow_db: Path, minimal_db: Path) -> Iterator[str]:
    """Per table, escflow's mean bytes per column next to the minimal row's."""
    yield "where the bytes go: mean stored bytes per row and per column (SQLite record format)"
    for table in ("tickets", "events", "outbox"):
        count, ours = column_bytes(escflow_db, table)
        floor_count, floor = column_bytes(minimal_db, table)
        yield (
            f"  {table}: escflow {sum(ours.values()):,.0f} B/row over {count:,} rows,"
            f" minimal {sum(floor.values()):,.0f} B/row over {floor_count:,} rows"
        )
        biggest = sorted(ours.items(), key=lambda item: -item[1])
        yield "    escflow: " + ", ".join(f"{n} {b:.0f}" for n, b in biggest if b >= 0.5)
        yield "    minimal: " + ", ".join(f"{n} {b:.0f}" for n, b in floor.items() if b >= 0.5)


# -- the run -----------------------------------------------------------------------------------


class Wal:
    """WAL bytes per event of each measure, the last round's."""

    def __init__(self) -> None:
        self.bytes: dict[str, float] = {}
        self.kept: dict[str, Path] = {}


def figures(tickets: int, single: int, rounds: int, folder: Path) -> Iterator[str]:
    """The tables of one run."""
    pg = os.environ.get(PG_VARIABLE) or None
    seeds = Seeds(folder, pg)
    wal = Wal()
    page = 4096

    def sqlite_floor(label: str, count: int, group: int) -> Callable[[], float]:
        def measure() -> float:
            path = folder / f"minimal-{uuid.uuid4().hex}.db"
            rate, size = sqlite_floor_run(path, count, group)
            wal.bytes[label] = size / (count * len(WALK))
            wal.kept[label] = path
            return rate

        return measure

    def sqlite_escflow(label: str, count: int, group: int) -> Callable[[], float]:
        def measure() -> float:
            url = seeds.sqlite(count)
            rate, size = escflow_sqlite_run(url, count, group)
            wal.bytes[label] = size / (count * len(WALK))
            wal.kept[label] = Path(url.removeprefix("sqlite:///"))
            return rate

        return measure

    measures: dict[str, Callable[[], float]] = {
        "SQLite, a commit per event: minimal rows": sqlite_floor("floor 1", single, 1),
        "SQLite, a commit per event: escflow fire": sqlite_escflow("escflow 1", single, 1),
        "SQLite, 1000 a commit: minimal rows": sqlite_floor("floor 1000", tickets, BATCH),
        "SQLite, 1000 a commit: escflow fire_many": sqlite_escflow("escflow 1000", tickets, BATCH),
    }
    if pg is not None:
        measures["PostgreSQL, a commit per event: minimal rows"] = lambda: pg_floor_rate(
            pg, single, 1
        )
        measures["PostgreSQL, a commit per event: escflow fire"] = lambda: escflow_durable_rate(
            seeds.postgres(single), single, 1
        )
        measures["PostgreSQL, 1000 a commit: minimal rows"] = lambda: pg_floor_rate(
            pg, tickets, BATCH
        )
        measures["PostgreSQL, 1000 a commit: escflow fire_many"] = lambda: escflow_durable_rate(
            seeds.postgres(tickets), tickets, BATCH
        )
    try:
        rates = interleaved(measures, rounds)
    finally:
        seeds.close()
    yield (
        f"{tickets:,} tickets x {len(WALK)} events batched, {single:,} tickets one commit per"
        f" event; {rounds} rounds" + ("" if pg else f" (no PostgreSQL: ${PG_VARIABLE} is not set)")
    )
    ratios = [
        (f"{db}, {how}: escflow {call}", f"{db}, {how}: minimal rows", target)
        for db in ("SQLite", "PostgreSQL")
        for how, call, target in (
            ("a commit per event", "fire", ">= 0.8x"),
            ("1000 a commit", "fire_many", ">= 0.5x"),
        )
    ]
    yield from rate_table(rates, ratios)
    yield ""
    yield "SQLite WAL per event (the -wal file's size, checkpoints off; a frame is a page + 24 B):"
    for how, floor, ours in (
        ("a commit per event", "floor 1", "escflow 1"),
        ("1000 a commit", "floor 1000", "escflow 1000"),
    ):
        low, high = wal.bytes[floor], wal.bytes[ours]
        yield (
            f"  {how}: escflow {high:,.0f} B ({high / (page + 24):.2f} pages),"
            f" minimal {low:,.0f} B ({low / (page + 24):.2f} pages): {high / low:.2f}x"
            + (" (target <= 1.5x)" if how == "1000 a commit" else "")
        )
    yield ""
    yield from breakdown(wal.kept["escflow 1000"], wal.kept["floor 1000"])


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000, help="tickets, 1000 events a commit")
    parser.add_argument("--single", type=int, default=200, help="tickets, a commit per event")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for line in figures(args.tickets, args.single, args.rounds, Path(folder)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
