"""The worker in one process: its timer thread and its senders, where a stop ends the work,
leases renewed under slow deliveries, a store that fails, and how failures are said."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from escflow import Matrix
from escflow.errors import RuntimeFlowError, StoreError
from escflow.records import Action, Ticket
from escflow.runtime import Actions, Engine, Worker
from escflow.runtime._delivery import retry_after
from escflow.runtime._throttle import Throttle
from escflow.store import MemoryStore, Store
from escflow.store._sqlite import SQLiteStore
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import Inbox


def busy_engine(
    matrix: Matrix,
    clock: ManualClock,
    deliver: Inbox,
    tickets: int,
    store: Store | None = None,
) -> Engine:
    """An engine whose tickets opened a day ago: every window has passed."""
    handlers = dict.fromkeys(matrix.handler_names, deliver)
    engine = Engine(
        matrix,
        store if store is not None else MemoryStore(),
        clock=clock,
        actions=Actions(notify=deliver, handlers=handlers),
    )
    for n in range(tickets):
        engine.open("complaint", priority="medium", ticket_id=f"T-{n}")
    clock.advance(timedelta(days=1))
    return engine


def delivered(engine: Engine, tickets: int) -> set[str]:
    return {
        a.key for n in range(tickets) for a in engine.outbox(f"T-{n}") if a.delivered_at is not None
    }


def queued(engine: Engine, tickets: int) -> set[str]:
    return {a.key for n in range(tickets) for a in engine.outbox(f"T-{n}")}


class StopAfter(Inbox):
    """Sets ``stop`` once it has received ``count`` actions."""

    def __init__(self, stop: threading.Event, count: int) -> None:
        super().__init__()
        self.stop, self.count = stop, count

    def __call__(self, action: Action) -> None:
        super().__call__(action)
        if len(self.received) == self.count:
            self.stop.set()


def test_a_stop_during_delivery_records_what_was_sent_and_gives_back_the_rest(
    matrix: Matrix, clock: ManualClock
) -> None:
    stop = threading.Event()
    inbox = StopAfter(stop, 3)
    engine = busy_engine(matrix, clock, inbox, 10)
    done = Worker(engine, batch=1000, concurrency=1, stop=stop).run_once()
    assert done.tickets == 10
    assert done.delivered == len(inbox.received) == 3, "what was sent, and no more"
    assert delivered(engine, 10) == {a.key for a in inbox.received}, "and recorded"
    # What it claimed and did not send is free at once, not after a lease.
    rest = engine.store.pending_actions(clock.now(), 10_000)
    assert {a.key for a in rest} == queued(engine, 10) - delivered(engine, 10)


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


def test_a_round_delivers_up_to_its_batch(matrix: Matrix, clock: ManualClock) -> None:
    inbox = Inbox()
    engine = busy_engine(matrix, clock, inbox, 10)
    done = Worker(engine, batch=57).run_once()
    assert done.delivered == 57 == len(inbox.received)
    assert Counter(a.key for a in inbox.received).most_common(1)[0][1] == 1, "each once"
    assert delivered(engine, 10) == {a.key for a in inbox.received} != queued(engine, 10)


class Slow(Inbox):
    """A deliverer that takes ``seconds`` per action, counting how many run at once."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.running = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, action: Action) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        super().__call__(action)


def test_deliveries_run_concurrency_at_a_time(matrix: Matrix, clock: ManualClock) -> None:
    slow = Slow(0.2)
    engine = busy_engine(matrix, clock, slow, 1)
    engine.tick()
    count = len(queued(engine, 1))
    began = time.monotonic()
    done = Worker(engine, batch=1000, concurrency=8).run_once()
    took = time.monotonic() - began
    assert done.delivered == count == len(slow.received)
    assert slow.most == 8
    # One after the other they take count x 0.2 s; eight at a time, an eighth of that.
    assert took < count * 0.2 / 8 + 1.5, (count, took)


