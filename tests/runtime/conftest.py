"""Engines over the shipped flows, a manual clock, and a deliverer that keeps what it gets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
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
