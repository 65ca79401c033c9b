"""Choosing a store by URL: ``sqlite:///path`` (the default) or ``postgresql://...``."""

from __future__ import annotations

import os

from escflow.errors import StoreError
from escflow.store._protocol import Store

DEFAULT_URL = "sqlite:///escflow.db"


def store_url(url: str | None = None) -> str:
    """The URL to use: the one given, else ``$ESCFLOW_DB``, else a SQLite file here."""
    return url or os.environ.get("ESCFLOW_DB") or DEFAULT_URL


def open_store(url: str | None = None, *, upgrade: bool = True) -> Store:
    """Open the store at ``url`` (see :func:`store_url`), creating or upgrading its schema.

    Raises :class:`~escflow.errors.StoreError` for a URL escflow cannot use.
    """
    from escflow.store._sqlite import SQLiteStore

    return SQLiteStore(_sqlite_path(store_url(url)), upgrade=upgrade)


def upgrade_store(url: str | None = None) -> tuple[int, int, list[str]]:
    """Create the schema or apply the migrations a database lacks.

    Returns the version before, the version after and the migrations applied. A database
    from a newer escflow is refused unchanged.
    """
    from escflow.store._sqlite import SQLiteStore

    store = SQLiteStore(_sqlite_path(store_url(url)), check=False)
    try:
        before = store.schema_version()
        store.check_not_newer()
        applied = store.upgrade()
        return before, store.schema_version(), applied
    finally:
        store.close()


def _sqlite_path(chosen: str) -> str:
    if chosen.startswith("sqlite:///"):
        path = chosen[len("sqlite:///") :]
        if not path:
            raise StoreError(f"'{chosen}' names no file: write sqlite:///path/to/escflow.db")
        return path
    scheme = chosen.split(":", 1)[0] if ":" in chosen else chosen
    raise StoreError(
        f"'{chosen}' is not a database URL escflow can open (scheme '{scheme}'): use"
        " sqlite:///path/to/escflow.db"
    )
