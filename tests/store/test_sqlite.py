"""The SQLite store as a file: schema, migrations, and the ways a database can be unusable."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.errors import StoreError
from escflow.records import Action, replay
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from escflow.store._codec import iso, micros
from escflow.store._migrate import latest, migrations
from escflow.store._sqlite import SQLiteStore, _statements
from escflow.timing import ManualClock
from tests.conftest import FLOWS, ROOT, flows_without_sla
from tests.store import schema1
from tests.store.conftest import SLA_COLUMNS, claim_together, read_only
from tests.store.test_contract import T0, create

MIGRATIONS = ROOT / "src" / "escflow" / "store" / "sql" / "sqlite"

COLUMNS = {
    "flow_versions": ["digest", "flow_id", "source", "saved_at"],
    "tickets": [
        "id",
        "flow",
        "digest",
        "priority",
        "status",
        "step",
        "level",
        "version",
        "opened_at",
        "updated_at",
        "level_entered_at",
        "deadline",
        "warn_at",
        "next_due",
        "assignee",
        "repeats",
        "acknowledged",
        "first_response_at",
        "first_response_due",
        "resolution_due",
        "resolved_at",
        "paused_at",
        "attrs",
        "timer_left",
        "quarantine",
        *SLA_COLUMNS,
    ],
    "events": [
        "ticket_id",
        "seq",
        "at",
        "kind",
        "body",
        "idempotency_key",
        "key_last_seq",
        "key_first_seq",
    ],
    "outbox": [
        "key",
        "ticket_id",
        "kind",
        "target",
        "payload",
        "created_at",
        "attempts",
        "next_attempt",
        "next_attempt_at",
        "delivered_at",
        "failed_at",
        "last_error",
        "pending",
        "claimed_by",
        "claimed_until",
        "quarantine",
        "discarded_at",
        "discarded_by",
        "discard_note",
    ],
    "escflow_schema": ["version"],
}


def test_migrations_produce_the_schema(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    db = sqlite3.connect(tmp_path / "a.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(COLUMNS)
    for table, columns in COLUMNS.items():
        assert [r[1] for r in db.execute(f"PRAGMA table_info({table})")] == columns
    indexes = {
        r[0]
        for r in db.execute("SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")
    }
    assert indexes == {
        "tickets_next_due",
        "events_pkey",
        "events_idempotency_key",
        "outbox_pending",
        "tickets_quarantined",
        "outbox_held",
        "tickets_breach_due",
        "tickets_breached",
        "tickets_flow_priority",
    }
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version() == latest("sqlite") == len(migrations("sqlite"))
    assert store.upgrade() == [], "upgrading a current database changes nothing"


def test_db_upgrade_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    names = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    assert capsys.readouterr().out == f"{url}: schema 0 -> {len(names)} ({', '.join(names)})\n"
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out == f"{url}: schema {len(names)} is current\n"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://localhost/x", "'mysql://localhost/x' is not a database URL escflow can open"),
        ("sqlite:///", "names no file"),
        ("sqlite:////nonexistent/folder/x.db", "the folder /nonexistent/folder does not exist"),
    ],
)
def test_a_wrong_url(url: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(StoreError, match=message):
        open_store(url)
    assert main(["db", "upgrade", "--db", url]) == 1
    assert message.split("'")[0] in capsys.readouterr().err


def test_a_database_from_a_newer_escflow_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE escflow_schema SET version = 99")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="schema version 99, made by a newer escflow"):
        SQLiteStore(path)
    assert path.read_bytes() == before


def _damaged(path: Path) -> None:
    """A database of escflow's whose pages after the first were overwritten (a disk fault)."""
    SQLiteStore(path).close()
    data = bytearray(path.read_bytes())
    data[4096:] = b"Z" * (len(data) - 4096)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (
            lambda p: p.write_text("these are notes, not a database\n" * 100, encoding="utf-8"),
            "it is not a SQLite database (file is not a database): check --db; if it held"
            " escflow's tickets, it is damaged: restore it from a backup",
        ),
        (
            _damaged,
            "the database is damaged (database disk image is malformed); restore it from a"
            " backup, or salvage what it holds with 'sqlite3 {path} .recover' into a new file",
        ),
        (
            lambda p: _made_by_another_program(p, "CREATE TABLE customers (id INTEGER);"),
            "holds tables escflow did not make (customers): it is another program's database",
        ),
    ],
    ids=["not-a-database", "damaged", "another-program"],
)
def test_a_damaged_file_is_told_apart_from_another_programs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, said: str
) -> None:
    path = tmp_path / "tickets.db"
    make(path)
    before = path.read_bytes()
    for command in (
        ["ticket", "list"],
        ["outbox", "list"],
        ["worker", "--once", "--log-unhandled"],
    ):
        flows = ["--flows", str(FLOWS)] if command[0] != "outbox" else []
        assert main([*command, "--db", f"sqlite:///{path}", *flows]) == 1, command
        err = capsys.readouterr().err
        assert said.format(path=path) in err, err
        assert "Traceback" not in err, err
    assert path.read_bytes() == before, "left as it was"


