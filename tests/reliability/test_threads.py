"""One Engine shared by eight threads, on a SQLite file and on PostgreSQL: every call is
applied exactly once, every ticket equals the replay of its events and the history a
single thread computes, and every action is delivered exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from escflow import ConflictError, Matrix, load_matrix
from escflow.records import Action, Change, replay
from escflow.runtime import Actions, Engine
from escflow.store import MemoryStore, Store, open_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday, 09:00 in Paris
NOW = T0 + timedelta(hours=2)  # every ticket's first two windows have ended by then
THREADS, EACH = 8, 15


def make_engine(matrix: Matrix, store: Store, deliver: list[Action]) -> Engine:
    handlers = dict.fromkeys(matrix.handler_names, deliver.append)
    actions = Actions(notify=deliver.append, handlers=handlers)
    return Engine(matrix, store, clock=ManualClock(NOW), actions=actions)


def ids(thread: int) -> list[str]:
    return [f"T-{thread}-{n:02}" for n in range(EACH)]


def seed(engine: Engine) -> None:
    for thread in range(THREADS):
        for n, ticket_id in enumerate(ids(thread)):
            engine.open(
                "complaint", priority="medium", ticket_id=ticket_id, at=T0 + timedelta(seconds=n)
            )


def calls(engine: Engine, ticket_id: str) -> None:
    """What a thread does to one of its tickets, each call with its own key: a caller that
    is told to try again (too many races lost) tries again with the same key."""
    made: dict[str, Callable[[str], Change]] = {
        "ack": lambda key: engine.acknowledge(ticket_id, actor="agent", key=key),
        "note": lambda key: engine.attach(ticket_id, "note", "called", key=key),
        "fire": lambda key: engine.fire(ticket_id, "bad-review", actor="agent", key=key),
    }
    for name, call in made.items():
        while True:
            try:
                call(f"{ticket_id}:{name}")
                break
            except ConflictError:
                continue


def test_eight_threads_fire_tick_and_deliver_on_one_engine(url: str) -> None:
    matrix = load_matrix(FLOWS)
    delivered: list[Action] = []
    seed(make_engine(matrix, open_store(url), []))
    engine = make_engine(matrix, open_store(url), delivered)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        try:
            start.wait()
            for ticket_id in ids(thread):
                engine.tick(limit=3)  # moves other threads' tickets: races with their calls
                calls(engine, ticket_id)
                engine.deliver(limit=7)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert errors == []
    while engine.deliver(limit=100):
        pass

    # The same calls, one after the other, on one thread.
    reference = make_engine(matrix, MemoryStore(), [])
    seed(reference)
    for thread in range(THREADS):
        for ticket_id in ids(thread):
            calls(reference, ticket_id)
    store = engine.store
    queued: list[str] = []
    for thread in range(THREADS):
        for ticket_id in ids(thread):
            history = store.history(ticket_id)
            assert [e.seq for e in history] == list(range(1, len(history) + 1))
            assert store.get(ticket_id) == replay(history), ticket_id
            keyed = Counter(e.key for e in history if e.key is not None)
            assert keyed == {f"{ticket_id}:{name}": 1 for name in ("ack", "note", "fire")}
            assert [(e.kind, e.at, e.to_step, e.trigger, e.key) for e in history] == [
                (e.kind, e.at, e.to_step, e.trigger, e.key) for e in reference.history(ticket_id)
            ], ticket_id
            queued += [a.key for a in store.actions(ticket_id)]
            assert all(a.status == "delivered" for a in store.actions(ticket_id))
    sent = Counter(a.key for a in delivered)
    assert sorted(sent) == sorted(queued), "each exactly once"
    assert set(sent.values()) == {1}, "each exactly once"
