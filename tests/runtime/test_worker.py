"""The worker's rounds in one process: where a stop ends a round, and a store that fails."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from escflow import Matrix
from escflow.errors import StoreError
from escflow.runtime import Action, Actions, Engine, Ticket
from escflow.runtime import _worker as worker_module
from escflow.runtime._worker import DELIVERY_CHUNK, Worker, retry_after
from escflow.store import MemoryStore
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import Inbox


def busy_engine(matrix: Matrix, clock: ManualClock, deliver: Inbox, tickets: int) -> Engine:
    """An engine whose tickets opened a day ago: every window has passed."""
    handlers = dict.fromkeys(matrix.handler_names, deliver)
    engine = Engine(
        matrix, MemoryStore(), clock=clock, actions=Actions(notify=deliver, handlers=handlers)
    )
    for n in range(tickets):
        engine.open("complaint", priority="medium", ticket_id=f"T-{n}")
    clock.advance(timedelta(days=1))
    return engine


def delivered(engine: Engine, tickets: int) -> set[str]:
    return {
        a.key for n in range(tickets) for a in engine.outbox(f"T-{n}") if a.delivered_at is not None
    }


class StopAfter(Inbox):
    """Sets ``stop`` once it has received ``count`` actions."""

    def __init__(self, stop: threading.Event, count: int) -> None:
        super().__init__()
        self.stop, self.count = stop, count

    def __call__(self, action: Action) -> None:
        super().__call__(action)
        if len(self.received) == self.count:
            self.stop.set()


def test_a_stop_during_delivery_ends_the_round_with_the_chunk_in_hand_recorded(
    matrix: Matrix, clock: ManualClock
) -> None:
    stop = threading.Event()
    inbox = StopAfter(stop, 3)
    engine = busy_engine(matrix, clock, inbox, 10)
    done = Worker(engine, batch=1000, stop=stop).run_once()
    assert done.tickets == 10
    assert done.delivered == len(inbox.received) == DELIVERY_CHUNK, "the chunk in hand"
    assert delivered(engine, 10) == {a.key for a in inbox.received}, "and recorded"


def test_a_stop_before_delivery_leaves_the_outbox_for_the_next_round(
    matrix: Matrix, clock: ManualClock
) -> None:
    stop = threading.Event()
    inbox = Inbox()
    engine = busy_engine(matrix, clock, inbox, 2)
    stop.set()  # as if it came while the escalations were committed
    done = Worker(engine, stop=stop).run_once()
    assert (done.tickets, done.delivered, inbox.received) == (2, 0, [])
    stop.clear()
    assert Worker(engine, stop=stop).run_once().delivered > 0


def test_a_round_without_a_stop_delivers_the_whole_batch_in_chunks(
    matrix: Matrix, clock: ManualClock
) -> None:
    inbox = Inbox()
    engine = busy_engine(matrix, clock, inbox, 10)
    done = Worker(engine, batch=DELIVERY_CHUNK + 7).run_once()
    assert done.delivered == DELIVERY_CHUNK + 7 == len(inbox.received)
    queued = {a.key for n in range(10) for a in engine.outbox(f"T-{n}")}
    assert delivered(engine, 10) == {a.key for a in inbox.received} != queued, "the rest waits"


class FailingStore(MemoryStore):
    """A store whose first ``failures`` reads of due tickets fail, as a locked file would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def due(self, now: datetime, limit: int) -> list[Ticket]:
        if self.failures:
            self.failures -= 1
            raise StoreError("cannot write to t.db: the database is locked by another program")
        return super().due(now, limit)


class Waits(threading.Event):
    """A stop event that keeps the waits asked of it instead of waiting; set after ``count``."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.asked: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.asked.append(timeout)
        if len(self.asked) == self.count:
            self.set()
        return self.is_set()


def test_a_store_error_is_told_and_retried_after_a_growing_pause(
    matrix: Matrix, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_module, "freeze_startup", lambda: None)  # not in a test run
    inbox = Inbox()
    store = FailingStore(failures=0)
    handlers = dict.fromkeys(matrix.handler_names, inbox)
    engine = Engine(matrix, store, clock=clock, actions=Actions(notify=inbox, handlers=handlers))
    engine.open("complaint", priority="medium", ticket_id="T-0")
    clock.advance(timedelta(days=1))
    store.failures = 3
    told: list[tuple[str, float]] = []
    stop = Waits(count=4)  # three pauses after errors, then one idle wait
    worker = Worker(engine, stop=stop, on_store_error=lambda e, s: told.append((str(e), s)))
    assert worker.run() == 1
    assert told == [
        ("cannot write to t.db: the database is locked by another program", wait)
        for wait in (1, 2, 4)
    ]
    assert stop.asked[:3] == [1, 2, 4]
    assert engine.get("T-0").level != "level-1" and inbox.received, "it carried on"


def test_the_pause_after_store_errors_doubles_up_to_a_minute() -> None:
    assert [retry_after(n) for n in (1, 2, 3, 6, 7, 8, 1000)] == [1, 2, 4, 32, 60, 60, 60]
