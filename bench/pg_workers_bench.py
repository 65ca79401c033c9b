"""Timer sweep on PostgreSQL with 1 and with 2 worker processes, side by side.

    .venv/bin/python bench/pg_workers_bench.py [--tickets N] [--batch B] [--repeat R]
                                               [--dsn URL]

Seeds N open complaint tickets (default 50,000: the workers' start-up, under a second,
is then a small part of a run) into a template database: every one sits at level 6,
acknowledged (so no warning is due), with its level-6 deadline weeks in the past. Each
ticket therefore has exactly one due escalation, to level 7 ("until resolution": nothing
is due after it), which queues one action (the customer notice).
For each run a fresh database is made from the template (``CREATE DATABASE ...
TEMPLATE``), so every run starts from the same rows, and then 1 or 2 real processes of

    python -m escflow worker --db URL --flows flows/ --actions-log FILE --batch B

do the work: claim due tickets with the store's ``FOR UPDATE SKIP LOCKED`` leases,
escalate them, commit each batch, then claim and deliver the queued actions (JSON lines to
a log file per worker) and record each delivery. The bench polls the database every
100 ms and measures, from the launch of the workers:

- until no ticket is due any more (every escalation committed): escalations per second,
  also "steady", from the first committed batch on, which leaves out the workers'
  start-up (interpreter, imports, loading flows/), the same in both configurations;
- until the outbox is drained as well (every notice delivered and recorded).

Then it stops the workers with SIGTERM and checks that exactly N escalations were written
(no ticket escalated twice or missed). Each configuration runs R times (default 3,
alternating 1-2, 2-1, ...); the ratios of 2 workers to 1 (target: 2 workers >= 1.6x one)
compare the medians. For each run it also prints the CPU seconds that the workers and
their PostgreSQL backends used between the first escalation and the last, read from /proc
(the backends' figures need the server on this machine), what everything else on the
machine used meanwhile, how busy its cores were, how the deliveries split between the
workers, and how many transactions rolled back (a lost race between workers would).

The DSN (``--dsn``, default ``$ESCFLOW_TEST_PG_DSN``, else
postgresql://postgres@127.0.0.1:5432/test) must be a ``postgresql://`` URL of a role that
may create databases; the bench creates ``escflow_bench_*`` databases next to the one it
names and drops them when it ends.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from _shared import FLOWS, worker_command
from psycopg import sql
from psycopg.rows import TupleRow

from escflow import load_matrix
from escflow.records import Action, Event, Ticket
from escflow.runtime import Actions, Engine
from escflow.store import MemoryStore, Write
from escflow.store._postgres import PostgresStore
from escflow.timing import ManualClock

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
# Each poll costs the server a few ms (the tickets' pages change under it): not too often.
POLL = 0.1
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cpu:
    """CPU seconds, at one instant, of the workers, their backends and the machine."""

    workers: tuple[float, ...]
    backends: dict[int, float]  # by process id
    busy: float  # the machine's non-idle seconds, summed over its cores
    total: float  # the machine's seconds, summed over its cores


@dataclass(frozen=True)
class Run:
    """What one measurement found."""

    workers: int
    escalated: float  # seconds from launch until no ticket was due
    first: float  # seconds from launch until the first escalations were committed
    first_count: int  # how many were committed by then
    drained: float  # seconds from launch until the outbox was empty too
    written: int  # escalation events in the database afterwards
    deliveries: tuple[int, ...]  # lines in each worker's actions log
    polling: float  # seconds this bench spent in its progress queries
    rollbacks: int  # transactions rolled back in the database: lost races, if any
    start: Cpu  # at the first escalation
    end: Cpu  # when the last ticket had escalated

    @property
    def window(self) -> float:
        """Seconds from the first commit to the last (one poll, when they fell in one)."""
        return max(self.escalated - self.first, POLL)

    def steady(self, tickets: int) -> float:
        """Escalations per second after the first commit, without the workers' start-up."""
        return (tickets - self.first_count) / self.window


def template_ticket() -> tuple[Ticket, list[Event]]:
    """A complaint ticket at level 6, acknowledged, whose level-6 deadline is long past."""
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    # A Monday four weeks ago: levels 1 to 6 (the last two in business days) end by now.
    monday = today - timedelta(days=today.weekday() + 28)
    clock = ManualClock(monday)
    matrix = load_matrix(FLOWS)
    sink: list[Action] = []
    handlers = dict.fromkeys(matrix.handler_names, sink.append)
    engine = Engine(
        matrix, MemoryStore(), clock=clock, actions=Actions(notify=sink.append, handlers=handlers)
    )
    engine.open("complaint", priority="medium", ticket_id="B-0")
    while (ticket := engine.get("B-0")).level != "level-6":
        assert ticket.next_due is not None
        clock.advance(ticket.next_due - clock.now())
        engine.tick()
    engine.acknowledge("B-0")  # drops the level-6 warning: the escalation is all that is due
    ticket = engine.get("B-0")
    assert ticket.warn_at is None
    assert ticket.deadline is not None
    assert ticket.deadline < datetime.now(UTC) - timedelta(days=1), ticket.deadline
    return ticket, engine.history("B-0")


