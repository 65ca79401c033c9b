"""``escflow report`` over 100,000 and 1,000,000 events, on SQLite and on PostgreSQL.

    .venv/bin/python bench/report_bench.py [--sizes 100000,1000000] [--pg DSN]

A month of tickets is generated once through flows/ on the real engine (seeded), then
copied under new ticket ids until the store holds each size of events: the same mix of
flows, levels, pauses and reopenings, only more of it. Each report runs in a process of
its own, which prints its time and its peak memory (the resident set's high-water mark):
memory that stays flat from the smaller size to the larger one is the point of counting
in SQL. PostgreSQL runs when ``--pg`` (or ``$ESCFLOW_TEST_PG_DSN``) names a server; the
bench makes a schema of its own there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from _shared import FLOWS

from escflow.compile import load_matrix
from escflow.runtime import generate_history
from escflow.store import Write, open_store

START = datetime(2026, 11, 2, tzinfo=UTC)
UNTIL = "2026-12-03T00:00:00+00:00"
EVENT_COLUMNS = "ticket_id, seq, at, kind, body, idempotency_key, key_last_seq, key_first_seq"

# Runs one report in a fresh interpreter: prints seconds and peak resident KiB.
CHILD = """
import resource, sys, time
from datetime import datetime
from escflow.report import build_report
from escflow.report._text import as_json
from escflow.store import open_store
started = time.perf_counter()
with open_store(sys.argv[1], readonly=True) as store:
    report = build_report(store, until=datetime.fromisoformat(sys.argv[2]))
    as_json(report)
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _ticket_columns(db: sqlite3.Connection) -> list[str]:
    return [row[1] for row in db.execute("PRAGMA table_info(tickets)")]


def _base(folder: Path) -> tuple[Path, int]:
    path = folder / "base.db"
    with open_store(f"sqlite:///{path}") as store:
        history = generate_history(
            load_matrix(FLOWS), store, start=START, days=30, seed=1, per_day=40
        )
    return path, history.events


def _sqlite_copy(base: Path, folder: Path, size: int, base_events: int) -> Path:
    """A copy of the base holding ``size`` events or a few more (whole copies)."""
    path = folder / f"events-{size}.db"
    path.write_bytes(base.read_bytes())
    copies = math.ceil(size / base_events)
    db = sqlite3.connect(path)
    columns = _ticket_columns(db)
    rest = ", ".join(columns[1:])
    with db:
        for i in range(1, copies):
            db.execute(
                f"INSERT INTO tickets (id, {rest}) SELECT id || '~{i}', {rest} FROM tickets"
                " WHERE id NOT LIKE '%~%'"
            )
            db.execute(
                f"INSERT INTO events ({EVENT_COLUMNS}) SELECT ticket_id || '~{i}', seq, at,"
                " kind, body, NULL, NULL, NULL FROM events WHERE ticket_id NOT LIKE '%~%'"
            )
    db.execute("ANALYZE")
    db.close()
    return path


def _pg_copy(base: Path, dsn: str, schema: str, size: int, base_events: int) -> str:
    """The base history copied through the stores' own API (rows as each store keeps
    them), then repeated in SQL under new ticket ids up to ``size`` events."""
    import psycopg

    url = f"{dsn}{'&' if '?' in dsn else '?'}options=-c%20search_path%3D{schema}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.execute(f"CREATE SCHEMA {schema}")
    with open_store(f"sqlite:///{base}", readonly=True) as source, open_store(url) as target:
        lite = sqlite3.connect(base)
        ids = [row[0] for row in lite.execute("SELECT id FROM tickets ORDER BY id")]
        for digest, flow, text in lite.execute("SELECT digest, flow_id, source FROM flow_versions"):
            target.save_version(digest, flow, text)
        lite.close()
        batch = []
        for ticket_id in ids:
            ticket = source.get(ticket_id)
            assert ticket is not None
            batch.append(Write(ticket, source.history(ticket_id), [], 0))
            if len(batch) == 200:
                target.append(batch)
                batch = []
        target.append(batch)
    copies = math.ceil(size / base_events)
    with psycopg.connect(url) as pg:
        columns = [
            row[0]
            for row in pg.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets'"
                " AND table_schema = %s ORDER BY ordinal_position",
                (schema,),
            )
        ]
        rest = ", ".join(columns[1:])
        pg.execute("ALTER TABLE events DISABLE TRIGGER USER")
        pg.execute(
            f"INSERT INTO tickets (id, {rest}) SELECT t.id || '~' || i, {rest}"
            f" FROM tickets AS t, generate_series(1, {copies - 1}) AS i"
        )
        pg.execute(
            f"INSERT INTO events ({EVENT_COLUMNS}) SELECT e.ticket_id || '~' || i, seq, at,"
            f" kind, body, NULL, NULL, NULL FROM events AS e, generate_series(1, {copies - 1})"
            " AS i"
        )
        pg.execute("ALTER TABLE events ENABLE TRIGGER USER")
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("VACUUM ANALYZE")
    return url


def _run(url: str) -> tuple[float, float, int]:
    """Seconds, peak MiB and events of one report in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, UNTIL],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    seconds, kib = done.stdout.split()
    return float(seconds), int(kib) / 1024, 0


def _events(url: str) -> int:
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        (count,) = db.execute("SELECT COUNT(*) FROM events").fetchone()
        db.close()
        return int(count)
    import psycopg

    with psycopg.connect(url) as pg:
        row = pg.execute("SELECT COUNT(*) FROM events").fetchone()
        assert row is not None
        return int(row[0])


def main() -> None:
    """Run the bench and print its figures side by side."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sizes", default="100000,1000000")
    options.add_argument("--pg", default=os.environ.get("ESCFLOW_TEST_PG_DSN"))
    args = options.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        base, base_events = _base(folder)
        print(f"base history: {base_events:,} events in {time.perf_counter() - started:.0f} s")
        schema = f"escflow_bench_{uuid.uuid4().hex[:8]}"
        try:
            for size in sizes:
                urls = {"sqlite": f"sqlite:///{_sqlite_copy(base, folder, size, base_events)}"}
                if args.pg:
                    urls["postgres"] = _pg_copy(base, args.pg, schema, size, base_events)
                for store, url in urls.items():
                    seconds, mib, _ = _run(url)
                    rows.append(
                        {
                            "store": store,
                            "events": _events(url),
                            "seconds": round(seconds, 2),
                            "peak_mib": round(mib, 1),
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
        finally:
            if args.pg:
                import psycopg

                with psycopg.connect(args.pg, autocommit=True) as admin:
                    admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    print(f"\n{'store':<10} {'events':>10} {'seconds':>8} {'peak MiB':>9}")
    for row in rows:
        print(f"{row['store']:<10} {row['events']:>10,} {row['seconds']:>8} {row['peak_mib']:>9}")


if __name__ == "__main__":
    main()