def test_text_sqlite_cannot_encode_is_a_store_error(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db")
    with pytest.raises(StoreError, match=r"cannot read .*surrogates not allowed"):
        store.get("T-\udcff")  # the engine refuses it first; a store alone says so too
    store.close()


def test_a_database_locked_by_another_program(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    SQLiteStore(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        store = SQLiteStore(path, timeout=0.2, check=False)
        started = time.monotonic()
        with pytest.raises(StoreError, match="locked by another program"):
            store.save_version("d" * 64, "f", "{}")
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    assert SQLiteStore(path).load_version("d" * 64) is None


def test_upgrading_schema_1_keeps_every_ticket_action_and_event(tmp_path: Path) -> None:
    """A database written by the first schema (the ticket row as JSON) reads the same after
    the upgrade to typed columns: tickets, their timers, histories and outboxes."""
    path = tmp_path / "old.db"
    matrix, memory, now = schema1.tickets()
    with sqlite3.connect(path) as db:
        for statement in _statements(migrations("sqlite")[0][2]):
            db.execute(statement)
        db.execute("CREATE TABLE escflow_schema (version INTEGER)")
        db.execute("INSERT INTO escflow_schema VALUES (1)")
        db.executemany(
            "INSERT INTO flow_versions VALUES (?, ?, ?, '-')",
            [(f.digest, f.id, f.source) for f in matrix.flows.values()],
        )
        for table, rows in schema1.rows(memory, iso, micros).items():
            marks = ", ".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {table} ({schema1.COLUMNS[table]}) VALUES ({marks})", rows)
    db.close()

    store = SQLiteStore(path)
    assert store.schema_version() == latest("sqlite")
    schema1.assert_upgraded(store, memory, now)
    store.close()


# The columns (and the indexes on them) each schema added to a file of the one before.
ADDED = {
    5: (("events", "key_first_seq"), ("outbox", "claimed_by"), ("outbox", "claimed_until")),
    6: (("tickets", "timer_left"),),
    7: (
        ("tickets", "quarantine"),
        *(("outbox", c) for c in ("quarantine", "discarded_at", "discarded_by", "discard_note")),
    ),
    8: tuple(("tickets", c) for c in SLA_COLUMNS),
    9: (),
}
INDEXES = {
    7: ("tickets_quarantined", "outbox_held"),
    8: ("tickets_breach_due", "tickets_breached"),
    9: ("tickets_flow_priority",),
}


def back_to_schema(path: Path, version: int) -> None:
    """Take a current file back to schema ``version``, its rows as that schema wrote them:
    without the columns later schemas added (the upgrade adds them again)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for added in sorted(ADDED, reverse=True):
            if added > version:
                for index in INDEXES.get(added, ()):
                    db.execute(f"DROP INDEX {index}")
                for table, column in ADDED[added]:
                    db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute("UPDATE escflow_schema SET version = ?", (version,))


def back_to_schema_4(path: Path) -> None:
    """Take a current file back to schema 4 (see :func:`back_to_schema`)."""
    back_to_schema(path, 4)


def test_schema_4_clears_paused_at_of_tickets_no_longer_paused(tmp_path: Path) -> None:
    """Schema 3 kept paused_at on a ticket resolved while paused (and on reopening it): the
    upgrade mends those rows so that each ticket equals the replay of its events again."""
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    engine = Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))
    for ticket_id in ("T-resolved", "T-reopened", "T-paused"):
        engine.open("complaint", priority="medium", ticket_id=ticket_id)
        engine.pause(ticket_id)
    clock.advance(timedelta(minutes=5))
    engine.resolve("T-resolved")
    engine.resolve("T-reopened")
    engine.reopen("T-reopened")
    paused_at = micros(clock.now() - timedelta(minutes=5))
    store.close()
    # The rows as schema 3 wrote them.
    back_to_schema_4(path)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("UPDATE tickets SET paused_at = ?", (paused_at,))
        db.execute("UPDATE escflow_schema SET version = 3")

    store = SQLiteStore(path)
    assert store.schema_version() == latest("sqlite")
    for ticket_id in ("T-resolved", "T-reopened", "T-paused"):
        assert store.get(ticket_id) == replay(store.history(ticket_id))
    paused = store.get("T-paused")
    assert paused is not None
    assert paused.paused_at == clock.now() - timedelta(minutes=5)
    store.close()


def _made_by_another_program(path: Path, tables: str) -> bytes:
    with sqlite3.connect(path) as db:
        db.executescript(tables)
    db.close()
    return path.read_bytes()


def test_another_programs_database_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --db must not turn a CRM's database into a ticket store."""
    path = tmp_path / "crm.db"
    before = _made_by_another_program(path, "CREATE TABLE customers (id INTEGER, name TEXT);")
    url = f"sqlite:///{path}"
    commands = [
        ["ticket", "list", "--db", url, "--flows", str(FLOWS)],
        ["db", "upgrade", "--db", url],
        ["worker", "--once", "--log-unhandled", "--db", url, "--flows", str(FLOWS)],
    ]
    for command in commands:
        assert main(command) == 1
        assert "holds tables escflow did not make (customers)" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_a_newer_database_in_its_own_journal_mode_is_left_alone(tmp_path: Path) -> None:
    # Made by a newer escflow (or by hand) without WAL: refusing it must not switch it.
    path = tmp_path / "newer.db"
    before = _made_by_another_program(
        path,
        "CREATE TABLE escflow_schema (version INTEGER); INSERT INTO escflow_schema VALUES (99);",
    )
    with pytest.raises(StoreError, match="schema version 99, made by a newer escflow"):
        SQLiteStore(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///:memory:", "would keep the tickets in memory and lose them"),
        ("sqlite:///t.db?mode=ro", "take a file path only, no '?' query or '#' part"),
        ("sqlite:///t.db#x", "take a file path only"),
        ("", "the database URL is empty"),
        ("  ", "the database URL is empty"),
    ],
)
def test_urls_that_would_lose_tickets_or_name_another_file(
    url: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=re.escape(message)):
        open_store(url)
    assert list(tmp_path.iterdir()) == [], "no file made"


# --- several processes on one file ------------------------------------------------------


def at_schema(path: Path, version: int) -> None:
    """An empty file as escflow left it at schema ``version``."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        for _, _, sql in migrations("sqlite")[:version]:
            for statement in _statements(sql):
                db.execute(statement)
        db.execute("CREATE TABLE escflow_schema (version INTEGER)")
        db.execute("INSERT INTO escflow_schema VALUES (?)", (version,))
    db.close()


@pytest.mark.parametrize("schema", [0, 1, 3], ids=["new", "schema-1", "schema-3"])
def test_stores_opening_a_new_or_older_file_together_migrate_it_once(
    tmp_path: Path, schema: int
) -> None:
    """Processes started together on a new file (a service and its workers): each reads
    the version under the write lock, so none applies a migration another just applied
    ('table flow_versions already exists', 'no such column: state')."""
    for attempt in range(10):  # the race is lost within a round or two when it can be
        path = tmp_path / f"race-{attempt}.db"
        if schema:
            at_schema(path, schema)
        start = threading.Barrier(3)
        results: list[object] = []

        def open_one(
            path: Path = path, start: threading.Barrier = start, results: list[object] = results
        ) -> None:
            start.wait()
            try:
                store = SQLiteStore(path)
                results.append(store.schema_version())
                store.close()
            except Exception as exc:  # what each one met is the result
                results.append(exc)

        threads = [threading.Thread(target=open_one) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [latest("sqlite")] * 3, f"round {attempt}"


def test_an_upgrade_reads_the_file_again_under_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What another program made of the file after the store first looked at it is
    refused in the migration's own transaction: not overwritten, nor taken for escflow's."""
    made = {
        "newer": "CREATE TABLE escflow_schema (version INTEGER);"
        " INSERT INTO escflow_schema VALUES (99);",
        "crm": "CREATE TABLE customers (id INTEGER);",
    }
    for name, tables in made.items():
        path = tmp_path / f"{name}.db"
        store = SQLiteStore(path, check=False)
        switch = store._journal

        def meanwhile(path: Path = path, tables: str = tables, switch: Any = switch) -> None:
            switch()  # the store has looked, found the file empty, set WAL: then the other
            _made_by_another_program(path, tables)

        monkeypatch.setattr(store, "_journal", meanwhile)
        with pytest.raises(StoreError, match=r"made by a newer escflow|holds tables escflow"):
            store.upgrade()
        store.close()
        with sqlite3.connect(path) as db:
            found = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        db.close()
        assert found == ({"escflow_schema"} if name == "newer" else {"customers"})


def test_stores_on_one_file_never_get_the_same_pending_actions(tmp_path: Path) -> None:
    """A claim leases the rows, as on PostgreSQL: no other claim gets them, another
    store's or the same store's (another of its threads), until the attempt is recorded
    or the claim released."""
    path = tmp_path / "shared.db"
    store, other = SQLiteStore(path), SQLiteStore(path)
    actions = [Action(f"T-1:1:{n}", "T-1", "notify", "lead", {"n": n}, T0) for n in range(3)]
    create(store, "T-1", actions=tuple(actions))
    mine = store.pending_actions(T0, 2)
    assert [a.key for a in mine] == ["T-1:1:0", "T-1:1:1"]
    assert [a.key for a in other.pending_actions(T0, 10)] == ["T-1:1:2"], "the rest only"
    assert store.pending_actions(T0, 10) == [], "held: not for a second claim of its own"
    store.record_attempts([replace(mine[0], attempts=1, last_error="down", next_attempt_at=T0)])
    assert [a.key for a in other.pending_actions(T0, 10)] == ["T-1:1:0"]
    other.release_claims(["T-1:1:1"])  # not its claim: nothing changes
    assert store.pending_actions(T0, 10) == []
    store.release_claims(["T-1:1:1"])
    assert [(a.key, a.attempts) for a in store.pending_actions(T0, 10)] == [("T-1:1:1", 0)]
    store.close()
    other.close()


def test_a_claim_on_the_outbox_runs_out(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    brief = SQLiteStore(path, lease=timedelta(milliseconds=50))
    create(brief, "T-1", actions=(Action("T-1:1:0", "T-1", "notify", "lead", {}, T0),))
    assert [a.key for a in brief.pending_actions(T0, 10)] == ["T-1:1:0"]
    brief.close()  # the worker died holding the claim
    other = SQLiteStore(path)
    assert other.pending_actions(T0, 10) == []
    time.sleep(0.1)
    assert [a.key for a in other.pending_actions(T0, 10)] == ["T-1:1:0"]
    other.close()


CLAIMER = """
import json, sys
from datetime import datetime
from escflow.store._sqlite import SQLiteStore
store = SQLiteStore(sys.argv[1], timeout=30)
print("ready", flush=True)
sys.stdin.readline()
claimed = [a.key for a in store.pending_actions(datetime.fromisoformat(sys.argv[2]), 40)]
print(json.dumps(claimed), flush=True)
"""


def test_worker_processes_claiming_together_never_get_the_same_action(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = SQLiteStore(path)
    count, workers = 120, 4  # room for all: each action is claimed exactly once
    for n in range(count):
        create(store, f"T-{n}", actions=(Action(f"T-{n}:1:0", f"T-{n}", "notify", "x", {}, T0),))
    store.close()
    claims = [set(c) for c in claim_together(CLAIMER, str(path), T0.isoformat(), processes=workers)]
    assert sum(map(len, claims)) == len(set().union(*claims)) == count, "each exactly once"


def test_a_read_only_file_is_refused_before_any_action_is_delivered(tmp_path: Path) -> None:
    """The claim is a write: on a file escflow cannot write, delivery fails before sending
    anything (not after sending everything, unrecorded, to be sent again by every run)."""
    path = tmp_path / "ro.db"
    matrix = load_matrix(FLOWS)
    sent: list[Action] = []
    handlers = dict.fromkeys(matrix.handler_names, sent.append)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    store = SQLiteStore(path)
    engine = Engine(
        matrix, store, clock=clock, actions=Actions(notify=sent.append, handlers=handlers)
    )
    engine.open("complaint", priority="medium", ticket_id="T-1")
    queued = [a.key for a in engine.fire("T-1", "asks-for-manager").actions]
    assert len(queued) == 2
    store.close()
    with read_only(path) as file_is:
        store = SQLiteStore(path, pool=1)
        if not file_is:  # root without an immutable flag: the connection is read-only
            with store._pool.connection() as db:
                db.execute("PRAGMA query_only = ON")
        engine = Engine(
            matrix, store, clock=clock, actions=Actions(notify=sent.append, handlers=handlers)
        )
        with pytest.raises(StoreError, match=r"cannot claim pending actions in .*readonly"):
            engine.deliver()
        store.close()
    assert sent == [], "nothing delivered"
    store = SQLiteStore(path)
    assert [(a.key, a.status, a.attempts) for a in store.actions("T-1")] == [
        (key, "pending", 0) for key in queued
    ]
    store.close()


def test_a_key_applied_before_schema_5_still_replays(tmp_path: Path) -> None:
    """A key stored without where its call began (key_first_seq NULL) replays from its own
    event on, as before schema 5."""
    path = tmp_path / "old.db"
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    store = SQLiteStore(path)
    engine = Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))
    engine.open("complaint", priority="medium", ticket_id="T-1")
    clock.advance(timedelta(minutes=20))
    change = engine.fire(
        "T-1", "asks-for-manager", actor="ana", note="wants a manager", key="crm-event-81"
    )
    assert [e.kind for e in change.events] == ["warned", "moved"]
    store.close()
    back_to_schema_4(path)

    store = SQLiteStore(path)
    assert store.schema_version() == latest("sqlite")
    record = store.find_key("crm-event-81")
    assert record is not None
    assert (record.first_seq, record.call_first_seq) == (3, None)
    engine = Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))
    retry = engine.fire(
        "T-1", "asks-for-manager", actor="ana", note="wants a manager", key="crm-event-81"
    )
    assert retry.replayed
    assert retry.ticket == change.ticket
    assert retry.events == change.events[1:]
    assert retry.actions == tuple(a for a in change.actions if a.key.startswith("T-1:3:"))
    store.close()


