"""Engines over the shipped flows, a manual clock, a deliverer that keeps what it gets,
and a local HTTP server that webhooks reach."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from escflow import Matrix, load_matrix
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.store import MemoryStore, Store
from escflow.store._sqlite import SQLiteStore
from escflow.timing._clock import ManualClock
from tests.conftest import FLOWS
from tests.store.conftest import postgres_store, server_dsn

MONDAY_9_UTC = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris


class Inbox:
    """A deliverer that keeps every action it is given, as a service's would."""

    def __init__(self) -> None:
        self.received: list[Action] = []

    def __call__(self, action: Action) -> None:
        self.received.append(action)

    def kinds(self) -> list[str]:
        return [a.kind for a in self.received]


@pytest.fixture(scope="session")
def matrix() -> Matrix:
    return load_matrix(FLOWS)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_9_UTC)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


MakeEngine = Callable[..., Engine]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each engine test runs on the in-memory store, a real SQLite file and PostgreSQL."""
    if request.param == "postgres":
        server_dsn()  # skips (fails under CI) here when no server is configured
    return str(request.param)


@pytest.fixture
def make_engine(
    matrix: Matrix,
    clock: ManualClock,
    inbox: Inbox,
    store_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> MakeEngine:
    made: list[int] = []

    def make(definitions: Matrix | None = None, **handlers: Callable[[Action], None]) -> Engine:
        found = definitions or matrix
        named: dict[str, Callable[[Action], None]] = dict.fromkeys(found.handler_names, inbox)
        named.update(handlers)
        made.append(1)
        store: Store = (
            MemoryStore()
            if store_kind == "memory"
            else postgres_store(request)
            if store_kind == "postgres"
            else SQLiteStore(tmp_path / f"escflow-{len(made)}.db")
        )
        return Engine(
            found,
            store,
            clock=clock,
            actions=Actions(notify=inbox, webhook=inbox, handlers=named),
        )

    return make


@pytest.fixture
def engine(make_engine: MakeEngine) -> Engine:
    return make_engine()


class Receiver:
    """A local HTTP server: each path answers as told (status, headers, body) and every
    request it gets is kept (method, path, headers, body)."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.got: list[tuple[str, str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.got.append((self.command, self.path, dict(self.headers), body))
                status, headers, text = receiver.answers.get(self.path, (404, {}, b"no such"))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(text)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(text)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, status: int, body: bytes = b"", **headers: str) -> str:
        self.answers[path] = (status, {k.replace("_", "-"): v for k, v in headers.items()}, body)
        return f"{self.url}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()
