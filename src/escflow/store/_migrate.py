"""Numbered schema migrations kept as ``.sql`` files, one folder per SQL dialect."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources

from escflow.errors import StoreError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations(dialect: str) -> list[tuple[int, str, str]]:
    """``(number, file name, SQL)`` of every migration of ``dialect``, in order."""
    folder = resources.files("escflow.store") / "sql" / dialect
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"{dialect} migrations are not numbered 1..N: {numbers}")
    return found


def latest(dialect: str) -> int:
    """The schema version this escflow creates and understands."""
    return len(migrations(dialect))


def refuse_newer(where: str, current: int, dialect: str) -> None:
    """Refuse, untouched, a database whose schema a newer escflow made."""
    known = latest(dialect)
    if current > known:
        raise StoreError(
            f"{where} has schema version {current}, made by a newer escflow; this one"
            f" knows versions up to {known}: upgrade escflow (nothing was changed)"
        )


def refuse_foreign(where: str, tables: list[str], place: str) -> None:
    """Refuse, untouched, a database without escflow's schema that holds tables of its
    own: a mistyped URL must not turn another program's database into a ticket store.

    ``tables`` are all the tables there, read at once: escflow's version table is made in
    the transaction that makes its first tables, so a migration under way is never taken
    for another program.
    """
    if tables and "escflow_schema" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(
            f"{where} holds tables escflow did not make ({shown}): it is another program's"
            f" database, or the URL is mistyped; escflow keeps its tickets in {place} of its"
            " own (nothing was changed)"
        )


def no_database(where: str, url: str) -> StoreError:
    """The refusal of a command that only works on tickets already stored, where there is
    no escflow database: most likely a mistyped ``--db``, which must not leave an empty
    database behind and report success."""
    return StoreError(
        f"no escflow database at {where}; check --db (or $ESCFLOW_DB), or create one with"
        f" 'escflow db upgrade --db {url}' or 'escflow ticket open' (nothing was created)"
    )


def ensure_current(
    where: str,
    url: str,
    current: int,
    dialect: str,
    upgrade: Callable[[], object] | None,
    *,
    create: bool = True,
) -> None:
    """The one schema policy of every store: newer refused, older upgraded (or refused
    with the command that upgrades it, when ``upgrade`` is None), none at all created
    (or refused, unless ``create``)."""
    refuse_newer(where, current, dialect)
    if current == 0 and not create:
        raise no_database(where, url)
    if current < latest(dialect):
        if upgrade is None:
            raise StoreError(
                f"{where} has schema version {current}; run 'escflow db upgrade --db {url}'"
            )
        upgrade()
