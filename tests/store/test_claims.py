"""Claims on the outbox, the same on the in-memory, SQLite and PostgreSQL stores: a live
claim keeps every other claim away (this store's other threads too), a renewal keeps it
alive past its lease, a release or a recorded attempt ends it, and a claim taken over
from a store whose lease ran out is said."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from escflow.records import Action
from escflow.store import MemoryStore, Store
from escflow.store._postgres import PostgresStore
from escflow.store._sqlite import SQLiteStore
from tests.store.conftest import fresh_schema, server_dsn
from tests.store.test_contract import T0, create

LEASE = timedelta(milliseconds=300)
Stores = Callable[[], Store]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Makes stores on one database (each a worker of its own), with a short lease."""
    made: list[Store] = []
    if request.param == "memory":
        shared = MemoryStore(lease=LEASE)
        yield lambda: shared  # one process: its threads share the one store
        return
    if request.param == "sqlite":

        def sqlite() -> Store:
            made.append(SQLiteStore(tmp_path / "claims.db", lease=LEASE))
            return made[-1]

        yield sqlite
    else:
        with fresh_schema(server_dsn()) as dsn:

            def postgres() -> Store:
                made.append(PostgresStore(dsn, lease=LEASE))
                return made[-1]

            yield postgres
            for store in made:
                store.close()
            return
    for store in made:
        store.close()


def queue(store: Store, count: int) -> list[str]:
    actions = tuple(
        Action(f"T-1:1:{n}", "T-1", "notify", "lead", {"n": n}, T0) for n in range(count)
    )
    create(store, "T-1", actions=actions)
    return [a.key for a in actions]


def keys(actions: list[Action]) -> list[str]:
    return [a.key for a in actions]


def test_a_live_claim_keeps_every_other_claim_away_until_released(stores: Stores) -> None:
    store = stores()
    queued = queue(store, 4)
    mine = store.pending_actions(T0, 2)
    assert keys(mine) == queued[:2]
    assert keys(store.pending_actions(T0, 10)) == queued[2:], "not its own claims again"
    assert store.pending_actions(T0, 10) == []
    store.release_claims(queued[1:2])
    assert keys(stores().pending_actions(T0, 10)) == queued[1:2], "given back: at once"
    store.record_attempts([replace(mine[0], attempts=1, delivered_at=T0)])
    assert store.renew_claims(queued[:1]) == [], "recorded: no longer held"


def test_a_renewed_claim_outlives_its_lease_and_one_not_renewed_does_not(stores: Stores) -> None:
    store, other = stores(), stores()
    queued = queue(store, 2)
    assert keys(store.pending_actions(T0, 2)) == queued
    for _ in range(4):  # 0.4 s in all: beyond the lease, but renewed every 0.1 s
        time.sleep(0.1)
        assert store.renew_claims(queued[:1]) == queued[:1]
    assert keys(other.pending_actions(T0, 10)) == queued[1:], "only the one not renewed"


def test_a_claim_taken_over_is_said(stores: Stores, caplog: pytest.LogCaptureFixture) -> None:
    store = stores()
    if isinstance(store, MemoryStore):
        pytest.skip("one process, one store: there is no other claimer to take over from")
    queued = queue(store, 3)
    assert keys(store.pending_actions(T0, 3)) == queued
    time.sleep(LEASE.total_seconds() + 0.1)  # its worker stalled, or died
    other = stores()
    with caplog.at_level(logging.WARNING, logger="escflow.store"):
        assert keys(other.pending_actions(T0, 10)) == queued
    [said] = [r.getMessage() for r in caplog.records]
    assert said.endswith(
        f"took over 3 actions whose lease from {store.claimer} had run out (its worker"  # type: ignore[attr-defined]
        f" stopped or stalled): {', '.join(queued)}"
    )
    assert other.renew_claims(queued) == queued
    assert store.renew_claims(queued) == [], "the first store no longer holds them"
