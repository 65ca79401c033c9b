"""A real server for the API tests: uvicorn on 127.0.0.1 on a free port, on a thread of the
test process (so that the engine's clock is a ManualClock the test moves), over a real
SQLite file or a fresh PostgreSQL schema; httpx as the client."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from escflow.http import Service, Tokens, bind, create_app, serving
from escflow.runtime import Actions
from escflow.store import open_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS
from tests.store.conftest import fresh_schema, server_dsn

MONDAY_9_UTC = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris, inside the rota


@dataclass
class Api:
    """A running server: its client (``base_url`` set), clock, service, address, app."""

    client: httpx.Client
    clock: ManualClock
    service: Service
    url: str
    app: FastAPI


def logged_actions() -> Actions:
    """Deliverers that write to nowhere: the flows' handlers are provided (logged)."""
    return Actions.log(io.StringIO())


@contextmanager
def running(
    db: str,
    *,
    flows: list[Path] | None = None,
    tokens: Tokens | None = None,
    start: datetime = MONDAY_9_UTC,
) -> Iterator[Api]:
    """A server on ``db`` (a store URL) over ``flows`` for the block."""
    clock = ManualClock(start)
    store = open_store(db)
    service = Service(store, flows or [FLOWS], clock=clock, make_actions=logged_actions)
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with ExitStack() as stack:
        stack.callback(service.stop)
        stack.callback(sock.close)
        app = create_app(service, tokens)
        stack.enter_context(serving(app, sock))
        client = stack.enter_context(httpx.Client(base_url=url, timeout=30))
        assert client.get("/healthz").status_code == 200
        yield Api(client, clock, service, url, app)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL: a new SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'escflow.db'}"
        return
    with fresh_schema(server_dsn()) as url:
        yield url


@pytest.fixture
def api(db: str) -> Iterator[Api]:
    """A server without tokens (loopback), on each store."""
    with running(db) as served:
        yield served


@pytest.fixture
def sqlite_api(tmp_path: Path) -> Iterator[Api]:
    """A server without tokens on a SQLite file only (for tests about the HTTP layer)."""
    with running(f"sqlite:///{tmp_path / 'escflow.db'}") as served:
        yield served