def test_two_workers_with_short_leases_never_send_an_action_twice(
    matrix: Matrix, clock: ManualClock
) -> None:
    """Deliveries that take longer than the lease: each worker renews the leases of what it
    holds, so the other never takes it over while it is being sent."""
    slow = Slow(0.4)
    store = MemoryStore(lease=timedelta(seconds=0.3))
    engine = busy_engine(matrix, clock, slow, 1, store)
    engine.tick()
    count = len(queued(engine, 1))
    stop = threading.Event()
    engines = [
        Engine(
            matrix,
            store,
            clock=clock,
            actions=Actions(notify=slow, handlers=dict.fromkeys(matrix.handler_names, slow)),
        )
        for _ in range(2)
    ]
    workers = [Worker(e, concurrency=2, poll=timedelta(seconds=0.1), stop=stop) for e in engines]
    threads = [threading.Thread(target=w.run) for w in workers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(slow.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # a lease that ran out would have let the other worker send it again
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    sent = Counter(a.key for a in slow.received)
    assert len(sent) == count, sent.most_common(3)
    assert set(sent.values()) == {1}, sent.most_common(3)
    assert sum(w.totals.delivered for w in workers) == count


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


def test_a_store_error_is_told_and_retried_after_a_growing_pause(
    matrix: Matrix, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox()
    store = FailingStore(failures=0)
    engine = busy_engine(matrix, clock, inbox, 1, store)
    store.failures = 2
    told: list[tuple[str, float]] = []
    worker = Worker(engine, on_store_error=lambda e, s: told.append((str(e), s)))
    thread = threading.Thread(target=worker.run)
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="escflow.worker"):
        thread.start()
        # Until the ticket moved and its actions were delivered (the round after the move).
        while (
            engine.get("T-0").level == "level-1" or not inbox.received
        ) and time.monotonic() - began < 30:
            time.sleep(0.05)
        took = time.monotonic() - began
        worker.stop.set()
        thread.join(timeout=30)
    assert told == [
        ("cannot write to t.db: the database is locked by another program", wait) for wait in (1, 2)
    ]
    assert 3 <= took < 6, "1 s, then 2 s, then it worked"
    assert [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()] == [
        "cannot write to t.db: the database is locked by another program; trying again in 1s",
        "cannot write to t.db: the database is locked by another program; trying again in 2s",
    ]
    assert inbox.received, "it carried on"


def test_the_pause_after_store_errors_doubles_up_to_a_minute() -> None:
    assert [retry_after(n) for n in (1, 2, 3, 6, 7, 8, 1000)] == [1, 2, 4, 32, 60, 60, 60]


def test_failed_deliveries_are_said_the_first_at_once_then_a_line_a_minute(
    matrix: Matrix, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    def down(action: Action) -> None:
        raise ConnectionError("the mail server did not answer")

    engine = busy_engine(matrix, clock, Inbox(), 3)
    engine.actions = Actions(notify=down, handlers=dict.fromkeys(matrix.handler_names, down))
    with caplog.at_level(logging.DEBUG, logger="escflow.worker"):
        done = Worker(engine, batch=1000).run_once()
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    kinds = {(a.kind, a.target) for n in range(3) for a in engine.outbox(f"T-{n}")}
    first = [r for r in said if r.getMessage().startswith("cannot deliver")]
    assert len(first) == len(kinds), "one line for each kind of failure, at once"
    assert all(
        "ConnectionError: the mail server did not answer; trying again at" in r.getMessage()
        and "attempt 1 of 8" in r.getMessage()
        for r in first
    )
    # The rest of each kind is counted, and said at the end (the worker stopped).
    more = [r for r in said if " more deliveries of " in r.getMessage()]
    counted = sum(r.__dict__["repeated"] for r in more)
    assert counted + len(first) == done.retried == len(queued(engine, 3))
    assert said[-1].getMessage().endswith(f"(delivered 0, retried {done.retried}, failed 0 so far)")


def test_a_throttle_says_the_first_of_a_kind_and_counts_the_rest_a_minute_at_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    throttle = Throttle(logging.getLogger("escflow.test"), monotonic=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="escflow.test"):
        for second in range(0, 130, 10):  # one failure every 10 s for two minutes
            now[0] = float(second)
            throttle.flush()
            throttle.say("down", f"down at {second}", summary="failures of the same")
        now[0] = 250.0
        throttle.flush()
        now[0] = 310.0
        throttle.flush()  # a minute without any: the next one is said at once again
        throttle.say("down", "down at 310", summary="failures of the same")
    assert [r.getMessage() for r in caplog.records] == [
        "down at 0",
        "5 more failures of the same in the last 60 s",  # 10, 20, ... 50
        "6 more failures of the same in the last 60 s",  # 60 (said at 60, before it) ... 110
        "1 more failures of the same in the last 130 s",  # 120
        "down at 310",
    ]


def test_a_worker_refuses_settings_it_cannot_run_with(matrix: Matrix) -> None:
    engine = Engine(
        matrix, actions=Actions(notify=print, handlers=dict.fromkeys(matrix.handler_names, print))
    )
    for settings, said in (
        ({"batch": 1001}, "batch is 1,001; give at most 1,000"),
        ({"batch": 0}, "batch is 0; give a whole number from 1"),
        ({"concurrency": 0}, "concurrency is 0; give 1 to 64"),
        ({"poll": timedelta(0)}, "poll is 0 seconds; give a positive interval"),
        ({"grace": 5}, "grace is 5 seconds; give a positive interval (a timedelta)"),
    ):
        with pytest.raises(RuntimeFlowError, match=said.replace("(", r"\(").replace(")", r"\)")):
            Worker(engine, **settings)


class Interrupted(Inbox):
    """A deliverer that a Ctrl-C interrupts at its ``count``-th action."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def __call__(self, action: Action) -> None:
        if len(self.received) + 1 == self.count:
            raise KeyboardInterrupt
        super().__call__(action)


def test_an_interrupted_deliver_records_what_it_sent_and_gives_back_the_rest(
    matrix: Matrix, clock: ManualClock, tmp_path: Path
) -> None:
    interrupted = Interrupted(4)
    engine = busy_engine(matrix, clock, interrupted, 2, SQLiteStore(tmp_path / "t.db"))
    engine.tick()
    with pytest.raises(KeyboardInterrupt):
        engine.deliver(limit=10)
    assert delivered(engine, 2) == {a.key for a in interrupted.received}
    assert len(interrupted.received) == 3
    other = SQLiteStore(tmp_path / "t.db")  # another worker on the same file
    rest = {a.key for a in other.pending_actions(clock.now(), 1000)}
    assert rest == queued(engine, 2) - delivered(engine, 2), "the rest claimable at once"
