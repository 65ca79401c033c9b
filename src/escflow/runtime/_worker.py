"""The worker: the loop a service runs beside its engine, or ``escflow worker`` runs alone.

Two things go on at once, so that neither waits on the other. A timer thread applies due
deadlines and warnings, a batch at a time (one commit each), and sleeps until the next
deadline or the poll interval, whichever comes first: a slow endpoint never holds back
an escalation. The calling thread delivers the outbox on ``concurrency`` threads
(``_delivery.py``), each outcome recorded as it comes back. A store error (locked, a
dropped connection) is said on the ``escflow.worker`` logger and tried again after a
growing pause. ``stop`` ends both within seconds: the batch of escalations in hand is
committed, deliveries in flight get a grace period, and every action not delivered is
given back to the outbox, its lease released.
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from escflow.errors import EscflowError, InputError, StoreError
from escflow.runtime._delivery import Counts, Deliveries, StoreTrouble, retry_after
from escflow.runtime._engine import Engine
from escflow.runtime._inputs import check_limit

log = logging.getLogger("escflow.worker")

_MIN_WAIT = 0.05
MAX_BATCH = 1_000
"""The most tickets one transaction of the timer escalates (and actions one round
delivers). A batch is held in memory until its commit: some 55 KB a ticket when each climbs
a whole ladder at once and passes its SLA warnings and breaches on the way (four more
events and four more notifications each), on top of the 70-80 MB a worker starts with, so
that the largest batch keeps a worker within 150 MB. 1,500 did before the SLA timers
(130 MB on PostgreSQL); with them it took 168 MB."""
MAX_CONCURRENCY = 64
_JOIN = 30.0  # seconds a stop waits for the timer thread's batch in hand


def freeze_startup() -> None:
    """Keep everything alive now out of the garbage collector's generations from here on.

    A worker runs for days on what start-up loaded (the flows, holiday tables, the
    libraries): some 70,000 objects that every full collection would walk again, about
    twice a second under load. Frozen, a collection walks only what the rounds made. (A
    frozen object is still freed when its last reference goes; only a cycle among frozen
    objects would stay.) For a process that runs only the worker: the command calls it.
    """
    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class Round:
    """What a round did (:meth:`Worker.run_once`), or a whole run (:meth:`Worker.run`)."""

    tickets: int
    events: int
    delivered: int
    retried: int
    failed: int

    @property
    def busy(self) -> bool:
        """True when it found work."""
        return bool(self.tickets or self.delivered or self.retried or self.failed)


class Worker:
    """Runs an engine's timers and delivers its outbox until told to stop.

    ``batch`` is how many due tickets one transaction escalates (1 to :data:`MAX_BATCH`),
    and bounds what one round delivers; ``poll`` the longest sleep between two looks at
    the store; ``concurrency`` how many deliveries run at once; ``grace`` how long a stop
    waits for deliveries in flight before giving them back. ``stop`` ends the work (the
    worker makes one if not given); ``on_store_error`` is told of each store error and
    the seconds until the next try. The engine and its store are shared by the worker's
    threads (an engine may be shared by any threads).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        batch: int = 500,
        poll: timedelta = timedelta(seconds=5),
        concurrency: int = 4,
        grace: timedelta = timedelta(seconds=5),
        stop: threading.Event | None = None,
        on_store_error: StoreTrouble | None = None,
    ) -> None:
        check_limit(batch, "batch")
        if batch > MAX_BATCH:
            raise InputError(
                f"batch is {batch:,}; give at most {MAX_BATCH:,} (a batch is held in memory)"
            )
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise InputError(f"concurrency is {concurrency!r}; give a whole number")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise InputError(
                f"concurrency is {concurrency}; give 1 to {MAX_CONCURRENCY} deliveries at once"
            )
        for name, value in (("poll", poll), ("grace", grace)):
            if not isinstance(value, timedelta) or value <= timedelta(0):
                shown = (
                    f"{value.total_seconds():g}" if isinstance(value, timedelta) else repr(value)
                )
                raise InputError(
                    f"{name} is {shown} seconds; give a positive interval (a timedelta)"
                )
        self.engine = engine
        self.batch = batch
        self.poll = poll
        self.concurrency = concurrency
        self.grace = grace
        self.stop = stop if stop is not None else threading.Event()
        self.on_store_error = on_store_error
        self.counts = Counts()
        self._tickets = self._events = 0
        self._wake = threading.Event()  # the timer queued actions: deliver them now
        self._crashed: BaseException | None = None

    @property
    def totals(self) -> Round:
        """What the worker did so far: tickets moved, events written, delivery outcomes."""
        counts = self.counts.as_dict()
        return Round(self._tickets, self._events, **counts)

    def run_once(self) -> Round:
        """One round, for cron: the due deadlines and warnings of up to ``batch`` tickets
        (one commit), then up to ``batch`` due actions, delivered ``concurrency`` at a time.

        ``stop`` is honoured between the two, and during delivery as in :meth:`run`. A
        :class:`~escflow.errors.StoreError` is raised as it comes (what was recorded before
        it stays recorded, and what was claimed is given back).
        """
        before = self.totals
        self._tick()
        if not self.stop.is_set():
            self._deliveries().run(budget=self.batch)
        after = self.totals
        return Round(
            after.tickets - before.tickets,
            after.events - before.events,
            after.delivered - before.delivered,
            after.retried - before.retried,
            after.failed - before.failed,
        )

    def run(self) -> Round:
        """Work until ``stop`` is set; returns what the whole run did (:attr:`totals`).

        The timers run on a thread of their own while this thread delivers. A store error
        is retried after 1 s, then twice as long each time it fails again, at most a
        minute. Anything else going wrong stops the worker and is raised here.
        """
        log.info(
            "started: batch %d, poll %g s, %d deliveries at once",
            self.batch,
            self.poll.total_seconds(),
            self.concurrency,
        )
        timer = threading.Thread(target=self._timer, name="escflow-timer", daemon=True)
        timer.start()
        try:
            self._deliveries().run()
        finally:
            self.stop.set()
            timer.join(_JOIN)
            if timer.is_alive():
                log.warning("the timer's batch in hand was still being applied after %gs", _JOIN)
        if self._crashed is not None:
            raise self._crashed
        totals = self.totals
        log.info(
            "stopped: %d tickets moved (%d events)%s",
            totals.tickets,
            totals.events,
            self.counts.said(),
            extra={"tickets": totals.tickets, "events": totals.events, **self.counts.as_dict()},
        )
        return totals

    def seconds_to_wait(self) -> float:
        """Until the next deadline, at most the poll interval."""
        poll = self.poll.total_seconds()
        due = self.engine.store.next_due()
        if due is None:
            return poll
        left = (due - self.engine.clock.now()).total_seconds()
        # A due ticket another worker holds would otherwise make this one spin.
        return max(_MIN_WAIT, min(poll, left))

    # --- the two sides ---------------------------------------------------------------

    def _deliveries(self) -> Deliveries:
        return Deliveries(
            self.engine.store,
            self.engine.actions,
            self.engine.clock,
            concurrency=self.concurrency,
            batch=self.batch,
            poll=self.poll.total_seconds(),
            stop=self.stop,
            wake=self._wake,
            counts=self.counts,
            grace=self.grace.total_seconds(),
            on_store_error=self.on_store_error,
        )

    def _tick(self) -> bool:
        """One batch of due deadlines and warnings; whether it moved any ticket."""
        changes = self.engine.tick(limit=self.batch)
        if not changes:
            return False
        events = sum(len(c.events) for c in changes)
        self._tickets += len(changes)
        self._events += events
        if any(c.actions for c in changes):
            self._wake.set()
        log.info(
            "%d tickets moved (%d events)%s",
            len(changes),
            events,
            self.counts.said(),
            extra={"tickets": len(changes), "events": events, **self.counts.as_dict()},
        )
        return True

    def _timer(self) -> None:
        """The timer thread: batch after batch while tickets are due, then a sleep until
        the next deadline (at most ``poll``); a store error waits longer each time."""
        failures = 0
        try:
            while not self.stop.is_set():
                try:
                    moved = self._tick()
                    wait = 0.0 if moved else self.seconds_to_wait()  # reads the store too
                    failures = 0
                except EscflowError as exc:  # a store error, or a ticket its flow refuses
                    failures += 1
                    wait = retry_after(failures)
                    log.warning("%s; trying again in %gs", exc, wait, extra={"retry_in": wait})
                    if isinstance(exc, StoreError) and self.on_store_error is not None:
                        self.on_store_error(exc, wait)
                self.stop.wait(wait)
        except BaseException as exc:  # a fault of escflow's: stop the worker, raise in run()
            log.exception("the timer stopped on an unexpected error; the worker stops")
            self._crashed = exc
            self.stop.set()
