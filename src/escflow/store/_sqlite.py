"""The SQLite store: the embedded default. The only module that imports sqlite3.

One file in WAL mode with ``synchronous=FULL``: a committed call survives a crash or
power loss. Each :meth:`SQLiteStore.append` is one ``BEGIN IMMEDIATE`` transaction.

Several processes may share the file (a service and its workers): migrations read the
schema version under the write lock, and :meth:`SQLiteStore.pending_actions` leases the
outbox rows it returns, as the PostgreSQL store does (see ``_postgres.py``): rows claimed
less than ``lease`` ago are left out, :meth:`~SQLiteStore.renew_claims` extends a lease
and recording an attempt or :meth:`~SQLiteStore.release_claims` ends it. Due tickets need
no lease here: writers take turns on the file, and the version check refuses the second
of two workers that moved the same ticket.

Several threads may share one store: each call takes a connection of the store's pool
(``_pool.py``) for its duration, and the threads' writes take turns on a lock of the store
before they ask SQLite for the file's write lock (which another process may hold): a
thread waiting on a lock is woken when it is free, where SQLite's busy handler would poll.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from escflow.errors import ConflictError, DuplicateTicket, RetryLater, StoreError
from escflow.fileio import make_private_file
from escflow.records import Action, Event, Status, Ticket
from escflow.store._codec import (
    ACTION_COLUMNS,
    TICKET_COLUMNS,
    TICKET_WIDTH,
    action_statuses,
    counts_queries,
    dumps,
    event_body,
    from_iso,
    from_micros,
    iso,
    key_record,
    keyed_events,
    micros,
    page_query,
    sla_instants,
    ticket_row,
    tickets_query,
)
from escflow.store._damage import (
    Damage,
    read_actions,
    read_events,
    read_ticket,
    read_tickets,
    split_actions,
)
from escflow.store._leases import say_taken_over
from escflow.store._migrate import (
    ensure_current,
    migrations,
    no_database,
    refuse_foreign,
    refuse_newer,
)
from escflow.store._named import named_query
from escflow.store._pool import Pool
from escflow.store._protocol import Closing, KeyRecord, SlaFilter, StoreCounts, TicketQuery, Write

_log = logging.getLogger("escflow.store")

_INSERT_TICKET = f"INSERT INTO tickets ({TICKET_COLUMNS}) VALUES ({', '.join('?' * TICKET_WIDTH)})"
_UPDATE_TICKET = (
    "UPDATE tickets SET "
    + ", ".join(f"{name.strip()} = ?" for name in TICKET_COLUMNS.split(",")[1:])
    + " WHERE id = ? AND version = ?"
)
# The events and actions of one call share their instants: each is spelled out once.
_iso = lru_cache(maxsize=1024)(iso)
# WAL with FULL sync: a commit survives a crash or a power loss. Tickets are read and
# written in random order, so pages stay in a cache of 32 MiB, which holds every interior
# page of a million tickets' B-trees. No memory map: mapped pages of a large file count
# in the worker's resident memory (256 MiB of them took a busy worker on a million
# tickets from 121 to 345 MB) for no measurable gain in speed.
SETTINGS = ("synchronous=FULL", "foreign_keys=ON", "cache_size=-32768")
# WAL is written into the file: set once the file is known to be escflow's (or empty).
JOURNAL = "journal_mode=WAL"
PRAGMAS = (JOURNAL, *SETTINGS)
# Seconds a call waits for a connection of the pool, or for another thread's write to end.
_WAIT = 30.0
POOL = 2
"""Connections a store's threads share at most. Writes take turns on the file whatever
the pool (eight threads writing: some 1,100 calls a second with 1, 2 or 8 connections,
bench/threads_bench.py); a second connection lets a read go on beside a write (WAL), and
more would each keep a page cache of their own (up to 32 MiB) for nothing."""
_ACTION_COLUMNS = ACTION_COLUMNS
_REPORT_CACHE = -4096  # KiB: the page cache of a report's statement (see report_rows)


# Failed and quarantined actions only: never one that is pending, delivered or discarded.
_REQUEUE = (
    "UPDATE outbox SET attempts = 0, next_attempt = ?, next_attempt_at = NULL, failed_at = NULL,"
    " quarantine = NULL, pending = 1, claimed_by = NULL, claimed_until = NULL"
    " WHERE key = ? AND pending = 0 AND delivered_at IS NULL AND discarded_at IS NULL"
    " AND (failed_at IS NOT NULL OR quarantine IS NOT NULL)"
)


class SQLiteStore(Closing):
    """Tickets, events, flow versions and the outbox in one SQLite file.

    ``create=False`` refuses a file that does not exist, or holds no escflow schema, instead
    of making one (an older schema is still upgraded, unless ``upgrade=False``). ``lease``
    is how long a claim by :meth:`pending_actions` keeps other claims away (see the module).
    ``pool`` is how many connections the store's threads share at most (one for
    ``:memory:``, whose every connection would be a database of its own).

    ``readonly=True`` (for commands that only read) opens the file so that nothing is
    written to it, nor beside it: SQLite's ``mode=ro``, and on read-only media (a folder
    that cannot be written, where SQLite cannot make the write-ahead log's files)
    ``immutable=1`` too. An older schema is then upgraded only where the file can be
    written; elsewhere it is refused, with the command that upgrades it.
    """

    dialect = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        upgrade: bool = True,
        timeout: float = 5.0,
        check: bool = True,
        create: bool = True,
        lease: timedelta = timedelta(seconds=60),
        readonly: bool = False,
        pool: int = POOL,
    ) -> None:
        self.path = Path(path)
        self.lease = lease
        self.readonly = readonly
        self._timeout = timeout
        # Who holds a lease: readable in the file when an operator wonders who claimed a row.
        self.claimer = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        in_memory = str(path) == ":memory:"
        if not in_memory and not self.path.parent.is_dir():
            raise StoreError(
                f"cannot open {self.path}: the folder {self.path.parent} does not exist"
            )
        if (readonly or not create) and not in_memory and not self.path.exists():
            raise no_database(str(self.path), self.url)
        # Not to create: read-write, without SQLite's default of making a missing file.
        plain = (create and not readonly) or in_memory
        if plain and not in_memory:
            make_private_file(self.path)  # SQLite gives its -wal and -shm files this mode
        self._target, self._is_uri = (str(path), False) if plain else (self._uri(), True)
        self._writing = threading.Lock()  # this process's writers take turns (see the module)
        self._pool = Pool(
            str(self.path), self._connect, _close, size=1 if in_memory else pool, wait=_WAIT
        )
        try:
            with self._pool.connection():  # the first connection: a file that cannot be opened
                pass  # is said now, not at the first call
            if check:
                self._check_schema(upgrade, create)
        except BaseException:
            self._pool.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            # A connection serves one thread at a time (the pool's), not always the same one.
            db = sqlite3.connect(
                self._target,
                isolation_level=None,
                timeout=self._timeout,
                check_same_thread=False,
                uri=self._is_uri,
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "open") from None
        try:
            for pragma in SETTINGS:
                db.execute(f"PRAGMA {pragma}")
        except sqlite3.Error as exc:
            db.close()
            raise self._error(exc, "open") from None
        _log.debug("%s: connected (%d of the pool open)", self.path, self._pool.open)
        return db

    @property
    def url(self) -> str:
        """The file as a ``--db`` URL."""
        return f"sqlite:///{self.path}"

    def _uri(self) -> str:
        """The URI that opens the existing file: read-write (``mode=rw``: never made), or
        for a read-only store ``mode=ro``, with ``immutable=1`` on read-only media.

        In WAL mode even a reader needs the log's shared-memory file (``-shm``) beside the
        database: SQLite makes it, or reads through one that is there. Where the folder
        cannot be written and there is none, ``immutable=1`` reads the file alone, which is
        all there is unless a write-ahead log (``-wal``) holds changes not yet in it: those
        it would not see, so that case is refused instead.
        """
        base = f"file:{quote(str(self.path))}"
        if not self.readonly:
            return f"{base}?mode=rw"
        shm, wal = Path(f"{self.path}-shm"), Path(f"{self.path}-wal")
        if os.access(self.path.parent, os.W_OK) or shm.exists():
            return f"{base}?mode=ro"
        if wal.exists() and wal.stat().st_size:
            raise StoreError(
                f"cannot read {self.path}: its write-ahead log {wal.name} holds changes that"
                f" SQLite reads only through a {shm.name} file, which it cannot make in"
                f" {self.path.parent} (read-only); copy {self.path.name} and {wal.name} to a"
                " folder that can be written and read the copy, or open it where it was written"
            )
        return f"{base}?mode=ro&immutable=1"

    # --- schema ---------------------------------------------------------------------

    def schema_version(self) -> int:
        """The schema version of the file (0 when empty)."""
        try:
            with self._pool.connection() as db:
                row = db.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name='escflow_schema'"
                ).fetchone()
                if row is None:
                    return 0
                found = db.execute("SELECT version FROM escflow_schema").fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc, "read the schema of") from None
        return int(found[0]) if found else 0

    def upgrade(self) -> list[str]:
        """Apply the migrations the file lacks; returns their names.

        Each migration is a ``BEGIN IMMEDIATE`` transaction that reads the version (and
        refuses a newer escflow's or another program's database) under the write lock:
        another process opening the same new file may have migrated it meanwhile.
        """
        self._checked_version()  # first outside: WAL is written into the file
        self._journal()
        applied: list[str] = []
        for number, name, sql in migrations(self.dialect):
            with self._transaction("upgrade") as db:
                if self._checked_version() >= number:
                    continue  # applied by now, by this process or another
                for statement in _statements(sql):
                    db.execute(statement)
                db.execute("CREATE TABLE IF NOT EXISTS escflow_schema (version INTEGER)")
                db.execute("DELETE FROM escflow_schema")
                db.execute("INSERT INTO escflow_schema VALUES (?)", (number,))
            applied.append(name)
        return applied

    def check_not_newer(self) -> None:
        """Refuse, untouched, a database whose schema a newer escflow made, or one that
        holds another program's tables."""
        self._checked_version()

    def _checked_version(self) -> int:
        """The schema version, once a newer escflow's or another program's database is
        refused (inside a transaction, both read in its snapshot)."""
        current = self.schema_version()
        refuse_newer(str(self.path), current, self.dialect)
        refuse_foreign(str(self.path), self._tables(), "a file")
        return current

    def _check_schema(self, upgrade: bool, create: bool) -> None:
        # WAL is set once the file is known to be escflow's (or empty, to be made so).
        ensure_current(
            str(self.path),
            self.url,
            self._checked_version(),
            self.dialect,
            (self._upgrade_writable if self.readonly else self.upgrade) if upgrade else None,
            create=create and not self.readonly,
        )
        if not self.readonly:
            self._journal()

    def _upgrade_writable(self) -> None:
        """Upgrade an older schema under a read-only store: through a store that may write,
        where the file and its folder can be written; refused elsewhere."""
        if not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
            raise StoreError(
                f"{self.path} has schema version {self.schema_version()}, older than this"
                " escflow reads, and cannot be upgraded here (it or its folder is read-only):"
                f" run 'escflow db upgrade --db {self.url}' where it can be written"
            )
        SQLiteStore(self.path, create=False, timeout=self._timeout).close()

    def _tables(self) -> list[str]:
        rows = self._read(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return [str(row[0]) for row in rows]

    def _journal(self) -> None:
        # Switching to WAL needs the file to itself and, unlike a transaction, does not wait
        # for another connection (another process opening the same new file): it is tried
        # again until the store's timeout has passed.
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                with self._pool.connection() as db:
                    db.execute(f"PRAGMA {JOURNAL}")
                return
            except sqlite3.Error as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise self._error(exc, "open") from None
            time.sleep(0.005)

    # --- plumbing ---------------------------------------------------------------------

    def _error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return RetryLater(
                f"cannot {doing} {self.path}: the database is locked by another"
                " program; close it, or try again"
            )
        if "disk is full" in text or "database or disk is full" in text:
            return StoreError(
                f"cannot {doing} {self.path}: the disk is full; nothing was"
                " written (free some space and retry)"
            )
        if "readonly" in text and self.readonly:
            return StoreError(f"cannot {doing} {self.path}: it was opened to read only")
        if "readonly" in text or "unable to open" in text:
            return StoreError(
                f"cannot {doing} {self.path}: {text} (check the path and its permissions)"
            )
        if "not a database" in text:
            return StoreError(
                f"cannot {doing} {self.path}: it is not a SQLite database ({text}): check --db;"
                " if it held escflow's tickets, it is damaged: restore it from a backup"
            )
        if "malformed" in text:
            return StoreError(
                f"cannot {doing} {self.path}: the database is damaged ({text}); restore it"
                f" from a backup, or salvage what it holds with 'sqlite3 {self.path} .recover'"
                " into a new file (nothing was changed)"
            )
        return StoreError(f"cannot {doing} {self.path}: {text}")

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        if not self._writing.acquire(timeout=_WAIT):
            raise StoreError(
                f"cannot {doing} {self.path}: another thread of this process has been writing"
                f" for {_WAIT:g} s; try again"
            )
        try:
            with self._pool.connection() as db:
                try:
                    db.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise self._error(exc, doing) from None
                try:
                    yield db
                except sqlite3.Error as exc:  # a full disk, an I/O error: nothing of it stays
                    _rollback(db)
                    raise self._error(exc, doing) from None
                except UnicodeEncodeError as exc:  # a lone surrogate cannot be stored as UTF-8
                    _rollback(db)
                    raise StoreError(f"cannot {doing} {self.path}: {exc}") from None
                except BaseException:
                    _rollback(db)
                    raise
                try:
                    db.execute("COMMIT")
                except sqlite3.Error as exc:
                    _rollback(db)
                    raise self._error(exc, doing) from None
        finally:
            self._writing.release()

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._pool.connection() as db:
                return db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc, "read") from None
        except UnicodeEncodeError as exc:
            raise StoreError(f"cannot read {self.path}: {exc}") from None

    def close(self) -> None:
        """Close the store's connections (one in use closes when its call ends)."""
        self._pool.close()

    # --- the protocol -------------------------------------------------------------------

    def save_version(self, digest: str, flow_id: str, source: str) -> None:
        """Keep a flow version's canonical text (once)."""
        with self._transaction("save a flow version in") as db:
            db.execute(
                "INSERT INTO flow_versions VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                (digest, flow_id, source, datetime.now(UTC).isoformat()),
            )

    def load_version(self, digest: str) -> str | None:
        """The canonical text of a flow version, or None."""
        rows = self._read("SELECT source FROM flow_versions WHERE digest = ?", (digest,))
        return str(rows[0][0]) if rows else None

    def get(self, ticket_id: str) -> Ticket | None:
        """The ticket row, or None."""
        rows = self._read(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,))
        return read_ticket(rows[0], from_micros, self.url) if rows else None

    def get_many(self, ticket_ids: Sequence[str]) -> dict[str, Ticket]:
        """The rows of those tickets that exist, by id."""
        tickets, damaged = read_tickets(self._tickets_in(TICKET_COLUMNS, ticket_ids), from_micros)
        if damaged:
            raise damaged[0].error(self.url)
        return {t.id: t for t in tickets}

    def _tickets_in(self, columns: str, ticket_ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """``columns`` of the tickets among ``ticket_ids``, 500 ids to a statement (SQLite
        bounds the parameters of one)."""
        ids = list(dict.fromkeys(ticket_ids))
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(ids), 500):
            chunk = tuple(ids[i : i + 500])
            marks = ", ".join("?" * len(chunk))
            rows += self._read(f"SELECT {columns} FROM tickets WHERE id IN ({marks})", chunk)
        return rows

    def history(self, ticket_id: str, *, upto: int | None = None) -> list[Event]:
        """The ticket's events in order."""
        rows = self._read(
            "SELECT seq, at, kind, body, idempotency_key FROM events WHERE ticket_id = ?"
            " AND seq <= ? ORDER BY seq",
            (ticket_id, upto if upto is not None else 2**62),
        )
        return read_events(ticket_id, rows, datetime.fromisoformat)

    def append(self, writes: Sequence[Write]) -> None:
        """Every write in one transaction, or none of them.

        The batch's ticket rows, events and actions go in one ``executemany`` each (new
        tickets one by one, to name a duplicate): a group commit of 500 tickets makes a
        handful of calls into SQLite, not three per ticket.
        """
        try:
            with self._transaction("write to") as db:
                self._write(db, writes)
        except _Refused:  # rolled back: what is stored now is what the writers read
            raise ConflictError(self._refusal(writes)) from None

    def _write(self, db: sqlite3.Connection, writes: Sequence[Write]) -> None:
        for write in writes:
            if write.expected_version == 0:
                self._insert_ticket(db, write.ticket)
        updates = [w for w in writes if w.expected_version]
        if updates:
            rows = [(*ticket_row(w.ticket)[1:], w.ticket.id, w.expected_version) for w in updates]
            if db.executemany(_UPDATE_TICKET, rows).rowcount != len(rows):
                raise _Refused()
        try:
            db.executemany(
                "INSERT INTO events (ticket_id, seq, at, kind, body, idempotency_key,"
                " key_last_seq, key_first_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (e.ticket_id, e.seq, _iso(e.at), e.kind, event_body(e), e.key, last, first)
                    for e, first, last in keyed_events(writes)
                ],
            )
        except sqlite3.IntegrityError:
            raise _Refused() from None
        db.executemany(
            "INSERT INTO outbox (key, ticket_id, kind, target, payload, created_at,"
            " next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    a.key,
                    a.ticket_id,
                    a.kind,
                    a.target,
                    dumps(a.payload),
                    _iso(a.created_at),
                    micros(a.created_at),
                )
                for w in writes
                for a in w.actions
            ],
        )

    @staticmethod
    def _insert_ticket(db: sqlite3.Connection, ticket: Ticket) -> None:
        try:
            db.execute(_INSERT_TICKET, ticket_row(ticket))
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                raise DuplicateTicket(
                    f"a ticket with the id '{ticket.id}' exists already"
                ) from None
            raise StoreError(f"cannot store ticket '{ticket.id}': {exc}") from None

    def _refusal(self, writes: Sequence[Write]) -> str:
        """Why a batch was refused: a ticket not at the version its writer read, or an
        event repeating a key or a sequence number."""
        rows = self._tickets_in("id, version", [w.ticket.id for w in writes])
        version = {str(r[0]): int(r[1]) for r in rows}
        for write in writes:  # a ticket written twice in a batch expects its first write
            if write.expected_version and version.get(write.ticket.id) != write.expected_version:
                return (
                    f"ticket '{write.ticket.id}' changed since it was read (version"
                    f" {write.expected_version}); read it again and retry"
                )
            version[write.ticket.id] = write.ticket.version
        seen: set[str] = set()
        for event in (e for w in writes for e in w.events):
            if event.key is not None:
                if event.key in seen or self.find_key(event.key) is not None:
                    return f"the idempotency key '{event.key}' was used already"
                seen.add(event.key)
            if self._read(
                "SELECT 1 FROM events WHERE ticket_id = ? AND seq = ?", (event.ticket_id, event.seq)
            ):
                return (
                    f"ticket '{event.ticket_id}' has an event {event.seq} already: another"
                    " writer appended first; read it again and retry"
                )
        return "another writer changed these tickets meanwhile; read them again and retry"

    def find_key(self, key: str) -> KeyRecord | None:
        """Where an idempotency key was applied, or None."""
        rows = self._read(
            "SELECT ticket_id, seq, key_last_seq, key_first_seq FROM events"
            " WHERE idempotency_key = ?",
            (key,),
        )
        return key_record(rows[0]) if rows else None

    def due(self, now: datetime, limit: int) -> list[Ticket]:
        """Open tickets due at or before ``now``, soonest first."""
        rows = self._read(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE next_due IS NOT NULL AND next_due <= ?"
            " ORDER BY next_due LIMIT ?",
            (micros(now), limit),
        )
        return self._claimed_tickets(rows)

    def next_due(self) -> datetime | None:
        """The soonest deadline or warning of any open ticket."""
        rows = self._read(
            "SELECT next_due FROM tickets WHERE next_due IS NOT NULL ORDER BY next_due LIMIT 1"
        )
        return from_micros(rows[0][0]) if rows else None

    def tickets(
        self,
        *,
        status: Status | None,
        flow: str | None,
        due_by: datetime | None,
        limit: int,
        sla: SlaFilter | None = None,
    ) -> list[Ticket]:
        """Tickets passing every filter given, soonest next deadline first (see the protocol)."""
        sql, args = tickets_query(
            status, flow, micros(due_by), limit, mark="?", sla=sla_instants(sla, micros)
        )
        tickets, damaged = read_tickets(self._read(sql, tuple(args)), from_micros)
        for damage in damaged:
            damage.say_left_out(self.url)
        return tickets

    def pending_actions(self, now: datetime, limit: int) -> list[Action]:
        """Undelivered actions whose next attempt is due, oldest first, claimed for this store.

        Actions claimed less than ``lease`` ago (by another store, or by another thread of
        this one) are left out (see the module). The claim is a write: on a file escflow
        cannot write, this fails before anything is delivered, rather than after every
        delivery, unrecorded.
        """
        clock = _machine_clock()
        with self._transaction("claim pending actions in") as db:
            rows = db.execute(
                f"SELECT rowid, claimed_by, {_ACTION_COLUMNS} FROM outbox"
                " WHERE pending = 1 AND next_attempt <= ?"
                " AND (claimed_until IS NULL OR claimed_until <= ?)"
                " ORDER BY next_attempt, rowid LIMIT ?",
                (micros(now), clock, max(0, limit)),
            ).fetchall()
            until = clock + self.lease // timedelta(microseconds=1)
            db.executemany(
                "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE rowid = ?",
                [(self.claimer, until, row[0]) for row in rows],
            )
        say_taken_over(str(self.path), "action", [(r[2], r[1]) for r in rows], self.claimer)
        return self._claimed_actions([r[2:] for r in rows])

    def renew_claims(self, keys: Sequence[str]) -> list[str]:
        """Extend this store's claims on these actions by a lease from now; returns the keys
        it still held (an action recorded meanwhile, or taken over, is not renewed)."""
        if not keys:
            return []
        until = _machine_clock() + self.lease // timedelta(microseconds=1)
        with self._transaction("renew claims in") as db:
            return [
                key
                for key in keys
                if db.execute(
                    "UPDATE outbox SET claimed_until = ? WHERE key = ? AND claimed_by = ?"
                    " AND pending = 1",
                    (until, key, self.claimer),
                ).rowcount
            ]

    def release_claims(self, keys: Sequence[str]) -> None:
        """End this store's claims on these actions, undelivered: other claims may take them
        at once (a worker that stops gives back what it did not send)."""
        if not keys:
            return
        with self._transaction("release claims in") as db:
            db.executemany(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
                " WHERE key = ? AND claimed_by = ?",
                [(key, self.claimer) for key in keys],
            )

    def record_attempts(self, actions: Sequence[Action]) -> None:
        """Store the outcomes of delivery attempts in one transaction, ending the claims on
        them."""
        if not actions:
            return
        with self._transaction("record deliveries in") as db:
            db.executemany(
                "UPDATE outbox SET attempts = ?, next_attempt = ?, next_attempt_at = ?,"
                " delivered_at = ?, failed_at = ?, last_error = ?, pending = ?,"
                " claimed_by = NULL, claimed_until = NULL WHERE key = ?",
                [
                    (
                        a.attempts,
                        micros(a.next_attempt_at or a.created_at),
                        iso(a.next_attempt_at),
                        iso(a.delivered_at),
                        iso(a.failed_at),
                        a.last_error,
                        int(a.delivered_at is None and a.failed_at is None),
                        a.key,
                    )
                    for a in actions
                ],
            )

    def report_rows(self, name: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
        """The rows of the report query ``name`` (``sql/report/``), its instants given as
        datetimes (compared as the ISO text in UTC the events keep)."""
        sql = named_query(self.dialect, name)
        args = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in params.items()}
        try:
            with self._pool.connection() as db:
                # Each sort of the query may keep up to a page cache in memory: a small one
                # for this call keeps a report over a million events to some 150 MB, where
                # the store's own cache (sized for random access to tickets) took three
                # times as much, for no gain in time.
                db.execute(f"PRAGMA cache_size = {_REPORT_CACHE}")
                try:
                    return db.execute(sql, args).fetchall()
                finally:
                    db.execute(f"PRAGMA {SETTINGS[-1]}")
        except sqlite3.Error as exc:
            raise self._error(exc, "report on") from None

    def actions(self, ticket_id: str) -> list[Action]:
        """Every action of a ticket, oldest first."""
        # Keys begin with the ticket id and a colon: the key index finds them (schema 2).
        rows = self._read(
            f"SELECT {_ACTION_COLUMNS} FROM outbox WHERE key > ? AND key < ? AND ticket_id = ?"
            " ORDER BY rowid",
            (f"{ticket_id}:", f"{ticket_id};", ticket_id),
        )
        return read_actions(rows, from_iso)

    # --- rows that cannot be read -------------------------------------------------------

    def _claimed_tickets(self, rows: list[tuple[Any, ...]]) -> list[Ticket]:
        """The tickets of claimed rows; those that cannot be read are quarantined."""
        tickets, damaged = read_tickets(rows, from_micros)
        if damaged:
            self._quarantine(damaged)
        return tickets

    def _claimed_actions(self, rows: list[tuple[Any, ...]]) -> list[Action]:
        """The actions of claimed rows; those that cannot be read are quarantined."""
        actions, damaged = split_actions(rows, from_iso)
        if damaged:
            self._quarantine(damaged)
        return actions

    def _quarantine(self, damaged: Sequence[Damage]) -> None:
        """Take rows that cannot be read out of the work, marked with why, and say so."""
        with self._transaction("quarantine rows that cannot be read in") as db:
            db.executemany(
                "UPDATE tickets SET next_due = NULL, quarantine = ? WHERE id = ?",
                [(d.reason, d.ticket_id) for d in damaged if d.key is None],
            )
            db.executemany(
                "UPDATE outbox SET pending = 0, quarantine = ?, claimed_by = NULL,"
                " claimed_until = NULL WHERE key = ?",
                [(d.reason, d.key) for d in damaged if d.key is not None],
            )
        for damage in damaged:
            damage.say_quarantined(self.url)

    # --- the operator's view (StoreAdmin) -----------------------------------------------

    def outbox(
        self,
        *,
        statuses: Collection[str],
        ticket_id: str | None = None,
        limit: int = 100,
    ) -> list[Action]:
        """Actions whose stored status is one of ``statuses``, oldest first."""
        where = action_statuses(statuses, pending="pending = 1", held="pending = 0")
        args: tuple[object, ...] = ()
        if ticket_id is not None:  # the key index finds a ticket's actions (see actions)
            where = f"({where}) AND key > ? AND key < ? AND ticket_id = ?"
            args = (f"{ticket_id}:", f"{ticket_id};", ticket_id)
        rows = self._read(
            f"SELECT {_ACTION_COLUMNS} FROM outbox WHERE {where} ORDER BY rowid LIMIT ?",
            (*args, max(0, limit)),
        )
        return read_actions(rows, from_iso)

    def requeue(self, keys: Sequence[str], now: datetime) -> list[str]:
        """Queue failed or quarantined actions again, due at ``now``."""
        done: list[str] = []
        with self._transaction("queue actions again in") as db:
            for key in keys:
                cursor = db.execute(_REQUEUE, (micros(now), key))
                if cursor.rowcount:
                    done.append(key)
        return done

    def discard(self, key: str, *, actor: str, note: str | None, now: datetime) -> bool:
        """Set an undelivered action aside for good, unless a worker holds it."""
        clock = time.time_ns() // 1000  # claims are on the machine's clock (pending_actions)
        with self._transaction("discard an action in") as db:
            cursor = db.execute(
                "UPDATE outbox SET discarded_at = ?, discarded_by = ?, discard_note = ?,"
                " pending = 0 WHERE key = ? AND delivered_at IS NULL AND discarded_at IS NULL"
                " AND (claimed_until IS NULL OR claimed_until <= ? OR pending = 0)",
                (iso(now), actor, note, key, clock),
            )
        return bool(cursor.rowcount)

    def counts(self) -> StoreCounts:
        """Open tickets by flow and level, the outbox's backlog and failures."""
        tickets, outbox = counts_queries(pending="pending = 1", held="pending = 0")
        rows = self._read(tickets, ())
        backlog, failed = self._read(outbox, ())[0]
        return StoreCounts(
            {(str(f), str(level)): int(n) for f, level, n in rows}, int(backlog), int(failed)
        )

    def flow_versions(self, flow_id: str) -> list[tuple[str, datetime | None]]:
        """The versions of a flow kept here, oldest first."""
        rows = self._read(
            "SELECT digest, saved_at FROM flow_versions WHERE flow_id = ?"
            " ORDER BY saved_at, digest",
            (flow_id,),
        )
        return [(str(digest), from_iso(saved)) for digest, saved in rows]

    def ticket_page(self, query: TicketQuery) -> list[Ticket]:
        """A page of tickets passing the query's filters (see the admin protocol)."""
        sql, args = page_query(query, micros, mark="?")
        tickets, damaged = read_tickets(self._read(sql, tuple(args)), from_micros)
        for damage in damaged:
            damage.say_left_out(self.url)
        return tickets

    def quarantined_tickets(self, limit: int) -> list[tuple[str, str]]:
        """Tickets a worker took off the schedule, by id."""
        rows = self._read(
            "SELECT id, quarantine FROM tickets WHERE quarantine IS NOT NULL ORDER BY id LIMIT ?",
            (max(0, limit),),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    def release(self, ticket: Ticket) -> bool:
        """Put a quarantined ticket back on the schedule, if unchanged since read."""
        with self._transaction("put a ticket back on the schedule in") as db:
            cursor = db.execute(
                "UPDATE tickets SET quarantine = NULL, next_due = ?"
                " WHERE id = ? AND version = ? AND quarantine IS NOT NULL",
                (micros(ticket.next_due), ticket.id, ticket.version),
            )
        return bool(cursor.rowcount)


def _machine_clock() -> int:
    """Microseconds since the epoch by the machine's clock, which leases use rather than
    the ``now`` a caller passes (which may be simulated): every process on one SQLite file
    runs on one machine, so this is one clock for all of them."""
    return time.time_ns() // 1000


def _rollback(db: sqlite3.Connection) -> None:
    # SQLite may have rolled back already (a failed COMMIT on a full disk does).
    if db.in_transaction:
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _close(db: sqlite3.Connection) -> None:
    db.close()


class _Refused(Exception):
    """A batch broke a version check or a unique index: raised inside the transaction, so
    that the culprit is looked for once it has been rolled back."""


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (they hold no ';' inside literals)."""
    cleaned = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in cleaned.split(";") if s.strip()]
