"""escflow next to what a user would pick instead, on the same 7-level walk, in one run.

    .venv/bin/python bench/peers_bench.py [--tickets N] [--durable N] [--due N] [--rounds R]

Every ticket climbs the complaint's ladder: 6 escalations and a resolve, 7 events, ticket
after ticket. The same walk runs through

- raw ``transitions`` (one Machine, a model per ticket: the floor of dispatch);
- python-statemachine (a machine per ticket, made before the clock starts);
- SpiffWorkflow, a BPMN process of 7 user tasks, each event one task run: in memory, and
  durable: each instance's JSON (its serializer's) in a SQLite row, read, run, written
  back, one commit per event and one per 1000 events;
- escflow's Engine: in memory, on SQLite and on PostgreSQL (``$ESCFLOW_TEST_PG_DSN``, in
  a schema of its own, dropped afterwards), with ``fire`` (one commit per event) and
  ``fire_many`` (1000 events a commit).

and the timer path: N tickets past their level's window, escalated by escflow's ``tick``
(1000 a transaction) and by SpiffWorkflow's ``refresh_timers`` on instances with a due
boundary timer (read, refreshed, written back, 1000 a commit). Tickets are opened (and
instances started) before the clock starts, for every system alike. Both SQLite sides run
with escflow's store settings (WAL, ``synchronous=FULL``). The measures take turns, round
after round; the table gives medians, spreads and the ratios of the issue's targets.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _shared import FLOWS, interleaved, rate_table, timed
from engine_bench import WALK, raw
from store_bench import START, copy, engine_on, seed

from escflow import load_matrix
from escflow.store import open_store
from escflow.store._sqlite import PRAGMAS
from escflow.timing import ManualClock

# Only here, for the comparison: the peers are the `bench` extra, not escflow's dependencies.
from lxml import etree  # type: ignore[import-untyped]  # isort: skip
from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]  # isort: skip
from SpiffWorkflow.bpmn.parser import BpmnParser  # type: ignore[import-untyped]  # isort: skip
from SpiffWorkflow.bpmn.serializer import (  # type: ignore[import-untyped]  # isort: skip
    BpmnWorkflowSerializer,
)
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]  # isort: skip
from statemachine import State, StateMachine  # isort: skip

LEVELS = len(WALK)  # 6 escalations + resolve: a task per event
BATCH = 1000
PG_VARIABLE = "ESCFLOW_TEST_PG_DSN"


# -- python-statemachine ---------------------------------------------------------------------


class Walk(StateMachine):
    """The ladder as python-statemachine declares it: a state per level, an event per rung."""

    level1 = State(initial=True)
    level2 = State()
    level3 = State()
    level4 = State()
    level5 = State()
    level6 = State()
    level7 = State()
    resolved = State(final=True)
    e1 = level1.to(level2)
    e2 = level2.to(level3)
    e3 = level3.to(level4)
    e4 = level4.to(level5)
    e5 = level5.to(level6)
    e6 = level6.to(level7)
    resolve = level7.to(resolved)


STATEMACHINE_EVENTS = ["e1", "e2", "e3", "e4", "e5", "e6", "resolve"]


def statemachine_rate(tickets: int) -> float:
    machines = [Walk() for _ in range(tickets)]
    seconds = timed(lambda: [m.send(e) for m in machines for e in STATEMACHINE_EVENTS])
    assert all(m.resolved.is_active for m in machines)
    return tickets * LEVELS / seconds


# -- SpiffWorkflow -----------------------------------------------------------------------------

_BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def walk_bpmn(timer: bool) -> str:
    """A process of a user task per level, in sequence; with ``timer``, level 1 carries an
    interrupting boundary timer already due (``PT0S``) that moves it to level 2."""
    parts = ['<bpmn:startEvent id="start"/>']
    before = "start"
    for n in range(1, LEVELS + 1):
        parts.append(f'<bpmn:userTask id="level_{n}"/>')
        parts.append(f'<bpmn:sequenceFlow id="f{n}" sourceRef="{before}" targetRef="level_{n}"/>')
        before = f"level_{n}"
    parts.append('<bpmn:endEvent id="end"/>')
    parts.append(f'<bpmn:sequenceFlow id="fend" sourceRef="{before}" targetRef="end"/>')
    if timer:
        parts.append(
            '<bpmn:boundaryEvent id="late" attachedToRef="level_1" cancelActivity="true">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT0S"</bpmn:timeDuration>'
            "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            '<bpmn:sequenceFlow id="flate" sourceRef="late" targetRef="level_2"/>'
        )
    return (
        f'<bpmn:definitions {_BPMN} id="walk" targetNamespace="escflow-bench">'
        f'<bpmn:process id="walk" isExecutable="true">{"".join(parts)}</bpmn:process>'
        "</bpmn:definitions>"
    )


def spiff_spec(timer: bool) -> Any:
    parser = BpmnParser()
    parser.add_bpmn_xml(etree.fromstring(walk_bpmn(timer).encode()), filename="walk.bpmn")
    return parser.get_spec("walk")


def spiff_started(spec: Any) -> Any:
    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    return workflow


def spiff_step(workflow: Any) -> None:
    """One event: the ready user task runs, the engine moves on to the next."""
    workflow.get_next_task(state=TaskState.READY, manual=True).run()
    workflow.do_engine_steps()


def spiff_memory_rate(tickets: int) -> float:
    spec = spiff_spec(timer=False)
    workflows = [spiff_started(spec) for _ in range(tickets)]

    def work() -> None:
        for workflow in workflows:
            for _ in range(LEVELS):
                spiff_step(workflow)

    seconds = timed(work)
    assert all(w.is_completed() for w in workflows)
    return tickets * LEVELS / seconds


def spiff_db(path: Path, spec: Any, tickets: int) -> sqlite3.Connection:
    """``tickets`` started instances as JSON rows in a new SQLite file, on escflow's
    settings."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    db.execute("CREATE TABLE instances (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    serializer = BpmnWorkflowSerializer()
    body = serializer.serialize_json(spiff_started(spec))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO instances VALUES (?, ?)", ((f"T-{n}", body) for n in range(tickets))
    )
    db.execute("COMMIT")
    return db


