"""Eight threads calling one Engine, with store pools of 1, 2, 4 and 8 connections.

    .venv/bin/python bench/threads_bench.py [--threads N] [--calls C] [--dsn URL]

Each thread opens its own complaint tickets and, for each, acknowledges it, attaches a
note and fires a trigger: four writes, each one store transaction, and the reads before
them. The threads share one Engine and its store; the store's pool bounds how many
connections they share. A pool as large as the threads is what a connection per thread
would give. It prints calls per second for each pool size, on a SQLite file (on this
machine's disk) and, with ``--dsn`` or ``$ESCFLOW_TEST_PG_DSN``, on PostgreSQL (in a
schema of its own, dropped afterwards), and how many connections each store opened.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
from _shared import FLOWS
from psycopg import sql

from escflow import load_matrix
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.store._postgres import PostgresStore
from escflow.store._sqlite import SQLiteStore


def run(store: SQLiteStore | PostgresStore, threads: int, each: int) -> float:
    """Calls per second of ``threads`` threads, ``each`` tickets apiece, on one engine."""
    matrix = load_matrix(FLOWS)
    sink: list[Action] = []
    handlers = dict.fromkeys(matrix.handler_names, sink.append)
    engine = Engine(matrix, store, actions=Actions(notify=sink.append, handlers=handlers))
    tag = uuid.uuid4().hex[:6]
    start = threading.Barrier(threads + 1)

    def work(n: int) -> None:
        start.wait()
        for i in range(each):
            ticket = f"B-{tag}-{n}-{i}"
            engine.open("complaint", priority="medium", ticket_id=ticket)
            engine.acknowledge(ticket)
            engine.attach(ticket, "note", "called back")
            engine.fire(ticket, "asks-for-manager")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return threads * each * 4 / (time.perf_counter() - began)


def postgres_schema(dsn: str) -> tuple[str, str]:
    name = f"escflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    joiner = "&" if "?" in dsn else "?"
    return name, f"{dsn}{joiner}options=-csearch_path%3D{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--calls", type=int, default=25, help="tickets per thread")
    parser.add_argument("--dsn", default=os.environ.get("ESCFLOW_TEST_PG_DSN"))
    args = parser.parse_args()
    sizes = sorted({1, 2, 4, args.threads})
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        for size in sizes:
            store = SQLiteStore(Path(folder) / f"pool-{size}.db", pool=size)
            rate = run(store, args.threads, args.calls)
            print(
                f"sqlite     pool {size}: {rate:7.0f} calls/s"
                f" ({store._pool.open} connections opened)"
            )
            store.close()
    if not args.dsn:
        print("postgres: skipped (give --dsn or $ESCFLOW_TEST_PG_DSN)")
        return
    for size in sizes:
        name, dsn = postgres_schema(args.dsn)
        try:
            pg = PostgresStore(dsn, pool=size)
            rate = run(pg, args.threads, args.calls)
            print(
                f"postgres   pool {size}: {rate:7.0f} calls/s ({pg._pool.open} connections opened)"
            )
            pg.close()
        finally:
            with psycopg.connect(args.dsn, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
