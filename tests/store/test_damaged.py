"""Rows a hand edit left unreadable: quarantined, said, and the rest goes on.

Each test starts from a database of schema 6 (what escflow wrote before quarantines
existed), edits rows behind escflow's back as a DBA would, and runs the real commands.
"""

from __future__ import annotations

import json
import shlex
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from escflow.store._migrate import latest
from escflow.store._postgres import PostgresStore
from escflow.store._sqlite import SQLiteStore
from tests.conftest import FLOWS, escflow, worker_once
from tests.store.test_postgres import sql
from tests.store.test_sqlite import back_to_schema
from tests.store.test_worker import PAST, seed

Edit = Callable[..., list[tuple[object, ...]]]


def sqlite_edit(path: Path) -> Edit:
    """Statements run on the file behind escflow's back, as in a ``sqlite3`` session."""

    def run(*statements: str) -> list[tuple[object, ...]]:
        db = sqlite3.connect(path)
        try:
            rows: list[tuple[object, ...]] = []
            for statement in statements:
                rows = db.execute(statement).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

    return run


def pg_back_to_schema_6(url: str) -> None:
    """The PostgreSQL schema taken back to 6: without what schema 7 added."""
    sql(url, "DROP INDEX tickets_quarantined")
    sql(url, "DROP INDEX outbox_held")
    sql(url, "ALTER TABLE tickets DROP COLUMN quarantine")
    sql(
        url,
        "ALTER TABLE outbox DROP COLUMN quarantine, DROP COLUMN discarded_at,"
        " DROP COLUMN discarded_by, DROP COLUMN discard_note",
    )
    sql(url, "UPDATE escflow_schema SET version = 6")


def seeded(url: str) -> None:
    """Four tickets opened in January (every deadline since has passed); T-0 moved to
    level 2 at once, so that its actions wait in the outbox."""
    seed(url, 4)
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    store = open_store(url)
    engine = Engine(matrix, store, actions=Actions(notify=print, handlers=handlers))
    engine.fire("T-0", "asks-for-manager", at=PAST + timedelta(minutes=1))
    assert isinstance(store, SQLiteStore | PostgresStore)
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Edit]:
    """A seeded database of schema 6, and a way to edit it behind escflow's back."""
    if request.param == "sqlite":
        path = tmp_path / "tickets.db"
        url = f"sqlite:///{path}"
        seeded(url)
        if latest("sqlite") > 6:
            back_to_schema(path, 6)
        return url, sqlite_edit(path)
    url = request.getfixturevalue("pg_url")
    seeded(url)
    if latest("postgres") > 6:
        pg_back_to_schema_6(url)

    def run(*statements: str) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = []
        for statement in statements:
            rows = sql(url, statement)
        return rows

    return url, run


def worker(url: str, log: Path) -> tuple[int, str]:
    done = worker_once(url, log)
    return done.returncode, done.stderr


def test_a_worker_quarantines_rows_it_cannot_read_and_moves_the_rest(
    database: tuple[str, Edit], tmp_path: Path
) -> None:
    url, edit = database
    edit(
        "UPDATE tickets SET attrs = '{\"customer\": \"ACME' WHERE id = 'T-1'",
        "UPDATE outbox SET payload = 'null,' WHERE key = 'T-0:2:0'",
    )
    queued = {str(r[0]) for r in edit("SELECT key FROM outbox")}
    assert "T-0:2:0" in queued
    log = tmp_path / "actions.jsonl"
    status, err = worker(url, log)
    assert status == 0, err
    assert "Traceback" not in err, err
    said = [line for line in err.splitlines() if "cannot be read" in line]
    assert len(said) == 2, err
    ticket_line = next(line for line in said if "ticket 'T-1' in" in line)
    assert "(attrs is not JSON: " in ticket_line
    assert "quarantined, left off the schedule" in (ticket_line)
    retry = shlex.join(["escflow", "outbox", "retry", "--ticket", "T-1", "--db", url])
    assert f"then '{retry}' puts it back on the schedule" in ticket_line
    action_line = next(line for line in said if "action T-0:2:0 of ticket 'T-0'" in line)
    assert "(payload is not JSON: " in action_line
    assert "quarantined, not delivered" in action_line

    store = open_store(url)
    assert isinstance(store, SQLiteStore | PostgresStore)
    assert store.schema_version() == latest(store.dialect), "upgraded on the way"
    for ticket_id in ("T-0", "T-2", "T-3"):
        ticket = store.get(ticket_id)
        assert ticket is not None, ticket_id
        assert ticket.level == "level-7", ticket_id
    [(attrs, due, why)] = edit("SELECT attrs, next_due, quarantine FROM tickets WHERE id = 'T-1'")
    assert attrs == '{"customer": "ACME', "kept as it was, off the schedule"
    assert due is None, "kept as it was, off the schedule"
    assert str(why).startswith("attrs is not JSON: ")
    [(payload, pending, why)] = edit(
        "SELECT payload, pending, quarantine FROM outbox WHERE key = 'T-0:2:0'"
    )
    assert payload == "null,"
    assert not pending
    assert str(why).startswith("payload is not JSON: ")
    written = [json.loads(line)["key"] for line in log.read_text(encoding="utf-8").splitlines()]
    delivered = {a.key for n in (0, 2, 3) for a in store.actions(f"T-{n}") if a.delivered_at}
    assert set(written) == delivered
    assert "T-0:2:0" not in written
    assert delivered >= queued - {"T-0:2:0"}, "every other action went out"
    store.close()

    status, err = worker(url, tmp_path / "again.jsonl")
    assert status == 0, "quarantined once, not met again"
    assert "cannot be read" not in err, "quarantined once, not met again"


