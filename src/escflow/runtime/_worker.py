"""The worker: applies due deadlines and delivers the outbox, round after round.

Each round claims a batch of due tickets and commits their escalations together
(group commit), then delivers a batch of actions. Between rounds it sleeps until the
next deadline or the poll interval, whichever comes first. ``stop`` ends it between
rounds, so the batch in hand always finishes.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from datetime import timedelta

from escflow.errors import RuntimeFlowError
from escflow.runtime._engine import Engine, check_limit

_MIN_WAIT = 0.05


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

    def run_once(self) -> Round:
        """One round: due deadlines and warnings (one commit), then the outbox."""
        changes = self.engine.tick(limit=self.batch)
        attempts = self.engine.deliver(limit=self.batch)
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
        """Work until ``stop`` is set; returns the number of rounds that found work."""
        freeze_startup()
        busy = 0
        while not self.stop.is_set():
            done = self.run_once()
            if done.busy:
                busy += 1
                continue
            self.stop.wait(self.seconds_to_wait())
        return busy
