"""How late a worker escalates while every delivery takes 10 seconds.

    .venv/bin/python bench/worker_latency_bench.py [--poll S] [--due N] [--dsn URL]

A real HTTP endpoint on 127.0.0.1 answers each POST after 10 s. Twenty tickets queue a
webhook to it, then N tickets (default 10) are opened so that their windows end one
after the other, a second apart, while the worker is busy with the slow deliveries. A
real ``escflow worker`` process (``--poll S``, default 1; four deliveries at once) runs
them; the bench watches the store every 10 ms and takes each ticket's lateness as the
time between its deadline and the moment its escalation is committed. It prints the
median and the worst lateness on a SQLite file and, with ``--dsn`` or
``$ESCFLOW_TEST_PG_DSN``, on PostgreSQL (a schema of its own, dropped afterwards).
The target: under a second beyond the poll interval.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _shared import ROOT

sys.path.insert(0, str(ROOT))  # the tests' endpoint and flow, run as the tests run them

from tests.reliability.endpoints import SlowEndpoint, definitions, worker
from tests.store.conftest import fresh_schema

from escflow import load_matrix
from escflow.runtime import Actions, Engine
from escflow.store import open_store


def lateness(url: str, folder: Path, poll: float, due: int) -> list[float]:
    """Seconds from each deadline to its escalation's commit."""
    with SlowEndpoint(delay=10.0) as endpoint:
        flows = definitions(folder, endpoint.url)
        engine = Engine(
            load_matrix(flows),
            open_store(url),
            actions=Actions(notify=print, handlers={"slow-report": print}),
        )
        for n in range(20):
            engine.open("hooks", ticket_id=f"H-{n}")
        process = worker(folder, url, "--poll", str(poll), "--timeout", "30")
        assert process.stderr is not None
        assert "started on" in process.stderr.readline()
        while len(endpoint.posts) < 4:
            time.sleep(0.05)
        first = datetime.now(UTC) + timedelta(seconds=2)
        deadlines = {f"LATE-{n}": first + timedelta(seconds=n) for n in range(due)}
        for ticket_id, deadline in deadlines.items():
            engine.open("hooks", ticket_id=ticket_id, at=deadline - timedelta(minutes=30))
        store = open_store(url)
        seen: dict[str, float] = {}
        while len(seen) < due:
            for ticket_id, deadline in deadlines.items():
                if ticket_id not in seen:
                    ticket = store.get(ticket_id)
                    if ticket is not None and ticket.level != "level-1":
                        seen[ticket_id] = (datetime.now(UTC) - deadline).total_seconds()
            time.sleep(0.01)
        busy = len(endpoint.posts) < 20 + due
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    assert busy, "the slow deliveries were still under way when the last one escalated"
    return list(seen.values())


@contextmanager
def sqlite_url() -> Iterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'latency.db'}", Path(folder)


@contextmanager
def postgres_url(dsn: str) -> Iterator[tuple[str, Path]]:
    with fresh_schema(dsn) as url, tempfile.TemporaryDirectory() as folder:
        yield url, Path(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--due", type=int, default=10)
    parser.add_argument("--dsn", default=os.environ.get("ESCFLOW_TEST_PG_DSN"))
    args = parser.parse_args()
    places = [("sqlite", sqlite_url())]
    if args.dsn:
        places.append(("postgres", postgres_url(args.dsn)))
    for name, place in places:
        with place as (url, folder):
            late = lateness(url, folder, args.poll, args.due)
        print(
            f"{name:9} poll {args.poll:g} s, 10 s endpoint: lateness median"
            f" {statistics.median(late):.3f} s, worst {max(late):.3f} s ({len(late)} tickets)"
        )


if __name__ == "__main__":
    main()