def spiff_durable_rate(folder: Path, tickets: int, group: int) -> float:
    """Events per second: read the instance, run the event, write it back; a commit every
    ``group`` events (the instances a transaction touched stay in hand until it ends)."""
    serializer = BpmnWorkflowSerializer()
    path = folder / f"spiff-{uuid.uuid4().hex}.db"
    db = spiff_db(path, spiff_spec(timer=False), tickets)
    calls = [f"T-{n}" for n in range(tickets) for _ in range(LEVELS)]

    def work() -> None:
        for i in range(0, len(calls), group):
            db.execute("BEGIN IMMEDIATE")
            held: dict[str, Any] = {}
            for ticket_id in calls[i : i + group]:
                if ticket_id not in held:
                    (body,) = db.execute(
                        "SELECT body FROM instances WHERE id = ?", (ticket_id,)
                    ).fetchone()
                    held[ticket_id] = serializer.deserialize_json(body)
                spiff_step(held[ticket_id])
            db.executemany(
                "UPDATE instances SET body = ? WHERE id = ?",
                [(serializer.serialize_json(w), t) for t, w in held.items()],
            )
            db.execute("COMMIT")

    seconds = timed(work)
    db.close()
    _remove(path)
    return len(calls) / seconds


def spiff_timer_rate(folder: Path, due: int) -> float:
    """Escalations per second: ``due`` instances whose level-1 timer has passed, read,
    refreshed and written back, 1000 a commit."""
    serializer = BpmnWorkflowSerializer()
    path = folder / f"spiff-timer-{uuid.uuid4().hex}.db"
    db = spiff_db(path, spiff_spec(timer=True), due)
    ids = [f"T-{n}" for n in range(due)]
    moved = 0

    def work() -> None:
        nonlocal moved
        for i in range(0, due, BATCH):
            db.execute("BEGIN IMMEDIATE")
            chosen = ids[i : i + BATCH]
            marks = ",".join("?" * len(chosen))
            rows = db.execute(f"SELECT id, body FROM instances WHERE id IN ({marks})", chosen)
            written = []
            for ticket_id, body in rows.fetchall():
                workflow = serializer.deserialize_json(body)
                workflow.refresh_timers()
                workflow.do_engine_steps()
                ready = workflow.get_next_task(state=TaskState.READY, manual=True)
                moved += ready.task_spec.name == "level_2"
                written.append((serializer.serialize_json(workflow), ticket_id))
            db.executemany("UPDATE instances SET body = ? WHERE id = ?", written)
            db.execute("COMMIT")

    seconds = timed(work)
    db.close()
    _remove(path)
    assert moved == due, f"{moved} of {due} instances escalated"
    return due / seconds


