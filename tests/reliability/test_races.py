"""Concurrent writers on one database: an API call racing the worker's timer, and several
workers sharing one PostgreSQL database without ever doing a ticket's escalation twice."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from escflow import EscflowError, Matrix, load_matrix
from escflow.records import replay
from escflow.runtime import Actions, Engine
from escflow.store import Store, Write, open_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS, worker_command
from tests.store.conftest import fresh_schema, server_dsn

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday: the representatives are on duty


def engine(matrix: Matrix, store: Store, clock: ManualClock) -> Engine:
    handlers = dict.fromkeys(matrix.handler_names, print)
    return Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))


def test_an_api_fire_racing_the_workers_timer(url: str) -> None:
    matrix = load_matrix(FLOWS)
    seeder = engine(matrix, open_store(url), ManualClock(T0))
    ids = [f"T-{n:03}" for n in range(120)]
    for ticket_id in ids:
        seeder.open(
            "complaint", priority="medium", ticket_id=ticket_id
        )  # level 1 escalates at T0 + 30 min
    api = engine(matrix, open_store(url), ManualClock(T0 + timedelta(minutes=29)))
    timer = engine(matrix, open_store(url), ManualClock(T0 + timedelta(minutes=31)))
    refused: dict[str, str] = {}

    def fire_all() -> None:
        for ticket_id in ids:
            try:
                api.fire(ticket_id, "asks-for-manager", actor="agent")
            except EscflowError as exc:  # the timer got there first: a clear refusal
                refused[ticket_id] = type(exc).__name__

    def tick_all() -> None:
        while timer.tick(limit=7):
            pass

    threads = [threading.Thread(target=fire_all), threading.Thread(target=tick_all)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    tick_all()
    store = open_store(url)
    fired = escalated = 0
    for ticket_id in ids:
        history = store.history(ticket_id)
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
        assert store.get(ticket_id) == replay(history)
        out_of_level_1 = [e for e in history if e.from_step == "level-1" and e.to_step]
        assert len(out_of_level_1) == 1, f"{ticket_id} left level 1 once: {out_of_level_1}"
        first = out_of_level_1[0]
        if first.kind == "moved":
            fired += 1
            assert ticket_id not in refused
        else:
            escalated += 1
            assert (first.kind, first.at) == ("escalated", T0 + timedelta(minutes=30))
            assert refused[ticket_id] in ("TimeError", "InvalidTrigger")
    assert fired + escalated == len(ids)


def test_four_workers_share_ten_thousand_tickets_due_in_one_second(tmp_path: Path) -> None:
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday() + 14)  # every window has ended since
    with fresh_schema(server_dsn()) as url:
        matrix = load_matrix(FLOWS)
        store = open_store(url)
        engine(matrix, store, ManualClock(monday)).open(
            "complaint", priority="medium", ticket_id="R-00000"
        )
        first, history = store.get("R-00000"), store.history("R-00000")
        assert first is not None
        # Ten thousand tickets opened in the same second: their windows end together.
        for start in range(1, 10_000, 1000):
            store.append(
                [
                    Write(
                        replace(first, id=f"R-{n:05}"),
                        [replace(e, ticket_id=f"R-{n:05}") for e in history],
                        [],
                        0,
                    )
                    for n in range(start, min(start + 1000, 10_000))
                ]
            )
        moved: list[int] = []
        for _ in range(3):  # 1,000 tickets a worker's round: three rounds of four workers
            workers = [
                subprocess.Popen(
                    worker_command(
                        url, "--once", "--batch", "1000", "--actions-log", str(tmp_path / f"{w}")
                    ),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for w in range(4)
            ]
            errors = [w.communicate(timeout=900)[1] for w in workers]
            assert all(w.returncode == 0 for w in workers), errors
            moved += [int(e.split(" tickets moved")[0].rsplit(" ", 1)[-1]) for e in errors]
            if sum(moved) >= 10_000:
                break
        assert sum(moved) == 10_000, f"each ticket claimed by exactly one worker: {moved}"
        for n in range(10_000):
            ticket_id = f"R-{n:05}"
            events = store.history(ticket_id)
            escalations = [e.to_step or "" for e in events if e.kind == "escalated"]
            assert escalations == [
                "level-2",
                "level-3",
                "level-4",
                "level-5",
                "level-6",
                "level-7",
            ], ticket_id
            assert store.get(ticket_id) == replay(events)
