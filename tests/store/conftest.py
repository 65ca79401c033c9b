"""PostgreSQL for the tests: the server named by ``$ESCFLOW_TEST_PG_DSN``, a fresh schema
per store.

Without the variable the PostgreSQL tests skip, except under CI (``CI=true``), where a
skip would hide that the PostgreSQL store went untested: there they fail. A variable that
names a server which does not answer fails too.

Each store gets its own schema (``search_path`` set in the URL), dropped afterwards:
much faster than a database per test, and just as isolated, since every escflow table,
index and function lives in the first schema of the search path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from escflow.store._postgres import PostgresStore

# The ticket columns schema 8 added: the SLA's timers.
SLA_COLUMNS = (
    "response_warn_at",
    "response_breach_at",
    "resolution_warn_at",
    "resolution_breach_at",
    "breached_at",
    "breach_due",
)
DSN_VARIABLE = "ESCFLOW_TEST_PG_DSN"
EXAMPLE = "postgresql://postgres@127.0.0.1:5432/test"
_checked: dict[str, str] = {}  # DSN -> why it cannot be used ('' when it can)


def server_dsn() -> str:
    """The test server's DSN; skips the test (fails it under CI) when there is none."""
    dsn = os.environ.get(DSN_VARIABLE, "").strip()
    if not dsn:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                f"{DSN_VARIABLE} is not set: CI must run the PostgreSQL tests (.ci/run sets"
                f" it, e.g. {EXAMPLE})",
                pytrace=False,
            )
        pytest.skip(f"PostgreSQL tests need {DSN_VARIABLE}, e.g. {EXAMPLE}")
    if dsn not in _checked:  # once per session: a dead server costs one timeout, not many
        try:
            psycopg.connect(dsn, connect_timeout=5).close()
            _checked[dsn] = ""
        except psycopg.Error as exc:
            _checked[dsn] = str(exc).strip().splitlines()[0]
    if _checked[dsn]:
        pytest.fail(f"{DSN_VARIABLE} names a server escflow cannot use: {_checked[dsn]}")
    return dsn


def in_schema(dsn: str, schema: str) -> str:
    """``dsn`` with ``search_path`` set to ``schema`` (still a URL when given one)."""
    option = f"-c search_path={schema}"
    if "://" not in dsn:
        return psycopg.conninfo.make_conninfo(dsn, options=option)
    # libpq decodes %XX in URL parameters but not '+': quote everything.
    joiner = "&" if "?" in dsn else "?"
    return f"{dsn}{joiner}options={quote(option, safe='')}"


@contextmanager
def fresh_schema(dsn: str) -> Iterator[str]:
    """A new, empty schema on the server: yields a DSN that uses it; dropped afterwards."""
    name = f"escflow_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield in_schema(dsn, name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            # A test that leaked a connection holding locks fails here, instead of hanging.
            admin.execute("SET lock_timeout = '10s'")
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def postgres_store(request: pytest.FixtureRequest) -> PostgresStore:
    """A PostgresStore in a fresh schema, closed and dropped when the test ends."""
    cleanup = ExitStack()
    request.addfinalizer(cleanup.close)
    store = PostgresStore(cleanup.enter_context(fresh_schema(server_dsn())))
    cleanup.callback(store.close)  # runs first: the schema is dropped once nothing uses it
    return store


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The PostgreSQL server to test on (``$ESCFLOW_TEST_PG_DSN``)."""
    return server_dsn()


@pytest.fixture
def pg_url(pg_dsn: str) -> Iterator[str]:
    """A URL of a fresh, empty schema on the test server, dropped after the test."""
    with fresh_schema(pg_dsn) as url:
        yield url


@contextmanager
def read_only(path: Path) -> Iterator[bool]:
    """The SQLite file at ``path`` made read-only to this process for the block: its mode
    0444, or, for root (whom modes do not stop), its immutable flag. Yields False, the file
    left as it was, when neither can be had (root on a file system without the flag): a
    store's connection can then be made read-only instead (``PRAGMA query_only``)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield True
        finally:
            path.chmod(0o644)
        return
    done = (
        subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if shutil.which("chattr")
        else None
    )
    if done is None or done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:  # an immutable file cannot be deleted: pytest's clean-up would fail on it
        subprocess.run(["chattr", "-i", str(path)], check=True)


def claim_together(script: str, *args: str, processes: int = 4) -> list[Any]:
    """What each of ``processes`` copies of ``script`` (run with ``args``) printed as JSON,
    told to begin at one moment: each says 'ready' once connected, then all are told 'go'."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return [json.loads(proc.communicate(timeout=60)[0]) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