def seed(url: str, tickets: int) -> None:
    """``tickets`` copies of the template ticket, written by the store in large batches."""
    first, history = template_ticket()
    flow = load_matrix(FLOWS).flow("complaint")
    store = PostgresStore(url)
    try:
        store.save_version(flow.digest, flow.id, flow.source)
        # The seed's own outbox stays empty: every action in the outbox is the workers'.
        for start in range(0, tickets, 2000):
            store.append(
                [
                    Write(
                        replace(first, id=f"B-{n:06}"),
                        [replace(e, ticket_id=f"B-{n:06}") for e in history],
                        [],
                        0,
                    )
                    for n in range(start, min(start + 2000, tickets))
                ]
            )
    finally:
        store.close()


def database_url(dsn: str, name: str) -> str:
    """``dsn`` naming the database ``name`` instead (its options kept)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def admin(dsn: str) -> Iterator[psycopg.Connection[TupleRow]]:
    with psycopg.connect(dsn, autocommit=True) as db:
        yield db


def create_database(dsn: str, name: str, template: str | None = None) -> None:
    with admin(dsn) as db:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        db.execute(statement)


def drop_database(dsn: str, name: str) -> None:
    with admin(dsn) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def settle(url: str) -> None:
    """Vacuum and checkpoint, so that neither run pays for the seed's or the copy's writes."""
    with admin(url) as db:
        db.execute("VACUUM (ANALYZE)")
        # Only a superuser or pg_checkpoint may; the figures are just noisier without it.
        with suppress(psycopg.Error):
            db.execute("CHECKPOINT")


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of a process (0 once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()  # the name, in parentheses, may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_cpu() -> tuple[float, float]:
    """The machine's (busy, total) CPU seconds since boot, summed over its cores."""
    with Path("/proc/stat").open() as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    total = sum(ticks[:8])  # guest time is counted in user time already
    return (total - idle) / _TICK, total / _TICK


def cpu_now(workers: Sequence[subprocess.Popen[bytes]], db: psycopg.Connection[TupleRow]) -> Cpu:
    busy, total = machine_cpu()
    pids = [
        int(r[0])
        for r in db.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    ]
    return Cpu(
        tuple(process_cpu(w.pid) for w in workers),
        {pid: process_cpu(pid) for pid in pids},
        busy,
        total,
    )


def measure(url: str, workers: int, batch: int, tickets: int, folder: Path, timeout: float) -> Run:
    logs = [folder / f"actions-{w}.jsonl" for w in range(workers)]
    errors = [folder / f"stderr-{w}.txt" for w in range(workers)]
    with admin(url) as db:
        launched = time.perf_counter()
        procs = [
            subprocess.Popen(
                worker_command(url, str(log), batch),
                stdout=subprocess.DEVNULL,
                stderr=error.open("wb"),
            )
            for log, error in zip(logs, errors, strict=True)
        ]
        try:
            first = escalated = drained = 0.0
            first_count = 0
            start = end = cpu_now(procs, db)
            polling = 0.0
            while True:
                asked = time.perf_counter()
                row = db.execute(
                    "SELECT (SELECT count(*) FROM tickets WHERE next_due IS NOT NULL),"
                    " (SELECT count(*) FROM outbox WHERE pending)"
                ).fetchone()
                now = time.perf_counter() - launched
                polling += time.perf_counter() - asked
                assert row is not None
                due, pending = int(row[0]), int(row[1])
                if not first and due < tickets:
                    first, first_count = now, tickets - due
                    start = cpu_now(procs, db)
                if not escalated and due == 0:
                    escalated = now
                    end = cpu_now(procs, db)
                if escalated and pending == 0:
                    drained = now
                    break
                if any(p.poll() is not None for p in procs) or now > timeout:
                    raise SystemExit(
                        f"the {workers} worker(s) did not finish ({due:,} tickets still due,"
                        f" {pending:,} actions pending after {now:.0f} s): "
                        + " | ".join(e.read_text().strip() for e in errors)
                    )
                time.sleep(POLL)
        finally:
            for proc in procs:
                proc.terminate()  # SIGTERM: the worker ends after the batch in hand
            for proc in procs:
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        time.sleep(0.5)  # the backends report their counts as they exit, just after
        row = db.execute(
            "SELECT (SELECT count(*) FROM events WHERE kind = 'escalated'),"
            " xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return Run(
        workers=workers,
        escalated=escalated,
        first=first,
        first_count=first_count,
        drained=drained,
        written=int(row[0]),
        rollbacks=int(row[1]),
        deliveries=tuple(sum(1 for _ in log.open("rb")) for log in logs),
        polling=polling,
        start=start,
        end=end,
    )


