"""The PostgreSQL store: one database shared by several workers. The only module that
imports psycopg.

The tables are SQLite's (``sql/postgres``, numbered migrations applied under an advisory
lock, so that two processes opening a fresh database do not both create it). Each
:meth:`PostgresStore.append` is one READ COMMITTED transaction whose ticket updates
carry the version check (``WHERE t.id = u.id AND t.version = u.expected``, one row of
the batch's ``unnest`` each): a concurrent writer makes its ticket's update touch no row,
which is a :class:`~escflow.errors.ConflictError`, and the transaction rolls back whole.

Claims
------
:meth:`~PostgresStore.due` and :meth:`~PostgresStore.pending_actions` are where several
worker processes meet. A row lock taken with ``SELECT … FOR UPDATE SKIP LOCKED`` lasts
only as long as its transaction, but the protocol hands the tickets back to the engine,
which writes them later in a separate :meth:`~PostgresStore.append` (checked by
version). Holding a transaction open across those calls would tie a connection and row
locks to the engine's work and break the one-transaction-per-append rule, so a claim is a
*lease* written in the claiming transaction instead:

- ``due`` picks due rows with ``FOR UPDATE SKIP LOCKED`` (so two claimers never block
  each other or pick the same row at the same moment), skips rows another store holds a
  live lease on, and sets ``claimed_by`` (this store) and ``claimed_until`` (the server's
  ``now()`` plus ``lease``) on the rows it returns, all in one statement.
- The next write of a ticket clears its lease: normally the claimer's own, milliseconds
  later. A ticket whose claimer died becomes claimable again when the lease runs out.
- The lease is per store: the same store may claim its own rows again (a tick that did
  not write a ticket sees it on the next tick), exactly as the other stores behave.
- Correctness never rests on the lease: a worker slower than its lease, or a service
  writing the ticket meanwhile, loses on the version check (ConflictError), which the
  engine expects. The lease only keeps workers from doing the same work twice.
- ``pending_actions`` leases outbox rows the same way; :meth:`~PostgresStore.record_attempts`
  clears the lease. Unlike a ticket's, an action's live claim keeps its own store away
  too: threads sharing a store (a worker's deliveries) never get the same action. A worker
  renews the leases of the actions it still delivers (:meth:`~PostgresStore.renew_claims`)
  and gives back those it will not (:meth:`~PostgresStore.release_claims`). Delivery stays
  at least once: an action whose worker died is delivered again, under its stable key.
- Leases use the database server's clock, one clock for every worker, not the ``now``
  the caller passes (which may be a simulated time).

``due`` and ``pending_actions`` therefore change the rows they return: to look without
claiming, use :meth:`~PostgresStore.next_due`, :meth:`~PostgresStore.get` and
:meth:`~PostgresStore.actions`.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from escflow.errors import ConflictError, DuplicateTicket, RetryLater, StoreError
from escflow.records import Action, Event, Status, Ticket
from escflow.store._codec import (
    ACTION_COLUMNS,
    TICKET_COLUMNS,
    TICKET_WIDTH,
    action_statuses,
    counts_queries,
    dumps,
    event_body,
    key_record,
    keyed_events,
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
from escflow.store._migrate import ensure_current, migrations, refuse_foreign, refuse_newer
from escflow.store._named import named_query
from escflow.store._pool import DEFAULT_SIZE, Pool
from escflow.store._protocol import Closing, KeyRecord, SlaFilter, StoreCounts, TicketQuery, Write
from escflow.store._redact import check_credentials, scrub, shown_url

Connection: TypeAlias = psycopg.Connection[TupleRow]
_log = logging.getLogger("escflow.store")

_ACTION_COLUMNS = ACTION_COLUMNS
# One database-wide advisory lock serializes migrations ("escflow" in ASCII).
_MIGRATION_LOCK = 0x657363666C6F77
# Errors a retry can cure: the caller reads again and retries, as after a version conflict.
_RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)


class PostgresStore(Closing):
    """Tickets, events, flow versions and the outbox in a PostgreSQL database.

    ``dsn`` is a ``postgresql://`` URL or a libpq ``key=value`` string; the schema is
    the first one on the connection's ``search_path``. ``lease`` is how long a claim by
    :meth:`due` or :meth:`pending_actions` keeps other workers away (see the module).
    ``create=False`` refuses a schema without escflow's tables instead of making them (an
    older escflow schema is still upgraded, unless ``upgrade=False``). ``readonly=True``
    (for commands that only read) makes every transaction after the schema check read-only.
    Threads may share one store: each call takes one of at most ``pool`` connections for
    its duration (see ``_pool.py``).
    """

    dialect = "postgres"

    def __init__(
        self,
        dsn: str,
        *,
        upgrade: bool = True,
        check: bool = True,
        connect_timeout: int = 5,
        lease: timedelta = timedelta(seconds=60),
        create: bool = True,
        readonly: bool = False,
        pool: int = DEFAULT_SIZE,
    ) -> None:
        try:
            dsn.encode("utf-8")
        except UnicodeEncodeError as exc:  # not shown: the URL may hold a password
            raise StoreError(
                f"the PostgreSQL URL cannot be used: character {exc.start + 1} is a byte that"
                " was not UTF-8; write postgresql://user@host:5432/database"
            ) from None
        check_credentials(dsn)
        self._dsn = dsn  # private: it may hold the password; messages use ``url``
        self.url = shown_url(dsn)
        self.lease = lease
        # Who holds a lease: readable in the table when an operator wonders who claimed a row.
        self.claimer = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._connect_timeout = max(2, connect_timeout)  # libpq's minimum
        self._readonly = False  # set once the schema is checked (and perhaps upgraded)
        self._pool: Pool[Connection] = Pool(
            self.url, self._connect, _close, size=pool, usable=_usable
        )
        try:
            with self._pool.connection():  # the first connection: a server that cannot be
                pass  # reached is said now, not at the first call
            if check:
                self._check_schema(upgrade, create and not readonly)
            if readonly:
                # Connections made from here on are read-only; those made for the check go.
                self._readonly = True
                self._pool.discard_idle()
        except BaseException:
            self._pool.close()
            raise

    # --- schema ---------------------------------------------------------------------

    def schema_version(self) -> int:
        """The schema version of the database (0 when empty)."""
        # pg_class read through a snapshot, not to_regclass(): that goes through the
        # catalog cache, which can miss a table another session just created (as when two
        # processes migrate a fresh database together).
        rows = self._read(
            "SELECT count(*) FROM pg_catalog.pg_class"
            " WHERE relname = 'escflow_schema' AND relnamespace = current_schema()::regnamespace",
            doing="read",
        )
        if not rows[0][0]:
            return 0
        found = self._read("SELECT version FROM escflow_schema", doing="read the schema of")
        return int(found[0][0]) if found else 0

    def upgrade(self) -> list[str]:
        """Apply the migrations the database lacks; returns their names."""
        applied: list[str] = []
        for number, name, sql in migrations(self.dialect):
            with self._transaction("upgrade") as db:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                # Read under the lock: another process may have migrated while we waited.
                if self.schema_version() >= number:
                    continue
                db.execute(sql)  # several statements: allowed without parameters
                db.execute("CREATE TABLE IF NOT EXISTS escflow_schema (version integer)")
                db.execute("DELETE FROM escflow_schema")
                db.execute("INSERT INTO escflow_schema VALUES (%s)", (number,))
            applied.append(name)
        return applied

    def check_not_newer(self) -> None:
        """Refuse, untouched, a database whose schema a newer escflow made, or one whose
        schema holds another program's tables."""
        refuse_newer(str(self.url), self.schema_version(), self.dialect)
        tables = self._read(
            "SELECT relname FROM pg_catalog.pg_class WHERE relkind IN ('r', 'p')"
            " AND relnamespace = current_schema()::regnamespace",
            doing="read",
        )
        refuse_foreign(self.url, [str(t[0]) for t in tables], "a database or schema")

    def _check_schema(self, upgrade: bool, create: bool) -> None:
        self.check_not_newer()
        ensure_current(
            str(self.url),
            self.url,
            self.schema_version(),
            self.dialect,
            self.upgrade if upgrade else None,
            create=create,
        )

    # --- plumbing ---------------------------------------------------------------------

    def _connect(self) -> Connection:
        try:
            params = conninfo_to_dict(self._dsn)
        except psycopg.Error as exc:
            # libpq quotes the whole URL after 'in URI:', password included: cut it off.
            reason = self._text(exc).split(" in URI:", 1)[0]
            raise StoreError(
                f"the PostgreSQL URL {self.url} cannot be used: {reason}; write"
                " postgresql://user@host:5432/database"
            ) from None
        if not params.get("dbname"):  # libpq would pick one after the user's name
            raise StoreError(
                f"the PostgreSQL URL {self.url} names no database: write"
                " postgresql://user@host:5432/database"
            )
        extra: dict[str, Any] = {}
        if "connect_timeout" not in params:  # libpq waits forever by default
            extra["connect_timeout"] = self._connect_timeout
        if "application_name" not in params:  # tells a DBA's pg_stat_activity who we are
            extra["application_name"] = "escflow"
        try:
            db = psycopg.connect(self._dsn, autocommit=True, **extra)
        except psycopg.Error as exc:
            raise self._connect_error(exc, params) from None
        try:
            # Instants come back in UTC, whatever the server's TimeZone setting.
            db.execute("SET TIME ZONE 'UTC'")
        except psycopg.Error as exc:
            db.close()
            raise self._error(exc, "set up a session on") from None
        if self._readonly:  # a connection made again after a drop stays read-only
            self._set_read_only(db)
        _log.debug("%s: connected (%d of the pool open)", self.url, self._pool.open)
        return db

    def _set_read_only(self, db: Connection) -> None:
        """Make every later transaction of the session read-only."""
        try:
            db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        except psycopg.Error as exc:
            db.close()
            raise self._error(exc, "set up a session on") from None

    def _connect_error(self, exc: psycopg.Error, params: dict[str, Any]) -> StoreError:
        text = self._text(exc)
        lower = text.lower()
        host = params.get("host") or params.get("hostaddr") or "localhost"
        where = f"host {host} port {params.get('port') or 5432}"
        # Nothing answering, or not in time: the server may be starting (try again later).
        # The other failures name a setting to fix: trying again would fail the same way.
        if "refused" in lower:
            return RetryLater(
                f"cannot connect to PostgreSQL at {self.url}: nothing answers at {where}: is"
                " PostgreSQL running there, on that port?"
            )
        if "timeout" in lower or "timed out" in lower:
            return RetryLater(
                f"cannot connect to PostgreSQL at {self.url}: the server at {where} did not"
                f" answer within {params.get('connect_timeout') or self._connect_timeout} s"
            )
        if "resolve host" in lower or "translate host name" in lower:
            reason = f"the host name {host!r} is unknown"
        elif "authentication failed" in lower or "no password supplied" in lower:
            reason = (
                f"the server at {where} refused the user name or password ({text}): check"
                " them, ~/.pgpass, or the server's pg_hba.conf"
            )
        elif "does not exist" in lower:
            reason = f"{text} on the server at {where}"
        else:
            reason = text
        return StoreError(f"cannot connect to PostgreSQL at {self.url}: {reason}")

    def _text(self, exc: BaseException) -> str:
        """The first line of a foreign error, never with the password in it.

        libpq's connection errors start with where it tried ('connection to server at
        "h", port p failed: FATAL:  …'): the messages say where themselves, so that goes.
        """
        lines = str(exc).strip().splitlines()
        text = lines[0].strip() if lines else type(exc).__name__
        for prefix in ("connection failed: ", "connection is bad: "):
            text = text.removeprefix(prefix)
        if text.startswith("connection to server") and " failed: " in text:
            text = text.split(" failed: ", 1)[1]
        text = text.removeprefix("FATAL:").strip()
        return scrub(text, self._dsn)

    def _error(self, exc: psycopg.Error, doing: str) -> StoreError:
        text = self._text(exc)
        if isinstance(exc, _RETRYABLE):
            return ConflictError(
                f"cannot {doing} {self.url}: another writer held the same rows ({text});"
                " read again and retry"
            )
        if isinstance(exc, pg_errors.UndefinedTable | pg_errors.UndefinedColumn):
            return StoreError(
                f"cannot {doing} {self.url}: it is not an escflow database ({text}); run"
                f" 'escflow db upgrade --db {self.url}'"
            )
        if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
            if self._readonly:
                return StoreError(f"cannot {doing} {self.url}: it was opened to read only")
            return StoreError(f"cannot {doing} {self.url}: the server is read-only (a standby?)")
        if isinstance(exc, pg_errors.DiskFull):
            return StoreError(
                f"cannot {doing} {self.url}: the server's disk is full; nothing was written"
            )
        if isinstance(exc, psycopg.OperationalError):
            return RetryLater(
                f"cannot {doing} {self.url}: the connection failed ({text}); the next call"
                " connects again"
            )
        return StoreError(f"cannot {doing} {self.url}: {text}")

    @contextmanager
    def _connection(self, doing: str) -> Iterator[Connection]:
        """A connection of the pool for the block, a foreign error said as a StoreError.

        A connection that broke (the server restarted, the network dropped) is not given
        back, and the idle ones are let go with it, broken too most likely: the next call
        connects again, so a worker outlives a database restart.
        """
        try:
            with self._pool.connection() as db:
                yield db
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError):
                dropped = self._pool.discard_idle()
                _log.warning(
                    "%s: a connection failed (%s); %d idle connections let go, the next call"
                    " connects again",
                    self.url,
                    self._text(exc),
                    dropped,
                )
            raise self._error(exc, doing) from None
        except UnicodeEncodeError as exc:  # a lone surrogate cannot go to the server
            raise StoreError(f"cannot {doing} {self.url}: {exc}") from None

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Connection]:
        with self._connection(doing) as db, db.transaction():
            yield db

    def _read(
        self, sql: str, args: Sequence[object] | dict[str, Any] = (), *, doing: str = "read"
    ) -> list[tuple[Any, ...]]:
        """The rows of one statement, run as its own transaction."""
        with self._connection(doing) as db:
            cursor = db.execute(sql, args)
            return cursor.fetchall() if cursor.description is not None else []

    def close(self) -> None:
        """Close the store's connections (one in use closes when its call ends)."""
        self._pool.close()

    # --- the protocol -------------------------------------------------------------------

    def save_version(self, digest: str, flow_id: str, source: str) -> None:
        """Keep a flow version's canonical text (once)."""
        self._read(
            "INSERT INTO flow_versions VALUES (%s, %s, %s, now()) ON CONFLICT (digest) DO NOTHING",
            (digest, flow_id, source),
            doing="save a flow version in",
        )

    def load_version(self, digest: str) -> str | None:
        """The canonical text of a flow version, or None."""
        rows = self._read("SELECT source FROM flow_versions WHERE digest = %s", (digest,))
        return str(rows[0][0]) if rows else None

    def get(self, ticket_id: str) -> Ticket | None:
        """The ticket row, or None."""
        rows = self._read(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = %s", (ticket_id,))
        return read_ticket(rows[0], _utc, self.url) if rows else None

    def get_many(self, ticket_ids: Sequence[str]) -> dict[str, Ticket]:
        """The rows of those tickets that exist, by id, in one round trip."""
        rows = self._read(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ANY(%b::text[])",
            (list(dict.fromkeys(ticket_ids)),),
        )
        tickets, damaged = read_tickets(rows, _utc)
        if damaged:
            raise damaged[0].error(self.url)
        return {t.id: t for t in tickets}

    def history(self, ticket_id: str, *, upto: int | None = None) -> list[Event]:
        """The ticket's events in order."""
        rows = self._read(
            "SELECT seq, at, kind, body, idempotency_key FROM events WHERE ticket_id = %s"
            " AND seq <= %s ORDER BY seq",
            (ticket_id, upto if upto is not None else 2**31 - 1),
        )
        return read_events(ticket_id, rows, _aware)

    def append(self, writes: Sequence[Write]) -> None:
        """Every write in one transaction, or none of them.

        New tickets are inserted one by one (pipelined, one round trip), to name a
        duplicate; the rest of the batch is set-based: the ticket updates, the events and
        the actions go as one statement each, their values as arrays (``unnest``). A
        statement per row costs the server its executor start and the client a message
        per row; the group commit of a worker's 500 escalations is a handful of
        statements instead of 1,500.
        """
        # By ticket id (a ticket's own writes keep their order), the order in which the
        # updates' index scans lock rows: two batches that share tickets mostly wait for
        # each other; a deadlock the server breaks is a ConflictError, retried by callers.
        ordered = sorted(writes, key=lambda w: w.ticket.id)
        with self._transaction("write to") as db:
            new = [w for w in ordered if w.expected_version == 0]
            if new:
                with db.pipeline():
                    inserted = [
                        (w, db.execute(_INSERT_TICKET, ticket_row(w.ticket, _same))) for w in new
                    ]
                for write, cursor in inserted:
                    if cursor.rowcount != 1:
                        raise DuplicateTicket(
                            f"a ticket with the id '{write.ticket.id}' exists already"
                        )
            for updates in _rounds([w for w in ordered if w.expected_version]):
                self._update_tickets(db, updates)
            self._write_events(db, keyed_events(ordered))
            self._write_actions(db, [a for w in ordered for a in w.actions])

    @staticmethod
    def _update_tickets(db: Connection, writes: list[Write]) -> None:
        """Update each ticket if it is still at the version its writer read."""
        rows = [(*ticket_row(w.ticket, _same), w.expected_version) for w in writes]
        written = {r[0] for r in db.execute(_UPDATE_TICKETS, _columns(rows)).fetchall()}
        for write in writes:
            if write.ticket.id not in written:
                raise ConflictError(
                    f"ticket '{write.ticket.id}' changed since it was read (version"
                    f" {write.expected_version}); read it again and retry"
                )

    @staticmethod
    def _write_events(db: Connection, events: list[tuple[Event, int | None, int | None]]) -> None:
        if not events:
            return
        rows = [
            (e.ticket_id, e.seq, e.at, e.kind, event_body(e), e.key, last, first)
            for e, first, last in events
        ]
        try:
            db.execute(_INSERT_EVENTS, _columns(rows))
        except pg_errors.UniqueViolation as exc:
            raise ConflictError(_repeated_event(exc)) from None

    @staticmethod
    def _write_actions(db: Connection, actions: list[Action]) -> None:
        if not actions:
            return
        rows = [
            (a.key, a.ticket_id, a.kind, a.target, dumps(a.payload), a.created_at, a.created_at)
            for a in actions
        ]
        try:
            db.execute(_INSERT_ACTIONS, _columns(rows))
        except pg_errors.UniqueViolation as exc:
            raise ConflictError(
                f"an action repeats a key already in the outbox ({exc.diag.message_detail})"
            ) from None

    def find_key(self, key: str) -> KeyRecord | None:
        """Where an idempotency key was applied, or None."""
        rows = self._read(
            "SELECT ticket_id, seq, key_last_seq, key_first_seq FROM events"
            " WHERE idempotency_key = %s",
            (key,),
        )
        return key_record(rows[0]) if rows else None

    def due(self, now: datetime, limit: int) -> list[Ticket]:
        """Open tickets due at or before ``now``, soonest first, claimed for this store.

        Tickets another store claimed less than ``lease`` ago are left out (see the module).
        """
        rows = self._claim(
            "tickets",
            "id",
            "next_due IS NOT NULL AND next_due <= %(now)s",
            "next_due",
            _qualified(TICKET_COLUMNS, "tickets"),
            now,
            limit,
            "claim due tickets in",
            mine_again=True,
        )
        say_taken_over(self.url, "ticket", [(r[1], r[0]) for r in rows], self.claimer)
        rows.sort(key=lambda r: (r[14], r[1]))  # RETURNING keeps no order: by next_due, id
        return self._claimed_tickets([r[1:] for r in rows])

    def tickets(
        self,
        *,
        status: Status | None,
        flow: str | None,
        due_by: datetime | None,
        limit: int,
        sla: SlaFilter | None = None,
    ) -> list[Ticket]:
        """Tickets passing every filter given, soonest next deadline first (see the protocol;
        claimed or not)."""
        sql, args = tickets_query(
            status,
            flow,
            due_by,
            limit,
            mark="%s",
            by_id='id COLLATE "C"',
            sla=sla_instants(sla, _same),
        )
        tickets, damaged = read_tickets(self._read(sql, args), _utc)
        for damage in damaged:
            damage.say_left_out(self.url)
        return tickets

    def next_due(self) -> datetime | None:
        """The soonest deadline or warning of any open ticket (claimed or not)."""
        rows = self._read(
            "SELECT next_due FROM tickets WHERE next_due IS NOT NULL ORDER BY next_due LIMIT 1"
        )
        return _utc(rows[0][0]) if rows else None

    def pending_actions(self, now: datetime, limit: int) -> list[Action]:
        """Undelivered actions whose next attempt is due, oldest first, claimed for this store.

        Actions claimed less than ``lease`` ago, by another store or by this one (another
        of its threads), are left out (see the module).
        """
        rows = self._claim(
            "outbox",
            "key",
            "pending AND next_attempt <= %(now)s",
            "next_attempt, position",
            f"outbox.next_attempt, outbox.position, {_qualified(_ACTION_COLUMNS)}",
            now,
            limit,
            "claim pending actions in",
        )
        say_taken_over(self.url, "action", [(r[3], r[0]) for r in rows], self.claimer)
        rows.sort(key=lambda r: (r[1], r[2]))  # RETURNING keeps no order
        return self._claimed_actions([r[3:] for r in rows])

    def renew_claims(self, keys: Sequence[str]) -> list[str]:
        """Extend this store's claims on these actions by a lease from now; returns the keys
        it still held (an action recorded meanwhile, or taken over, is not renewed)."""
        if not keys:
            return []
        rows = self._read(
            "UPDATE outbox SET claimed_until = now() + %s"
            " WHERE key = ANY(%b::text[]) AND claimed_by = %s AND pending RETURNING key",
            (self.lease, list(keys), self.claimer),
            doing="renew claims in",
        )
        held = {str(r[0]) for r in rows}
        return [key for key in keys if key in held]

    def release_claims(self, keys: Sequence[str]) -> None:
        """End this store's claims on these actions, undelivered: other claims may take them
        at once (a worker that stops gives back what it did not send)."""
        if keys:
            self._read(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
                " WHERE key = ANY(%b::text[]) AND claimed_by = %s",
                (list(keys), self.claimer),
                doing="release claims in",
            )

    def _claim(
        self,
        table: str,
        key: str,
        due: str,
        order: str,
        returning: str,
        now: datetime,
        limit: int,
        doing: str,
        *,
        mine_again: bool = False,
    ) -> list[tuple[Any, ...]]:
        """Lease up to ``limit`` rows of ``table`` that are ``due`` and not leased (to
        another store, or with ``mine_again`` to any), in ``order``, skipping rows another
        transaction holds; returns who held each before, then its ``returning`` (in no
        order)."""
        mine = " OR claimed_by = %(me)s" if mine_again else ""
        return self._read(
            "WITH picked AS ("
            f" SELECT {key}, claimed_by AS previous FROM {table}"
            f" WHERE {due}"
            f" AND (claimed_until IS NULL OR claimed_until <= now(){mine})"
            f" ORDER BY {order} LIMIT %(limit)s"
            " FOR UPDATE SKIP LOCKED)"
            f" UPDATE {table} SET claimed_by = %(me)s, claimed_until = now() + %(lease)s"
            f" FROM picked WHERE {table}.{key} = picked.{key}"
            f" RETURNING picked.previous, {returning}",
            {"now": now, "me": self.claimer, "limit": max(0, limit), "lease": self.lease},
            doing=doing,
        )

    def record_attempts(self, actions: Sequence[Action]) -> None:
        """Store the outcomes of delivery attempts in one transaction, ending this store's
        claims on them."""
        if not actions:
            return
        # One outcome per key: the last attempt of a key in the batch is its outcome.
        latest = {a.key: a for a in actions}
        rows = [
            (
                a.key,
                a.attempts,
                a.next_attempt_at or a.created_at,
                a.next_attempt_at,
                a.delivered_at,
                a.failed_at,
                a.last_error,
                a.delivered_at is None and a.failed_at is None,
            )
            for a in latest.values()
        ]
        with self._transaction("record deliveries in") as db:
            db.execute(_RECORD_ATTEMPTS, _columns(rows))

    def report_rows(self, name: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
        """The rows of the report query ``name`` (``sql/report/``)."""
        return self._read(named_query(self.dialect, name), dict(params), doing="report on")

    def actions(self, ticket_id: str) -> list[Action]:
        """Every action of a ticket, oldest first."""
        rows = self._read(
            f"SELECT {_ACTION_COLUMNS} FROM outbox WHERE ticket_id = %s ORDER BY position",
            (ticket_id,),
        )
        return read_actions(rows, _utc)

    # --- rows that cannot be read -------------------------------------------------------

    def _claimed_tickets(self, rows: list[tuple[Any, ...]]) -> list[Ticket]:
        """The tickets of claimed rows; those that cannot be read are quarantined."""
        tickets, damaged = read_tickets(rows, _utc)
        if damaged:
            self._quarantine(damaged)
        return tickets

    def _claimed_actions(self, rows: list[tuple[Any, ...]]) -> list[Action]:
        """The actions of claimed rows; those that cannot be read are quarantined."""
        actions, damaged = split_actions(rows, _utc)
        if damaged:
            self._quarantine(damaged)
        return actions

    def _quarantine(self, damaged: Sequence[Damage]) -> None:
        """Take rows that cannot be read out of the work, marked with why, and say so."""
        tickets = [(d.ticket_id, d.reason) for d in damaged if d.key is None]
        actions = [(d.key, d.reason) for d in damaged if d.key is not None]
        with self._transaction("quarantine rows that cannot be read in") as db:
            if tickets:
                db.execute(
                    "UPDATE tickets AS t SET next_due = NULL, quarantine = u.why,"
                    " claimed_by = NULL, claimed_until = NULL"
                    f" FROM {_unnest([('id', _TEXT), ('why', _TEXT)])} WHERE t.id = u.id",
                    _columns(tickets),
                )
            if actions:
                db.execute(
                    "UPDATE outbox AS o SET pending = false, quarantine = u.why,"
                    " claimed_by = NULL, claimed_until = NULL"
                    f" FROM {_unnest([('key', _TEXT), ('why', _TEXT)])} WHERE o.key = u.key",
                    _columns(actions),
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
        where = action_statuses(statuses, pending="pending", held="NOT pending")
        args: list[object] = []
        if ticket_id is not None:
            where = f"({where}) AND ticket_id = %s"
            args.append(ticket_id)
        rows = self._read(
            f"SELECT {_ACTION_COLUMNS} FROM outbox WHERE {where} ORDER BY position LIMIT %s",
            [*args, max(0, limit)],
        )
        return read_actions(rows, _utc)

    def requeue(self, keys: Sequence[str], now: datetime) -> list[str]:
        """Queue failed or quarantined actions again, due at ``now``."""
        if not keys:
            return []
        rows = self._read(
            "UPDATE outbox SET attempts = 0, next_attempt = %s, next_attempt_at = NULL,"
            " failed_at = NULL, quarantine = NULL, pending = true, claimed_by = NULL,"
            " claimed_until = NULL WHERE key = ANY(%s) AND NOT pending AND delivered_at IS NULL"
            " AND discarded_at IS NULL AND (failed_at IS NOT NULL OR quarantine IS NOT NULL)"
            " RETURNING key",
            (now, list(keys)),
            doing="queue actions again in",
        )
        done = {str(r[0]) for r in rows}
        return [key for key in keys if key in done]

    def discard(self, key: str, *, actor: str, note: str | None, now: datetime) -> bool:
        """Set an undelivered action aside for good, unless a worker holds it."""
        rows = self._read(
            "UPDATE outbox SET discarded_at = %s, discarded_by = %s, discard_note = %s,"
            " pending = false WHERE key = %s AND delivered_at IS NULL AND discarded_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until <= now() OR NOT pending)"
            " RETURNING key",
            (now, actor, note, key),
            doing="discard an action in",
        )
        return bool(rows)

    def counts(self) -> StoreCounts:
        """Open tickets by flow and level, the outbox's backlog and failures."""
        tickets, outbox = counts_queries(pending="pending", held="NOT pending")
        rows = self._read(tickets, ())
        backlog, failed = self._read(outbox, ())[0]
        return StoreCounts(
            {(str(f), str(level)): int(n) for f, level, n in rows}, int(backlog), int(failed)
        )

    def flow_versions(self, flow_id: str) -> list[tuple[str, datetime | None]]:
        """The versions of a flow kept here, oldest first."""
        rows = self._read(
            "SELECT digest, saved_at FROM flow_versions WHERE flow_id = %s"
            " ORDER BY saved_at, digest",
            (flow_id,),
        )
        return [(str(digest), _utc(saved)) for digest, saved in rows]

    def ticket_page(self, query: TicketQuery) -> list[Ticket]:
        """A page of tickets passing the query's filters (see the admin protocol)."""
        sql, args = page_query(query, lambda at: at, mark="%s", by_id='id COLLATE "C"')
        tickets, damaged = read_tickets(self._read(sql, args), _utc)
        for damage in damaged:
            damage.say_left_out(self.url)
        return tickets

    def quarantined_tickets(self, limit: int) -> list[tuple[str, str]]:
        """Tickets a worker took off the schedule, by id."""
        rows = self._read(
            "SELECT id, quarantine FROM tickets WHERE quarantine IS NOT NULL ORDER BY id"
            ' COLLATE "C" LIMIT %s',
            (max(0, limit),),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    def release(self, ticket: Ticket) -> bool:
        """Put a quarantined ticket back on the schedule, if unchanged since read."""
        rows = self._read(
            "UPDATE tickets SET quarantine = NULL, next_due = %s"
            " WHERE id = %s AND version = %s AND quarantine IS NOT NULL RETURNING id",
            (ticket.next_due, ticket.id, ticket.version),
            doing="put a ticket back on the schedule in",
        )
        return bool(rows)


_INSERT_TICKET = (
    f"INSERT INTO tickets ({TICKET_COLUMNS}) VALUES ({', '.join(['%s'] * TICKET_WIDTH)})"
    " ON CONFLICT (id) DO NOTHING"
)


def _unnest(columns: Sequence[tuple[str, str]], *, numbered: bool = False) -> str:
    """``unnest`` of one array parameter per ``(name, type)`` column, as ``u``; with
    ``numbered``, each row's position in the arrays as ``u.n``.

    The arrays go in binary (``%b``): psycopg builds a text array element by element,
    quoting each, which cost the client six times as much for a batch of ticket rows.
    """
    arrays = ", ".join(f"%b::{kind}[]" for _, kind in columns)
    names = [name for name, _ in columns] + (["n"] if numbered else [])
    ordinality = " WITH ORDINALITY" if numbered else ""
    return f"unnest({arrays}){ordinality} AS u ({', '.join(names)})"


def _names(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(name for name, _ in columns)


_INSTANT, _TEXT, _INTEGER, _BOOLEAN = "timestamptz", "text", "integer", "boolean"
_TICKET_TYPES = {
    "version": _INTEGER,
    "repeats": _INTEGER,
    "acknowledged": _BOOLEAN,
    **dict.fromkeys(
        (
            "opened_at",
            "updated_at",
            "level_entered_at",
            "deadline",
            "warn_at",
            "next_due",
            "first_response_at",
            "first_response_due",
            "resolution_due",
            "resolved_at",
            "paused_at",
            "response_warn_at",
            "response_breach_at",
            "resolution_warn_at",
            "resolution_breach_at",
            "breached_at",
            "breach_due",
        ),
        _INSTANT,
    ),
}
_TICKET_COLUMNS = [
    (name, _TICKET_TYPES.get(name, _TEXT))
    for name in (c.strip() for c in TICKET_COLUMNS.split(","))
]
# Writing the row ends any claim on it: the claimer's work is done, or lost to this
# writer (its own write will then fail the version check).
_UPDATE_TICKETS = (
    "UPDATE tickets AS t SET "
    + ", ".join(f"{name} = u.{name}" for name, _ in _TICKET_COLUMNS[1:])
    + ", claimed_by = NULL, claimed_until = NULL"
    + f" FROM {_unnest([*_TICKET_COLUMNS, ('expected', _INTEGER)])}"
    + " WHERE t.id = u.id AND t.version = u.expected RETURNING t.id"
)
_EVENT_COLUMNS = [
    ("ticket_id", _TEXT),
    ("seq", _INTEGER),
    ("at", _INSTANT),
    ("kind", _TEXT),
    ("body", _TEXT),
    ("idempotency_key", _TEXT),
    ("key_last_seq", _INTEGER),
    ("key_first_seq", _INTEGER),
]
_INSERT_EVENTS = (
    f"INSERT INTO events ({_names(_EVENT_COLUMNS)}) SELECT * FROM {_unnest(_EVENT_COLUMNS)}"
)
_ACTION_INSERT_COLUMNS = [
    ("key", _TEXT),
    ("ticket_id", _TEXT),
    ("kind", _TEXT),
    ("target", _TEXT),
    ("payload", _TEXT),
    ("created_at", _INSTANT),
    ("next_attempt", _INSTANT),
]
# Inserted in the order given, so that ``position`` keeps the order the engine queued.
_INSERT_ACTIONS = (
    f"INSERT INTO outbox ({_names(_ACTION_INSERT_COLUMNS)})"
    f" SELECT {_names(_ACTION_INSERT_COLUMNS)}"
    f" FROM {_unnest(_ACTION_INSERT_COLUMNS, numbered=True)} ORDER BY n"
)
_ATTEMPT_COLUMNS = [
    ("key", _TEXT),
    ("attempts", _INTEGER),
    ("next_attempt", _INSTANT),
    ("next_attempt_at", _INSTANT),
    ("delivered_at", _INSTANT),
    ("failed_at", _INSTANT),
    ("last_error", _TEXT),
    ("pending", _BOOLEAN),
]
_RECORD_ATTEMPTS = (
    "UPDATE outbox AS o SET "
    + ", ".join(f"{name} = u.{name}" for name, _ in _ATTEMPT_COLUMNS[1:])
    + ", claimed_by = NULL, claimed_until = NULL"
    + f" FROM {_unnest(_ATTEMPT_COLUMNS)} WHERE o.key = u.key"
)


def _columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows as columns: the array parameters of an ``unnest``."""
    return [list(column) for column in zip(*rows, strict=True)]


def _rounds(writes: list[Write]) -> list[list[Write]]:
    """The writes in rounds: the first write of each ticket, then the second, ...

    An ``UPDATE … FROM`` changes a row once however many source rows match it, so a
    ticket written twice in a batch is written in two statements, in its writes' order
    (the second expects the version the first leaves).
    """
    rounds: list[list[Write]] = []
    seen: dict[str, int] = {}
    for write in writes:
        n = seen.get(write.ticket.id, 0)
        seen[write.ticket.id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(write)
    return rounds


def _repeated_event(exc: pg_errors.UniqueViolation) -> str:
    detail = exc.diag.message_detail or ""  # 'Key (idempotency_key)=(k-1) already exists.'
    value = detail.split("=(", 1)[1].rsplit(")", 1)[0] if "=(" in detail else "?"
    if exc.diag.constraint_name == "events_idempotency_key":
        return f"the idempotency key '{value}' was used already"
    return (
        f"an event repeats a sequence number already stored (ticket, seq = {value}):"
        " another writer appended first; read the ticket again and retry"
    )


def _usable(db: Connection) -> bool:
    """Whether a connection given back can serve another call (not broken, not closed)."""
    return not (db.broken or db.closed)


def _close(db: Connection) -> None:
    db.close()


def _utc(instant: datetime | None) -> datetime | None:
    """An instant the server returned (in the session's zone), in UTC."""
    return None if instant is None else instant.astimezone(UTC)


def _same(instant: datetime | None) -> datetime | None:
    return instant


def _qualified(columns: str, table: str = "outbox") -> str:
    return ", ".join(f"{table}.{c.strip()}" for c in columns.split(","))


def _aware(instant: datetime) -> datetime:
    """An event's instant as the server returned it, in UTC."""
    return instant.astimezone(UTC)