def test_schema_6_finds_the_step_a_timer_left_in_the_events(tmp_path: Path) -> None:
    """Tickets stored before schema 6 get ``timer_left`` from their events: the step of the
    first timer escalation after the last event a person made, so that each ticket still
    equals the replay of its events."""
    path = tmp_path / "old.db"
    matrix = load_matrix(flows_without_sla(tmp_path / "flows"))  # as schema 5's code made them
    handlers = dict.fromkeys(matrix.handler_names, print)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # Monday 10:00 in Paris
    store = SQLiteStore(path)
    engine = Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))
    for ticket_id in ("T-twice", "T-acted", "T-never"):
        engine.open("complaint", priority="medium", ticket_id=ticket_id)
    clock.advance(timedelta(minutes=31))  # level 1's window (30 minutes) ended
    engine.tick()
    engine.acknowledge("T-acted")
    clock.advance(timedelta(hours=1))  # and level 2's (1 hour)
    engine.tick()
    engine.resolve("T-never")
    expected = {"T-twice": "level-1", "T-acted": "level-2", "T-never": None}
    store.close()
    back_to_schema(path, 5)

    store = SQLiteStore(path)
    assert store.schema_version() == latest("sqlite")
    for ticket_id, left in expected.items():
        ticket = store.get(ticket_id)
        assert ticket is not None, ticket_id
        assert ticket.timer_left == left, ticket_id
        assert ticket == replay(store.history(ticket_id))
    store.close()


def test_an_action_a_worker_holds_cannot_be_discarded(tmp_path: Path) -> None:
    """A discard while a worker delivers the action would come too late to stop it: it
    is refused until the claim is recorded or runs out."""
    path = tmp_path / "shared.db"
    worker, operator = SQLiteStore(path), SQLiteStore(path)
    action = Action("T-1:1:0", "T-1", "notify", "lead", {}, T0)
    create(worker, "T-1", actions=(action,))
    [held] = worker.pending_actions(T0, 10)
    assert not operator.discard("T-1:1:0", actor="ana", note=None, now=T0)
    worker.record_attempts([replace(held, attempts=1, last_error="down", next_attempt_at=T0)])
    assert operator.discard("T-1:1:0", actor="ana", note=None, now=T0)
    assert worker.pending_actions(T0, 10) == []
    worker.close()
    operator.close()
