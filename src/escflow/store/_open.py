"""Choosing a store by URL: ``sqlite:///path`` (the default) or ``postgresql://...``."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from escflow.errors import StoreError
from escflow.store._protocol import Store
from escflow.store._redact import shown_url

if TYPE_CHECKING:
    from escflow.store._postgres import PostgresStore
    from escflow.store._sqlite import SQLiteStore

DEFAULT_URL = "sqlite:///escflow.db"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def store_url(url: str | None = None) -> str:
    """The URL to use: the one given, else ``$ESCFLOW_DB``, else a SQLite file here."""
    if url is not None and not url.strip():
        raise StoreError("the database URL is empty: give one, e.g. sqlite:///escflow.db")
    return url or os.environ.get("ESCFLOW_DB") or DEFAULT_URL


def open_store(
    url: str | None = None,
    *,
    upgrade: bool = True,
    create: bool = True,
    readonly: bool = False,
    lease: timedelta | None = None,
    pool: int | None = None,
) -> Store:
    """Open the store at ``url`` (see :func:`store_url`), creating or upgrading its schema.

    ``sqlite:///path/to/escflow.db`` opens a SQLite file; ``postgresql://user@host/db``
    (or ``postgres://``) a PostgreSQL database. With ``create=False``, a SQLite file that
    does not exist, or a database without escflow's schema, is refused and left as it
    was (for commands that only read or change tickets already stored: a mistyped URL
    must not make an empty store); an older schema is upgraded all the same. With
    ``readonly=True`` (which implies ``create=False``) nothing is written: a SQLite file
    opens with ``mode=ro`` (and ``immutable=1`` on read-only media), a PostgreSQL
    session's transactions are read-only; an older schema is upgraded only where it can
    be. Raises :class:`~escflow.errors.StoreError` for a URL escflow cannot use or a
    database it cannot reach. ``lease`` is how long a worker's claim keeps others away
    (default: a minute), ``pool`` how many connections the store's threads share at most.
    """
    chosen = store_url(url)
    tuning: dict[str, Any] = {}
    if lease is not None:
        tuning["lease"] = lease
    if pool is not None:
        tuning["pool"] = pool
    if chosen.startswith(_POSTGRES_SCHEMES):
        return _postgres(chosen, upgrade=upgrade, create=create, readonly=readonly, **tuning)
    from escflow.store._sqlite import SQLiteStore

    return SQLiteStore(
        _sqlite_path(chosen), upgrade=upgrade, create=create, readonly=readonly, **tuning
    )


def upgrade_store(url: str | None = None) -> tuple[int, int, list[str]]:
    """Create the schema or apply the migrations a database lacks.

    Returns the version before, the version after and the migrations applied. A database
    from a newer escflow is refused unchanged.
    """
    chosen = store_url(url)
    if chosen.startswith(_POSTGRES_SCHEMES):
        store: PostgresStore | SQLiteStore = _postgres(chosen, check=False)
    else:
        from escflow.store._sqlite import SQLiteStore

        store = SQLiteStore(_sqlite_path(chosen), check=False)
    try:
        before = store.schema_version()
        store.check_not_newer()
        applied = store.upgrade()
        return before, store.schema_version(), applied
    finally:
        store.close()


def _postgres(
    url: str,
    *,
    upgrade: bool = True,
    check: bool = True,
    create: bool = True,
    readonly: bool = False,
    **tuning: Any,
) -> PostgresStore:
    try:
        from escflow.store._postgres import PostgresStore
    except ImportError as exc:  # psycopg is an optional dependency
        raise StoreError(
            f"PostgreSQL stores need psycopg ({exc}): pip install 'escflow[postgres]'"
        ) from None
    return PostgresStore(
        url, upgrade=upgrade, check=check, create=create, readonly=readonly, **tuning
    )


def _sqlite_path(chosen: str) -> str:
    if chosen.startswith("sqlite:///"):
        path = chosen[len("sqlite:///") :]
        if not path:
            raise StoreError(f"'{chosen}' names no file: write sqlite:///path/to/escflow.db")
        if path == ":memory:":
            raise StoreError(
                f"'{chosen}' would keep the tickets in memory and lose them when the program"
                " ends: give a file (sqlite:///path/to/escflow.db), or, in Python, MemoryStore()"
            )
        if "?" in path or "#" in path:
            raise StoreError(
                f"'{chosen}': escflow's SQLite URLs take a file path only, no '?' query or"
                " '#' part (escflow sets the database's options itself)"
            )
        return path
    shown = shown_url(chosen)  # never echo a password
    if "://" not in chosen and "=" in chosen:
        raise StoreError(
            f"'{shown}' is a libpq key=value string; escflow takes the database as a URL:"
            " postgresql://user@host:5432/database (a password in the URL, or in"
            " ~/.pgpass or $PGPASSWORD)"
        )
    scheme = shown.split(":", 1)[0] if ":" in shown else shown
    raise StoreError(
        f"'{shown}' is not a database URL escflow can open (scheme '{scheme}'): use"
        " sqlite:///path/to/escflow.db or postgresql://user@host:5432/database"
    )