def report(runs: Sequence[Run], tickets: int, seeded: int) -> None:
    print(
        f"{'':14}{'all escalated':>14}{'escalations/s':>15}{'steady /s':>11}"
        f"{'outbox drained':>16}{'escalated+delivered/s':>23}"
    )
    for number, run in enumerate(runs, 1):
        name = f"{run.workers} worker{'s' if run.workers > 1 else ''} #{number}"
        print(
            f"{name:14}{run.escalated:13.2f}s{tickets / run.escalated:15,.0f}"
            f"{run.steady(tickets):11,.0f}{run.drained:15.2f}s{tickets / run.drained:23,.0f}"
        )
    one = [r for r in runs if r.workers == 1]
    two = [r for r in runs if r.workers == 2]

    def ratio(measure: Callable[[Run], float]) -> float:
        return statistics.median(map(measure, two)) / statistics.median(map(measure, one))

    print(
        f"2 workers / 1 worker{' (medians)' if len(one) > 1 else ''}:"
        f" {ratio(lambda r: 1 / r.escalated):.2f}x escalations/s from launch,"
        f" {ratio(lambda r: r.steady(tickets)):.2f}x steady (from the first commit),"
        f" {ratio(lambda r: 1 / r.drained):.2f}x to the outbox drained (target >= 1.6x)"
    )
    print("from the first escalation to the last, CPU seconds (ms per escalation):")
    for number, run in enumerate(runs, 1):
        done = tickets - run.first_count
        workers = [e - s for s, e in zip(run.start.workers, run.end.workers, strict=True)]
        # A backend that connected after the first commit counts from its start.
        backends = sum(c - run.start.backends.get(pid, 0.0) for pid, c in run.end.backends.items())
        busy = run.end.busy - run.start.busy
        total = run.end.total - run.start.total
        print(
            f"  #{number} {run.window:5.2f} s: worker"
            f"{'s' if run.workers > 1 else ''} {' + '.join(f'{w:.2f}' for w in workers)}"
            f" ({sum(workers) / done * 1000:.3f}), their PostgreSQL backends {backends:.2f}"
            f" ({backends / done * 1000:.3f}), anything else {busy - sum(workers) - backends:.2f};"
            f" machine {busy / total:.0%} busy of"
            f" {total / run.window:.0f} cores"
        )
    for number, run in enumerate(runs, 1):
        print(
            f"  #{number} first commit {run.first:.2f} s after launch ({run.first_count:,}"
            f" tickets); deliveries per worker {', '.join(f'{d:,}' for d in run.deliveries)};"
            f" {run.rollbacks} rollbacks; this bench's polls took {run.polling:.2f} s"
        )
        if run.written != seeded + tickets:
            print(f"  !! {run.written - seeded:,} escalations written for {tickets:,} due tickets")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500, help="the workers' --batch")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each configuration (medians compared)"
    )
    parser.add_argument(
        "--dsn",
        default=os.environ.get("ESCFLOW_TEST_PG_DSN") or DEFAULT_DSN,
        help="a postgresql:// URL (default: $ESCFLOW_TEST_PG_DSN, else %(default)s)",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds a run may take at most")
    args = parser.parse_args()
    if not args.dsn.startswith(("postgresql://", "postgres://")):
        parser.error("--dsn must be a postgresql:// URL: the workers' --db takes URLs only")
    prefix = f"escflow_bench_{uuid.uuid4().hex[:10]}"
    seed_name = f"{prefix}_seed"
    created = [seed_name]
    try:
        started = time.perf_counter()
        create_database(args.dsn, seed_name)
        seed_url = database_url(args.dsn, seed_name)
        seed(seed_url, args.tickets)
        settle(seed_url)
        with admin(seed_url) as db:
            row = db.execute("SELECT count(*) FROM events WHERE kind = 'escalated'").fetchone()
            assert row is not None
            seeded_escalations = int(row[0])
        print(
            f"seeded {args.tickets:,} tickets due for one escalation each (level 6 -> 7, one"
            f" notice) in {time.perf_counter() - started:.1f} s; batch {args.batch}"
        )
        runs: list[Run] = []
        # Alternating 1-2, 2-1, ... so that a drift of the machine (a neighbour starting
        # work, the server's caches warming) weighs on both configurations alike.
        order = [n for r in range(args.repeat) for n in ((1, 2) if r % 2 == 0 else (2, 1))]
        with tempfile.TemporaryDirectory() as folder:
            for number, workers in enumerate(order, 1):
                name = f"{prefix}_run{number}"
                created.append(name)
                create_database(args.dsn, name, template=seed_name)
                url = database_url(args.dsn, name)
                settle(url)
                logs = Path(folder) / name
                logs.mkdir()
                runs.append(measure(url, workers, args.batch, args.tickets, logs, args.timeout))
                drop_database(args.dsn, name)
        report(runs, args.tickets, seeded_escalations)
    finally:
        for name in created:
            drop_database(args.dsn, name)


if __name__ == "__main__":
    main()