def test_history_shows_a_damaged_event_as_damaged(
    database: tuple[str, Edit], tmp_path: Path
) -> None:
    url, edit = database
    postgres = url.startswith("postgresql")
    if postgres:  # events are append-only: a DBA has to switch the guard off
        edit("ALTER TABLE events DISABLE TRIGGER events_append_only")
    edit("UPDATE events SET body = '[1, 2]' WHERE ticket_id = 'T-0' AND seq = 2")
    if postgres:
        edit("ALTER TABLE events ENABLE TRIGGER events_append_only")
    db = ["--db", url, "--flows", str(FLOWS)]
    shown = escflow("ticket", "history", "T-0", *db)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].split()[2] == "opened"
    assert len(lines) == 2
    # stored 09:01 UTC, shown in the complaint calendar's time (Europe/Paris: UTC+1 in January)
    assert lines[1].startswith("  2 2026-01-05T10:01:00+01:00 damaged (stored as moved): body")
    assert lines[1].endswith("holds a JSON list, not an object")
    as_json = escflow("ticket", "history", "T-0", "--format", "json", *db)
    damaged = json.loads(as_json.stdout)[1]
    assert (damaged["seq"], damaged["kind"], damaged["data"]["kind"]) == (2, "damaged", "moved")

    drawn = escflow("render", "--ticket", "T-0", "--db", url, "-o", str(tmp_path / "out"))
    assert drawn.returncode == 0, drawn.stderr
    assert "Traceback" not in drawn.stderr, drawn.stderr
    assert "event 2 of ticket 'T-0' cannot be read (body holds a JSON list" in drawn.stderr
    assert (tmp_path / "out" / "T-0.svg").is_file()


def test_a_pause_that_cannot_be_read_is_not_resumed_from_an_older_one(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    db = ["--db", f"sqlite:///{path}", "--flows", str(FLOWS)]
    # At set times inside the rota's hours: at another hour the ticket is first held.
    verbs = (["open", "complaint", "--id", "T-1"], ["pause", "T-1"], ["resume", "T-1"])
    for minute, verb in enumerate(verbs):
        at = ["--at", f"2026-11-23T10:0{minute}+01:00"]
        assert escflow("ticket", *verb, *at, *db).returncode == 0
    again = ["--note", "waiting again", "--at", "2026-11-23T10:05+01:00"]
    assert escflow("ticket", "pause", "T-1", *again, *db).returncode == 0
    sqlite_edit(path)("UPDATE events SET body = '{' WHERE ticket_id = 'T-1' AND seq = 4")
    resumed = escflow("ticket", "resume", "T-1", *db)
    assert resumed.returncode == 1, resumed.stderr
    assert "Traceback" not in resumed.stderr, resumed.stderr
    assert "escflow: event 4 of ticket 'T-1' cannot be read (body is not JSON: " in (resumed.stderr)
    assert len(SQLiteStore(path).history("T-1")) == 4, "nothing was written"


def test_a_ticket_that_cannot_be_read_is_named_by_the_commands_that_need_it(
    database: tuple[str, Edit],
) -> None:
    url, edit = database
    edit("UPDATE tickets SET attrs = '7' WHERE id = 'T-2'")
    db = ["--db", url, "--flows", str(FLOWS)]
    for command in (["show", "T-2"], ["fire", "T-2", "asks-for-manager"]):
        done = escflow("ticket", *command, *db)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        retry = shlex.join(["escflow", "outbox", "retry", "--ticket", "T-2", "--db", url])
        assert done.stderr.startswith(
            f"escflow: ticket 'T-2' in {url} cannot be read (attrs holds a JSON int, not an"
            f" object); repair the row, then '{retry}'"
        ), done.stderr
    listed = escflow("ticket", "list", "--format", "json", *db)
    assert listed.returncode == 0, listed.stderr
    assert sorted(t["id"] for t in json.loads(listed.stdout)) == ["T-0", "T-1", "T-3"]
    assert "ticket 'T-2' in" in listed.stderr
    assert "and is left out" in listed.stderr
