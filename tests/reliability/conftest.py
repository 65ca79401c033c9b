"""The reliability tests run against both durable stores: a SQLite file and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.conftest import fresh_schema, server_dsn


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL: a new SQLite file, or a fresh schema on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'escflow.db'}"
    else:
        with fresh_schema(server_dsn()) as dsn:
            yield dsn
