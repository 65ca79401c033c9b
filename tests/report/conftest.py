"""Generated histories for the report tests: made once per session, on SQLite files."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escflow.compile import Matrix, load_matrix
from escflow.runtime import History, generate_history
from escflow.store import open_store
from tests.conftest import FLOWS
from tests.store.conftest import fresh_schema, server_dsn

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class Made:
    """A history the generator wrote into a SQLite file."""

    url: str
    history: History


@pytest.fixture(scope="session")
def matrix() -> Matrix:
    """The seed matrix of flows/."""
    return load_matrix(FLOWS)


def make(path: Path, matrix: Matrix, *, days: int, seed: int, per_day: float) -> Made:
    """Generate a history into a new SQLite file at ``path``."""
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        history = generate_history(
            matrix, store, start=START, days=days, seed=seed, per_day=per_day
        )
    return Made(url, history)


@pytest.fixture(scope="session")
def fortnight(tmp_path_factory: pytest.TempPathFactory, matrix: Matrix) -> Made:
    """Two weeks of tickets through every flow (some 500 tickets)."""
    return make(tmp_path_factory.mktemp("fortnight") / "h.db", matrix, days=14, seed=8, per_day=36)


@pytest.fixture
def pg_url(pg_dsn: str) -> Iterator[str]:
    """A URL of a fresh, empty schema on the PostgreSQL test server, dropped afterwards."""
    with fresh_schema(pg_dsn) as url:
        yield url


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The PostgreSQL server to test on (``$ESCFLOW_TEST_PG_DSN``)."""
    return server_dsn()