# -- escflow -----------------------------------------------------------------------------------


def escflow_memory_rate(tickets: int) -> float:
    from escflow.store import MemoryStore

    clock = ManualClock(START)
    engine = engine_on(MemoryStore(), clock)
    ids = [f"T-{n}" for n in range(tickets)]
    for ticket_id in ids:
        engine.open("complaint", priority="medium", ticket_id=ticket_id)
    clock.advance(timedelta(minutes=1))
    seconds = timed(lambda: [engine.fire(t, name) for t in ids for name in WALK])
    return tickets * LEVELS / seconds


def walk_calls(tickets: int) -> list[tuple[str, str]]:
    return [(f"T-{n}", name) for n in range(tickets) for name in WALK]


def escflow_durable_rate(url: str, tickets: int, group: int) -> float:
    """Events per second through the engine on the store at ``url`` (its tickets seeded)."""
    store = open_store(url)
    engine = engine_on(store, ManualClock(START + timedelta(minutes=1)))
    calls = walk_calls(tickets)
    if group == 1:
        seconds = timed(lambda: [engine.fire(t, name) for t, name in calls])
    else:
        seconds = timed(
            lambda: [engine.fire_many(calls[i : i + group]) for i in range(0, len(calls), group)]
        )
    store.close()
    return len(calls) / seconds


def escflow_timer_rate(url: str, due: int) -> float:
    """Escalations per second of ``tick`` (1000 a transaction) until nothing is due."""
    store = open_store(url)
    engine = engine_on(store, ManualClock(START + timedelta(minutes=40)))
    escalations = 0

    def work() -> None:
        nonlocal escalations
        while changes := engine.tick(limit=BATCH):
            escalations += sum(e.kind == "escalated" for c in changes for e in c.events)

    seconds = timed(work)
    store.close()
    assert escalations == due, f"{escalations} of {due} tickets escalated"
    return escalations / seconds


class Seeds:
    """Stores of seeded tickets, a fresh copy for every round (a SQLite file copied, a
    PostgreSQL schema filled again)."""

    def __init__(self, folder: Path, pg: str | None) -> None:
        self.folder = folder
        self.pg = pg
        self._bases: dict[tuple[int, bool], Path] = {}
        self._schemas: list[str] = []

    def _base(self, tickets: int, ack: bool) -> Path:
        key = (tickets, ack)
        if key not in self._bases:
            path = self.folder / f"base-{tickets}-{ack}.db"
            # All at level 1 a minute after START; acknowledged ones wait for their window.
            seed(path, tickets, START - timedelta(seconds=30), timedelta(seconds=30), ack=ack)
            self._bases[key] = path
        return self._bases[key]

    def sqlite(self, tickets: int, ack: bool = False) -> str:
        path = self.folder / f"escflow-{uuid.uuid4().hex}.db"
        copy(self._base(tickets, ack), path)
        return f"sqlite:///{path}"

    def postgres(self, tickets: int, ack: bool = False) -> str:
        import psycopg

        assert self.pg is not None
        schema = f"escflow_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.pg, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
        self._schemas.append(schema)
        # libpq decodes %XX in a URL's parameters (but not '+'): the option quoted whole.
        joiner = "&" if "?" in self.pg else "?"
        url = f"{self.pg}{joiner}options={quote(f'-c search_path={schema}', safe='')}"
        source = open_store(self.sqlite(tickets, ack))
        target = open_store(url)
        flow = load_matrix(FLOWS).flow("complaint")
        target.save_version(flow.digest, flow.id, flow.source)
        _copy_tickets(source, target, tickets)
        source.close()
        target.close()
        return url

    def close(self) -> None:
        if self.pg is None or not self._schemas:
            return
        import psycopg

        with psycopg.connect(self.pg, autocommit=True) as admin:
            for schema in self._schemas:
                admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _copy_tickets(source: Any, target: Any, tickets: int) -> None:
    from escflow.store import Write

    for start in range(0, tickets, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, tickets)):
            ticket = source.get(f"T-{n}")
            batch.append(Write(ticket, source.history(ticket.id), source.actions(ticket.id), 0))
        target.append(batch)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def _dropping(url: str) -> None:
    if url.startswith("sqlite:///"):
        _remove(Path(url.removeprefix("sqlite:///")))


