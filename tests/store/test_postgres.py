"""The PostgreSQL store as a server: schema, migrations, claims shared by several workers,
and the ways a server can be unusable."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from escflow import Matrix, load_matrix
from escflow.cli import main
from escflow.errors import ConflictError, StoreError
from escflow.records import Action, Ticket
from escflow.runtime import Actions, Engine
from escflow.store import Write, open_store, upgrade_store
from escflow.store import _migrate as migrate_module
from escflow.store import _postgres as postgres_module
from escflow.store._migrate import latest, migrations
from escflow.store._postgres import PostgresStore
from escflow.timing import ManualClock
from tests.conftest import FLOWS
from tests.store import schema1
from tests.store.conftest import SLA_COLUMNS, claim_together
from tests.store.test_contract import T0, create, moved

PAST = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday; every deadline since has passed
DUE = T0 + timedelta(minutes=30)
LATER = T0 + timedelta(hours=1)

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
        "deadline",
        "warn_at",
        "next_due",
        "claimed_by",
        "claimed_until",
        "opened_at",
        "updated_at",
        "level_entered_at",
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
        "position",
        "claimed_by",
        "claimed_until",
        "quarantine",
        "discarded_at",
        "discarded_by",
        "discard_note",
    ],
    "escflow_schema": ["version"],
}


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(pg_url)
    yield opened
    opened.close()


@pytest.fixture
def other(pg_url: str, store: PostgresStore) -> Iterator[PostgresStore]:
    """A second store on the same schema: another worker."""
    opened = PostgresStore(pg_url)
    yield opened
    opened.close()


def sql(url: str, query: str) -> list[tuple[object, ...]]:
    """Run one statement in the test's schema, behind escflow's back."""
    with psycopg.connect(url, autocommit=True) as db:
        cursor = db.execute(query)
        return cursor.fetchall() if cursor.description else []


def tables(url: str) -> dict[str, list[str]]:
    rows = sql(
        url,
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    )
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(str(table), []).append(str(column))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- schema and migrations ------------------------------------------------------------


def test_migrations_produce_the_schema(store: PostgresStore, pg_url: str) -> None:
    assert tables(pg_url) == COLUMNS
    indexes = {
        str(r[0])
        for r in sql(pg_url, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    }
    assert indexes - {f"{t}_pkey" for t in COLUMNS} == {
        "tickets_next_due",
        "events_idempotency_key",
        "outbox_pending",
        "outbox_ticket",
        "tickets_quarantined",
        "outbox_held",
        "tickets_breach_due",
        "tickets_breached",
        "tickets_flow_priority",
    }
    assert store.schema_version() == latest("postgres") == len(migrations("postgres"))
    assert store.upgrade() == [], "upgrading a current database changes nothing"


def test_db_upgrade_command(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--db", pg_url]) == 0
    names = [name for _, name, _ in migrations("postgres")]
    assert capsys.readouterr().out == (f"{pg_url}: schema 0 -> {len(names)} ({', '.join(names)})\n")
    assert main(["db", "upgrade", "--db", pg_url]) == 0
    assert capsys.readouterr().out == f"{pg_url}: schema {len(names)} is current\n"
    assert upgrade_store(pg_url) == (len(names), len(names), [])


def test_both_dialects_have_the_same_migrations() -> None:
    assert [name for _, name, _ in migrations("postgres")] == [
        name for _, name, _ in migrations("sqlite")
    ]


def test_upgrading_schema_1_keeps_every_ticket_action_and_event(pg_url: str) -> None:
    """A database written by the first schema (the ticket row as JSON) reads the same after
    the upgrade to typed columns: tickets, their timers, histories and outboxes."""
    matrix, memory, now = schema1.tickets()
    with psycopg.connect(pg_url, autocommit=True) as db, db.transaction():
        db.execute(migrations("postgres")[0][2])
        db.execute("CREATE TABLE escflow_schema (version integer)")
        db.execute("INSERT INTO escflow_schema VALUES (1)")
        cursor = db.cursor()
        cursor.executemany(
            "INSERT INTO flow_versions VALUES (%s, %s, %s, now())",
            [(f.digest, f.id, f.source) for f in matrix.flows.values()],
        )
        for table, rows in schema1.rows(memory, schema1.as_is, schema1.as_is).items():
            marks = ", ".join(["%s"] * len(rows[0]))
            cursor.executemany(
                f"INSERT INTO {table} ({schema1.COLUMNS[table]}) VALUES ({marks})", rows
            )

    store = PostgresStore(pg_url)
    try:
        assert store.schema_version() == latest("postgres")
        schema1.assert_upgraded(store, memory, now)
    finally:
        store.close()


def test_an_empty_database_is_not_created_when_upgrades_are_off(pg_url: str) -> None:
    with pytest.raises(StoreError, match="has schema version 0; run 'escflow db upgrade"):
        open_store(pg_url, upgrade=False)
    assert tables(pg_url) == {}


def test_an_older_schema_is_upgraded(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    PostgresStore(pg_url).close()
    known = migrations("postgres")
    newer = [*known, (len(known) + 1, "9999_notes.sql", "ALTER TABLE tickets ADD note text;")]
    monkeypatch.setattr(postgres_module, "migrations", lambda dialect: newer)
    monkeypatch.setattr(migrate_module, "migrations", lambda dialect: newer)
    with pytest.raises(StoreError, match=f"schema version {len(known)}; run 'escflow db upgrade"):
        PostgresStore(pg_url, upgrade=False)
    store = PostgresStore(pg_url)
    assert store.schema_version() == len(known) + 1
    assert tables(pg_url)["tickets"][-1] == "note"
    store.close()


def test_a_database_from_a_newer_escflow_is_left_alone(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    create(store, "T-1")
    store.close()
    sql(pg_url, "UPDATE escflow_schema SET version = 99")
    before = (tables(pg_url), sql(pg_url, "SELECT * FROM tickets"))
    with pytest.raises(StoreError, match="schema version 99, made by a newer escflow"):
        PostgresStore(pg_url)
    with pytest.raises(StoreError, match="made by a newer escflow"):
        upgrade_store(pg_url)
    assert (tables(pg_url), sql(pg_url, "SELECT * FROM tickets")) == before
    assert sql(pg_url, "SELECT version FROM escflow_schema") == [(99,)]


def test_processes_opening_a_fresh_database_together_migrate_it_once(pg_url: str) -> None:
    results: list[object] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            opened = PostgresStore(pg_url)
            results.append(opened.schema_version())
            opened.close()
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [latest("postgres")] * 4


def test_events_are_append_only(store: PostgresStore, pg_url: str) -> None:
    create(store, "T-1")
    with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
        sql(pg_url, "UPDATE events SET kind = 'resolved'")
    with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
        sql(pg_url, "DELETE FROM events")
    assert [e.kind for e in store.history("T-1")] == ["opened"]


def test_instants_are_timestamps_anyone_can_query(store: PostgresStore, pg_url: str) -> None:
    create(store, "T-1", DUE)
    [(deadline, next_due)] = sql(pg_url, "SELECT deadline, next_due FROM tickets")
    assert deadline == next_due == DUE
    found = store.next_due()
    assert found == DUE
    assert found is not None
    assert found.tzinfo is UTC


# --- claims: several workers on one database -------------------------------------------


def test_a_claim_keeps_other_workers_away_until_written(
    store: PostgresStore, other: PostgresStore
) -> None:
    ticket = create(store, "T-1", DUE)
    assert [t.id for t in store.due(LATER, 10)] == ["T-1"]
    assert other.due(LATER, 10) == [], "claimed by the first store"
    assert [t.id for t in store.due(LATER, 10)] == ["T-1"], "its claimer may claim it again"
    assert other.next_due() == DUE, "next_due reports it all the same"
    after, event = moved(ticket, DUE, LATER)  # the write moves the deadline and ends the claim
    store.append([Write(after, [event], [], ticket.version)])
    assert [t.id for t in other.due(LATER, 10)] == ["T-1"], "due again, and free to claim"


def test_a_write_by_anyone_ends_the_claim_and_the_claimer_loses(
    store: PostgresStore, other: PostgresStore
) -> None:
    ticket = create(store, "T-1", DUE)
    [claimed] = store.due(LATER, 10)
    after, event = moved(ticket, DUE, DUE + timedelta(minutes=1))
    other.append([Write(after, [event], [], ticket.version)])  # a service fires a trigger
    stale, stale_event = moved(claimed, DUE, LATER)
    with pytest.raises(ConflictError):
        store.append([Write(stale, [stale_event], [], claimed.version)])
    assert [t.version for t in other.due(LATER, 10)] == [2]


def test_a_claim_runs_out(pg_url: str, other: PostgresStore) -> None:
    brief = PostgresStore(pg_url, lease=timedelta(milliseconds=50))
    create(brief, "T-1", DUE)
    assert [t.id for t in brief.due(LATER, 10)] == ["T-1"]
    brief.close()  # the worker died holding the claim
    time.sleep(0.1)
    assert [t.id for t in other.due(LATER, 10)] == ["T-1"]


def test_actions_are_claimed_too(store: PostgresStore, other: PostgresStore) -> None:
    action = Action("T-1:1:0", "T-1", "notify", "lead", {"message": "hello"}, T0)
    create(store, "T-1", actions=(action,))
    [mine] = store.pending_actions(T0, 10)
    assert other.pending_actions(T0, 10) == []
    store.record_attempts([replace(mine, attempts=1, last_error="down", next_attempt_at=T0)])
    [retry] = other.pending_actions(T0, 10)
    assert (retry.key, retry.attempts) == ("T-1:1:0", 1)
    assert store.pending_actions(T0, 10) == []


CLAIMER = """
import json, sys
from datetime import datetime
from escflow.store._postgres import PostgresStore
store = PostgresStore(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
now = datetime.fromisoformat(sys.argv[2])
tickets = [t.id for t in store.due(now, int(sys.argv[3]))]
actions = [a.key for a in store.pending_actions(now, int(sys.argv[3]))]
print(json.dumps([tickets, actions]), flush=True)
"""


def test_worker_processes_claiming_together_never_get_the_same_ticket(
    store: PostgresStore, pg_url: str
) -> None:
    count, workers, batch = 120, 4, 40  # room for all, so every ticket is claimed once
    for n in range(count):
        action = Action(f"T-{n}:1:0", f"T-{n}", "notify", "lead", {"n": n}, T0)
        create(store, f"T-{n}", DUE, actions=(action,))
    claims = claim_together(CLAIMER, pg_url, LATER.isoformat(), str(batch), processes=workers)
    for kind in (0, 1):
        got = [set(claim[kind]) for claim in claims]
        assert sum(len(g) for g in got) == len(set().union(*got)) == count, "each exactly once"
        assert all(len(claim[kind]) == len(g) for claim, g in zip(claims, got, strict=True))


class RecordingStore(PostgresStore):
    """A store that remembers every ticket its claims returned."""

    def __init__(self, dsn: str) -> None:
        super().__init__(dsn)
        self.claimed: list[str] = []

    def due(self, now: datetime, limit: int) -> list[Ticket]:
        found = super().due(now, limit)
        self.claimed.extend(t.id for t in found)
        return found


def engine_on(matrix: Matrix, store: PostgresStore, clock: ManualClock | None = None) -> Engine:
    handlers = dict.fromkeys(matrix.handler_names, print)
    return Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))


def test_engines_on_several_connections_share_the_due_tickets(
    store: PostgresStore, pg_url: str
) -> None:
    matrix = load_matrix(FLOWS)
    seeding = engine_on(matrix, store)
    count = 200
    for n in range(count):
        seeding.open(
            "complaint", priority="medium", ticket_id=f"T-{n}", at=PAST + timedelta(seconds=n)
        )
    clock = ManualClock(PAST + timedelta(days=30))
    stores = [RecordingStore(pg_url) for _ in range(4)]
    moved_by: list[list[str]] = [[] for _ in stores]
    start = threading.Barrier(len(stores))

    def work(index: int) -> None:
        engine = engine_on(matrix, stores[index], clock)
        start.wait()
        while changes := engine.tick(limit=15):
            moved_by[index].extend(c.ticket.id for c in changes)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [s.claimed for s in stores]
    assert sum(map(len, claimed)) == len(set().union(*map(set, claimed))) == count
    everyone = sorted(t for m in moved_by for t in m)
    assert everyone == sorted(f"T-{n}" for n in range(count)), "each moved once: no conflicts"
    assert sum(1 for m in moved_by if m) > 1, "the work was shared"
    for n in range(count):
        ticket = store.get(f"T-{n}")
        assert ticket is not None
        assert ticket.level == "level-7"
    for other in stores:
        other.close()


def test_worker_commands_share_a_database(pg_url: str, tmp_path: Path) -> None:
    matrix = load_matrix(FLOWS)
    store = PostgresStore(pg_url)
    seeding = engine_on(matrix, store)
    for n in range(30):
        seeding.open(
            "complaint", priority="medium", ticket_id=f"T-{n}", at=PAST + timedelta(seconds=n)
        )
    command = [sys.executable, "-m", "escflow", "worker", "--once", "--log-unhandled"]
    command += ["--db", pg_url]
    logs = [tmp_path / f"actions-{n}.jsonl" for n in range(3)]
    procs = [
        subprocess.Popen(
            [*command, "--flows", str(FLOWS), "--batch", "30", "--actions-log", str(log)],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
        )
        for log in logs
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], errors
    moved_counts = [int(err.split("worker: ", 1)[1].split(" tickets moved")[0]) for err in errors]
    assert sum(moved_counts) == 30, errors
    keys = [
        json.loads(line)["key"]
        for log in logs
        if log.exists()
        for line in log.read_text(encoding="utf-8").splitlines()
    ]
    assert len(keys) == len(set(keys)) > 0, "no action delivered twice"
    levels = {t.level for t in map(store.get, [f"T-{n}" for n in range(30)]) if t is not None}
    assert levels == {"level-7"}
    store.close()


# --- an unusable server ------------------------------------------------------------------


def test_nothing_listening_names_host_and_port_but_not_the_password() -> None:
    port = free_port()
    url = f"postgresql://escflow:s3cret-pw@127.0.0.1:{port}/escflow"
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert f"postgresql://escflow@127.0.0.1:{port}/escflow" in message
    assert f"host 127.0.0.1 port {port}" in message
    assert "is PostgreSQL running" in message
    assert "s3cret" not in message


def test_the_cli_says_so_without_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    # Nothing answers there: exit 75, try again later.
    assert main(["db", "upgrade", "--db", f"postgres://me:hunter22@127.0.0.1:{port}/x"]) == 75
    err = capsys.readouterr().err
    assert f"postgres://me@127.0.0.1:{port}/x" in err
    assert "hunter22" not in err


def test_a_server_that_does_not_answer_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(StoreError, match=f"port {port} did not answer within 2 s"):
            PostgresStore(f"postgresql://u:pw-1234@127.0.0.1:{port}/x", connect_timeout=2)
        assert time.monotonic() - started < 10


def test_a_missing_database_and_a_wrong_user(pg_dsn: str) -> None:
    server = urlsplit(pg_dsn)
    elsewhere = server._replace(path="/no_such_db_here")
    with pytest.raises(StoreError, match='database "no_such_db_here" does not exist'):
        PostgresStore(urlunsplit(elsewhere))
    stranger = server._replace(netloc=f"no_such_user_here:pw-5678@{server.netloc.split('@')[-1]}")
    with pytest.raises(StoreError, match='"no_such_user_here"') as caught:
        PostgresStore(urlunsplit(stranger))
    assert "pw-5678" not in str(caught.value)


def test_a_malformed_url(pg_dsn: str) -> None:
    with pytest.raises(StoreError, match="cannot be used") as caught:
        PostgresStore("postgresql://u:topsecret@[::1/db")
    assert "topsecret" not in str(caught.value)


def test_a_url_from_bytes_that_were_not_utf8(pg_dsn: str) -> None:
    with pytest.raises(StoreError, match="character 27 is a byte that was not UTF-8") as caught:
        PostgresStore("postgresql://u:topsecret@h\udcff/db")
    assert "topsecret" not in str(caught.value)


def test_text_the_server_cannot_store_is_a_store_error(store: PostgresStore) -> None:
    with pytest.raises(StoreError, match="NUL"):
        create(store, "T-\x00")
    assert store.get("T-1") is None


def test_a_dropped_connection_is_reopened(pg_url: str) -> None:
    name = f"escflow-{uuid.uuid4().hex[:8]}"  # to find this store's connection on the server
    store = PostgresStore(f"{pg_url}&application_name={name}")
    create(store, "T-1")
    sql(
        pg_url,
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'",
    )
    with pytest.raises(StoreError, match="the connection failed"):
        store.get("T-1")
    assert store.get("T-1") is not None, "the next call connects again"
    store.close()


def test_a_closed_store_says_so(store: PostgresStore) -> None:
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.get("T-1")


def test_another_programs_schema_is_refused_untouched(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("CREATE TABLE customers (id integer, name text)")
    with pytest.raises(StoreError, match=r"holds tables escflow did not make \(customers\)"):
        open_store(pg_url)
    assert main(["db", "upgrade", "--db", pg_url]) == 1
    assert "it is another program's database, or the URL is mistyped" in capsys.readouterr().err
    assert tables(pg_url) == {"customers": ["id", "name"]}


def test_a_url_without_a_database_is_refused(pg_dsn: str) -> None:
    parts = urlsplit(pg_dsn)
    bare = urlunsplit(parts._replace(path="", query=""))
    with pytest.raises(StoreError, match="names no database: write postgresql://user@host"):
        open_store(bare)


def test_db_upgrade_never_prints_the_password(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = urlsplit(pg_url)
    user, host = parts.netloc.rsplit("@", 1)
    with_password = urlunsplit(parts._replace(netloc=f"{user}:S3cretPW@{host}"))
    assert main(["db", "upgrade", "--db", with_password]) == 0
    assert main(["db", "upgrade", "--db", with_password]) == 0
    out = capsys.readouterr().out
    assert f"schema {latest('postgres')} is current" in out
    assert "S3cretPW" not in out


def test_a_store_opened_to_read_writes_nothing(pg_url: str) -> None:
    """The read verbs' store: every transaction read-only, even after a reconnection."""
    writer = PostgresStore(pg_url)
    create(writer, "T-1")
    writer.close()
    name = f"escflow-{uuid.uuid4().hex[:8]}"  # to find the reader's connection on the server
    reader = open_store(f"{pg_url}&application_name={name}", readonly=True)
    assert isinstance(reader, PostgresStore)
    assert reader.get("T-1") is not None
    with pytest.raises(
        StoreError, match=r"cannot save a flow version in .*: it was opened to read only"
    ):
        create(reader, "T-2")
    ended = sql(
        pg_url,
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'",
    )
    assert ended == [(True,)]
    with pytest.raises(StoreError, match="the connection failed"):
        reader.get("T-1")
    assert reader.get("T-1") is not None, "connected again"
    with pytest.raises(StoreError, match="it was opened to read only"):
        create(reader, "T-2")
    reader.close()
    assert sql(pg_url, "SELECT id FROM tickets") == [("T-1",)]
    with pytest.raises(StoreError, match="no escflow database at"):
        open_store(pg_url.replace("search_path%3D", "search_path%3Dnone_"), readonly=True)
