"""Named read-only queries kept as ``.sql`` files: the report's aggregates over the events.

A query is ``sql/report/NAME.sql``, shared by the dialects; a line ``-- @include PART``
in it stands for ``sql/report/DIALECT/PART.sql`` when the dialect has one (what differs:
reading JSON, instants), else for the shared ``sql/report/PART.sql``. Parameters are
written ``:name`` and given by name; PostgreSQL's are rewritten ``%(name)s`` for psycopg.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from escflow.errors import UnknownName

_INCLUDE = re.compile(r"^-- @include ([a-z_]+)$", re.MULTILINE)
_PARAMETER = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def _text(dialect: str, name: str) -> str:
    folder = resources.files("escflow.store") / "sql" / "report"
    for entry in (folder / dialect / f"{name}.sql", folder / f"{name}.sql"):
        if entry.is_file():
            return entry.read_text(encoding="utf-8")
    known = sorted(p.name.removesuffix(".sql") for p in folder.iterdir() if p.name.endswith(".sql"))
    raise UnknownName(f"no report query '{name}' (queries: {', '.join(known)})")


@lru_cache(maxsize=64)
def named_query(dialect: str, name: str) -> str:
    """The SQL of query ``name`` for ``dialect`` (``sqlite`` or ``postgres``), its
    includes in place and its parameters in the dialect's style."""
    sql = _text(dialect, name)
    for _ in range(8):  # includes nest a few deep (facts includes stays includes events)
        expanded = _INCLUDE.sub(lambda m: _text(dialect, m[1]).strip(), sql)
        if expanded == sql:
            break
        sql = expanded
    if dialect != "postgres":
        return sql
    return _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))  # psycopg's % is its own