def _on(seeds: Seeds, make: Callable[[], str], run: Callable[[str], float]) -> Callable[[], float]:
    """A measure on a fresh seeded store each round."""

    def measure() -> float:
        url = make()
        try:
            return run(url)
        finally:
            _dropping(url)

    return measure


def measures(
    seeds: Seeds, folder: Path, tickets: int, durable: int, due: int
) -> dict[str, Callable[[], float]]:
    flow = load_matrix(FLOWS).flow("complaint")
    steps = {s.id: [(t.id, t.target) for t in s.triggers] for s in flow.steps.values()}
    found: dict[str, Callable[[], float]] = {
        "memory: raw transitions": lambda: raw(steps, tickets),
        "memory: python-statemachine": lambda: statemachine_rate(tickets),
        "memory: SpiffWorkflow": lambda: spiff_memory_rate(tickets),
        "memory: escflow": lambda: escflow_memory_rate(tickets),
        "SQLite, a commit per event: SpiffWorkflow JSON": lambda: spiff_durable_rate(
            folder, durable, 1
        ),
        "SQLite, a commit per event: escflow fire": _on(
            seeds, lambda: seeds.sqlite(durable), lambda u: escflow_durable_rate(u, durable, 1)
        ),
        "SQLite, 1000 a commit: SpiffWorkflow JSON": lambda: spiff_durable_rate(
            folder, tickets, BATCH
        ),
        "SQLite, 1000 a commit: escflow fire_many": _on(
            seeds, lambda: seeds.sqlite(tickets), lambda u: escflow_durable_rate(u, tickets, BATCH)
        ),
    }
    if seeds.pg is not None:
        found["PostgreSQL, a commit per event: escflow fire"] = _on(
            seeds, lambda: seeds.postgres(durable), lambda u: escflow_durable_rate(u, durable, 1)
        )
        found["PostgreSQL, 1000 a commit: escflow fire_many"] = _on(
            seeds,
            lambda: seeds.postgres(tickets),
            lambda u: escflow_durable_rate(u, tickets, BATCH),
        )
    found["timers, SQLite: SpiffWorkflow refresh_timers"] = lambda: spiff_timer_rate(folder, due)
    found["timers, SQLite: escflow tick"] = _on(
        seeds, lambda: seeds.sqlite(due, ack=True), lambda u: escflow_timer_rate(u, due)
    )
    return found


RATIOS = [
    ("memory: escflow", "memory: python-statemachine", ">= 5x"),
    ("memory: escflow", "memory: SpiffWorkflow", ">= 25x"),
    ("memory: escflow", "memory: raw transitions", ""),
    (
        "SQLite, a commit per event: escflow fire",
        "SQLite, a commit per event: SpiffWorkflow JSON",
        "",
    ),
    ("SQLite, 1000 a commit: escflow fire_many", "SQLite, 1000 a commit: SpiffWorkflow JSON", ""),
    ("timers, SQLite: escflow tick", "timers, SQLite: SpiffWorkflow refresh_timers", ">= 15x"),
]


def figures(tickets: int, durable: int, due: int, rounds: int, folder: Path) -> Iterator[str]:
    """The table of one run."""
    seeds = Seeds(folder, os.environ.get(PG_VARIABLE) or None)
    try:
        rates = interleaved(measures(seeds, folder, tickets, durable, due), rounds)
    finally:
        seeds.close()
    yield (
        f"{tickets:,} tickets x {LEVELS} events ({durable:,} tickets one commit per event),"
        f" {due:,} due timers; {rounds} rounds"
        + ("" if seeds.pg else f" (no PostgreSQL: ${PG_VARIABLE} is not set)")
    )
    yield from rate_table(rates, RATIOS)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000, help="tickets walked (in memory)")
    parser.add_argument("--durable", type=int, default=200, help="tickets, one commit per event")
    parser.add_argument("--due", type=int, default=2000, help="tickets due for the timer path")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for line in figures(args.tickets, args.durable, args.due, args.rounds, Path(folder)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
