"""The worker: applies due deadlines and delivers the outbox, round after round.

Each round claims a batch of due tickets and commits their escalations together
(group commit), then delivers a batch of actions, 50 at a time. Between rounds it
sleeps until the next deadline or the poll interval, whichever comes first. ``stop`` ends
it at the next boundary: after the escalations, or after the actions in hand, each time
with what was done recorded. A round that fails on the store (locked, a dropped
connection) is tried again after a growing pause.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from escflow.errors import RuntimeFlowError, StoreError
from escflow.records import Action
from escflow.runtime._engine import Engine
from escflow.runtime._inputs import check_limit

_MIN_WAIT = 0.05
# Actions delivered between two records of their outcomes, and two looks at ``stop``: a
# stop waits for at most this many deliveries (a slow webhook takes seconds), and the
# extra commits cost little (some 30 microseconds an action on SQLite).
DELIVERY_CHUNK = 50
# After a store error: 1 s, then twice as long each time it fails again, at most a minute
# (a locked file or a restarting server is back within seconds; a longer outage should
# not keep the worker from noticing, within a minute, that it is over).
_FIRST_RETRY = 1.0
_LONGEST_RETRY = 60.0

StoreTrouble = Callable[[StoreError, float], None]
"""Told of a store error in a round, and how many seconds the worker waits to retry."""


def freeze_startup() -> None:
    """Keep everything alive now out of the garbage collector's generations from here on.

    A worker runs for days on what start-up loaded (the flows, holiday tables, the
    libraries): some 70,000 objects that every full collection would walk again, about
    twice a second under load. Frozen, a collection walks only what the rounds made. (A
    frozen object is still freed when its last reference goes; only a cycle among frozen
    objects would stay.)
    """
    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class Round:
    """What one round did."""

    tickets: int
    events: int
    delivered: int
    retried: int
    failed: int

    @property
    def busy(self) -> bool:
        """True when the round found work (another may follow at once)."""
        return bool(self.tickets or self.delivered or self.retried or self.failed)


class Worker:
    """Runs an engine's timers and outbox until told to stop."""

    def __init__(
        self,
        engine: Engine,
        *,
        batch: int = 500,
        poll: timedelta = timedelta(seconds=5),
        stop: threading.Event | None = None,
        on_store_error: StoreTrouble | None = None,
    ) -> None:
        check_limit(batch, "batch")
        if poll <= timedelta(0):
            raise RuntimeFlowError(
                f"poll is {poll.total_seconds():g} seconds; give a positive interval"
            )
        self.engine = engine
        self.batch = batch
        self.poll = poll
        self.stop = stop if stop is not None else threading.Event()
        self.on_store_error = on_store_error

    def run_once(self) -> Round:
        """One round: due deadlines and warnings (one commit), then the outbox.

        ``stop`` is honoured between the two, and between chunks of the outbox: what was
        done is recorded, the rest waits for the next round. A :class:`StoreError` is
        raised as it comes (what was recorded before it stays recorded).
        """
        changes = self.engine.tick(limit=self.batch)
        attempts: list[Action] = []
        while len(attempts) < self.batch and not self.stop.is_set():
            chunk = min(DELIVERY_CHUNK, self.batch - len(attempts))
            delivered = self.engine.deliver(limit=chunk)
            attempts += delivered
            if len(delivered) < chunk:
                break  # the outbox has nothing more due
        return Round(
            tickets=len(changes),
            events=sum(len(c.events) for c in changes),
            delivered=sum(a.status == "delivered" for a in attempts),
            retried=sum(a.status == "pending" for a in attempts),
            failed=sum(a.status == "failed" for a in attempts),
        )

    def seconds_to_wait(self) -> float:
        """Until the next deadline, at most the poll interval."""
        poll = self.poll.total_seconds()
        due = self.engine.store.next_due()
        if due is None:
            return poll
        left = (due - self.engine.clock.now()).total_seconds()
        # A due ticket another worker holds would otherwise make this one spin.
        return max(_MIN_WAIT, min(poll, left))

    def run(self) -> int:
        """Work until ``stop`` is set; returns the number of rounds that found work.

        A round that fails on the store is retried after 1 s, then twice as long each
        time it fails again, at most a minute; ``on_store_error`` is told of each
        failure. ``stop`` ends a wait at once.
        """
        freeze_startup()
        busy = failures = 0
        while not self.stop.is_set():
            try:
                done = self.run_once()
                wait = 0.0 if done.busy else self.seconds_to_wait()  # reads the store too
            except StoreError as exc:
                failures += 1
                wait = retry_after(failures)
                if self.on_store_error is not None:
                    self.on_store_error(exc, wait)
                self.stop.wait(wait)
                continue
            failures = 0
            if done.busy:
                busy += 1
                continue
            self.stop.wait(wait)
        return busy


def retry_after(failures: int) -> float:
    """Seconds to wait after the ``failures``-th store error in a row."""
    return min(_LONGEST_RETRY, _FIRST_RETRY * 2.0 ** min(failures - 1, 16))
