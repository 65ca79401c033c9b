"""The SQLite store as a file: schema, migrations, and the ways a database can be unusable."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.errors import StoreError
from escflow.runtime import Actions, Engine, replay
from escflow.store import open_store
from escflow.store._codec import iso, micros
from escflow.store._migrate import latest, migrations
from escflow.store._sqlite import SQLiteStore, _statements
from escflow.timing import ManualClock
from tests.conftest import FLOWS
from tests.store import schema1

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
    ],
    "events": ["ticket_id", "seq", "at", "kind", "body", "idempotency_key", "key_last_seq"],
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
    }
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version() == latest("sqlite") == len(migrations("sqlite"))
    assert store.upgrade() == [], "upgrading a current database changes nothing"


def test_db_upgrade_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out == (
        f"{url}: schema 0 -> 4 (0001_initial.sql, 0002_ticket_columns.sql,"
        " 0003_events_in_order.sql, 0004_paused_only_while_paused.sql)\n"
    )
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out == f"{url}: schema 4 is current\n"


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


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database\n" * 100, encoding="utf-8")
    with pytest.raises(StoreError, match="not an escflow database"):
        SQLiteStore(path)
    assert path.read_text(encoding="utf-8").startswith("these are notes")


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
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
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
    assert store.schema_version() == latest("sqlite") == 4
    schema1.assert_upgraded(store, memory, now)
    store.close()


def test_schema_4_clears_paused_at_of_tickets_no_longer_paused(tmp_path: Path) -> None:
    """Schema 3 kept paused_at on a ticket resolved while paused (and on reopening it): the
    upgrade mends those rows so that each ticket equals the replay of its events again."""
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    engine = Engine(matrix, store, clock, Actions(notify=print, handlers=handlers))
    for ticket_id in ("T-resolved", "T-reopened", "T-paused"):
        engine.open("complaint", "medium", ticket_id)
        engine.pause(ticket_id)
    clock.advance(timedelta(minutes=5))
    engine.resolve("T-resolved")
    engine.resolve("T-reopened")
    engine.reopen("T-reopened")
    paused_at = micros(clock.now() - timedelta(minutes=5))
    # The rows as schema 3 wrote them.
    store._db.execute("UPDATE tickets SET paused_at = ?", (paused_at,))
    store._db.execute("UPDATE escflow_schema SET version = 3")
    store.close()

    store = SQLiteStore(path)
    assert store.schema_version() == 4
    for ticket_id in ("T-resolved", "T-reopened", "T-paused"):
        assert store.get(ticket_id) == replay(store.history(ticket_id))
    paused = store.get("T-paused")
    assert paused is not None and paused.paused_at == clock.now() - timedelta(minutes=5)
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
        ["worker", "--once", "--db", url, "--flows", str(FLOWS)],
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
