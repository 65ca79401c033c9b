"""Delivering the outbox several actions at a time, each outcome recorded as it comes back.

One thread (the worker's own) claims due actions, hands them to ``concurrency`` sending
threads, and records each outcome as soon as it is back (those back together, in one
commit). It claims only what the senders will start soon, and renews the leases of what
it holds, so that a lease never runs out under a worker still delivering: no other
worker sends the same action meanwhile. When it stops, the actions not started are given
back at once, those in flight get a grace period, and whatever is still out then is given
back too: nothing counts as delivered that was not, and the next worker sends it.

A failure is said on the ``escflow.worker`` logger: the first of each kind (the kind of
action, where it goes, the error) at once, then one line a minute of those like it.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from escflow.errors import DeliveryError, StoreError
from escflow.records import Action
from escflow.runtime._actions import Actions, attempt, webhook_address
from escflow.runtime._throttle import Throttle
from escflow.store import Store
from escflow.timing._clock import Clock, ensure_aware

log = logging.getLogger("escflow.worker")

StoreTrouble = Callable[[StoreError, float], None]
"""Told of a store error, and how many seconds the worker waits before trying again."""

_LOOK = 0.1  # longest the claiming thread waits before it looks at ``stop`` again
_STATUS_EVERY = 60.0  # seconds between two lines of counts while deliveries go on
# After a store error: 1 s, then twice as long each time it fails again, at most a minute
# (a locked file or a restarting server is back within seconds; a longer outage should
# not keep the worker from noticing, within a minute, that it is over).
_FIRST_RETRY = 1.0
_LONGEST_RETRY = 60.0


def retry_after(failures: int) -> float:
    """Seconds to wait after the ``failures``-th store error in a row."""
    return min(_LONGEST_RETRY, _FIRST_RETRY * 2.0 ** min(failures - 1, 16))


@dataclass
class Counts:
    """Delivery attempts so far, by outcome (shared by the worker's threads)."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, outcome: Action) -> None:
        """Count one attempt's outcome."""
        with self._lock:
            if outcome.status == "delivered":
                self.delivered += 1
            elif outcome.status == "failed":
                self.failed += 1
            else:
                self.retried += 1

    def as_dict(self) -> dict[str, int]:
        """The counts by name, for a log record's fields."""
        with self._lock:
            return {"delivered": self.delivered, "retried": self.retried, "failed": self.failed}

    def said(self) -> str:
        """The counts as a log line ends: ``(delivered 3, retried 1, failed 0 so far)``."""
        counts = self.as_dict()
        return (
            f" (delivered {counts['delivered']}, retried {counts['retried']},"
            f" failed {counts['failed']} so far)"
        )


class _Senders:
    """``size`` daemon threads, each delivering the actions put to it one after another and
    putting ``(action, outcome)`` on ``done``. Daemon threads: a delivery that hangs past
    a stop does not keep the process from ending (it is given back, to be sent again)."""

    def __init__(
        self,
        send: Callable[[Action], Action],
        size: int,
        done: queue.SimpleQueue[_Back],
        stop: threading.Event,
    ) -> None:
        self._send = send
        self._size = size
        self._done = done
        self._stop = stop
        self._todo: queue.SimpleQueue[Action | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._not_started: queue.SimpleQueue[Action] = queue.SimpleQueue()  # after a stop

    def put(self, action: Action) -> None:
        if not self._threads:
            for n in range(self._size):
                thread = threading.Thread(target=self._work, name=f"escflow-send-{n}", daemon=True)
                thread.start()
                self._threads.append(thread)
        self._todo.put(action)

    def _work(self) -> None:
        while (action := self._todo.get()) is not None:
            if self._stop.is_set():  # no new delivery starts once a stop is asked
                self._not_started.put(action)
                continue
            began = time.monotonic()
            try:
                outcome = self._send(action)
            except BaseException as exc:  # what a handler raised past Exception: not fatal here
                outcome = _broken(action, exc)
            self._done.put(_Back(action, outcome, time.monotonic() - began))

    def take_back(self) -> list[Action]:
        """The actions put and not started (once ``stop`` is set: none starts after)."""
        back: list[Action] = []
        for taken in (self._todo, self._not_started):
            while True:
                try:
                    action = taken.get_nowait()
                except queue.Empty:
                    break
                if action is not None:
                    back.append(action)
        return back

    def close(self) -> None:
        """Let each thread end once its delivery in hand is over."""
        for _ in self._threads:
            self._todo.put(None)


@dataclass
class _Plan:
    """When the claiming thread next claims, renews and says its counts (monotonic
    seconds), until when a store error pauses it, and what it claimed so far."""

    claim: float
    renew: float
    status: float
    paused_until: float = 0.0
    failures: int = 0  # store errors in a row
    claimed: int = 0
    exhausted: bool = False  # the last claim found less than it had room for


@dataclass(frozen=True, slots=True)
class _Back:
    """An action as it was claimed, the action after its attempt, how long it took (s)."""

    claimed: Action
    outcome: Action
    took: float


def _broken(action: Action, exc: BaseException) -> Action:
    """The outcome of a delivery that raised what ``attempt`` lets through: a retry."""
    return replace(action, attempts=action.attempts + 1, last_error=f"{type(exc).__name__}: {exc}")


class Deliveries:
    """Delivers an engine's outbox on ``concurrency`` threads until ``stop`` is set (or,
    in :meth:`run`'s ``budget`` mode, until that many were tried or none is due).

    ``wake`` set by another thread (the worker's timer, having queued actions) makes it
    claim at once rather than at the next ``poll``. ``grace`` is how long a stop waits
    for deliveries in flight.
    """

    def __init__(
        self,
        store: Store,
        actions: Actions,
        clock: Clock,
        *,
        concurrency: int,
        batch: int,
        poll: float,
        stop: threading.Event,
        wake: threading.Event,
        counts: Counts,
        grace: float = 5.0,
        on_store_error: StoreTrouble | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.actions, self.clock = store, actions, clock
        self.concurrency, self.batch, self.poll = concurrency, batch, poll
        self.stop, self.wake, self.counts, self.grace = stop, wake, counts, grace
        self.on_store_error = on_store_error
        self._monotonic = monotonic
        self._renew_every = max(0.05, store.lease.total_seconds() / 3)
        # Seconds a delivery takes, as the last ones went; at first, as if slow: the first
        # claim is two actions per sender, and grows as deliveries prove quick.
        self._pace = self._renew_every
        self._throttle = Throttle(log, suffix=counts.said, monotonic=monotonic)
        self._done: queue.SimpleQueue[_Back] = queue.SimpleQueue()
        self._held: dict[str, Action] = {}  # claimed: not recorded, not given back yet
        self._unrecorded: list[Action] = []

    # --- the loop ---------------------------------------------------------------------

    def run(self, *, budget: int | None = None) -> None:
        """Claim, deliver and record until ``stop``; with a ``budget``, until that many
        actions were claimed and their outcomes recorded, or none is due any more (a
        :class:`StoreError` is then raised as it comes: what was recorded stays)."""
        senders = _Senders(self._attempt, self.concurrency, self._done, self.stop)
        began = self._monotonic()
        plan = _Plan(claim=began, renew=began, status=began)
        shown = self.counts.as_dict()
        try:
            while not self.stop.is_set():
                now = self._monotonic()
                more = now >= plan.paused_until and self._step(now, plan, senders, budget)
                idle = not self._held and not self._unrecorded
                if budget is not None and idle and (plan.exhausted or plan.claimed >= budget):
                    break
                self._throttle.flush()
                if now >= plan.status:
                    shown = self._status(shown)
                    plan.status = now + _STATUS_EVERY
                self._collect(0.0 if more and self._room() > 0 else self._wait(now, plan))
        finally:
            self._shutdown(senders)

    def _step(self, now: float, plan: _Plan, senders: _Senders, budget: int | None) -> bool:
        """Record what came back, renew the leases held, claim what there is room for;
        whether the claim filled its room (then claim again as soon as there is room)."""
        try:
            self._record()
            if self._held and now >= plan.renew:
                self._renew()
                plan.renew = now + self._renew_every
            room = self._room() if budget is None else min(self._room(), budget - plan.claimed)
            more = False
            if room > 0 and (now >= plan.claim or self.wake.is_set()):
                self.wake.clear()
                if not self._held:  # the first lease taken since none was held
                    plan.renew = now + self._renew_every
                got = self.store.pending_actions(self._now(), room)
                for action in got:
                    self._held[action.key] = action
                    senders.put(action)
                plan.claimed += len(got)
                # Fewer than asked may still leave some due: a row the store could not read
                # is quarantined, not returned. Nothing at all means nothing is due.
                plan.exhausted = not got
                if plan.exhausted:  # nothing more due: look again after a poll, or woken
                    plan.claim = now + self.poll
                more = not plan.exhausted and (budget is None or plan.claimed < budget)
            plan.failures = 0
            return more
        except StoreError as exc:
            if budget is not None:
                raise
            plan.failures += 1
            wait = retry_after(plan.failures)
            plan.paused_until = now + wait
            self._store_trouble(exc, wait)
            return False

    def _wait(self, now: float, plan: _Plan) -> float:
        """How long to wait for an outcome: until the next claim, renewal or retry, at
        most a tenth of a second (a stop is looked at that often)."""
        upcoming = [t - now for t in (plan.claim, plan.paused_until) if t > now]
        if self._held:
            upcoming.append(max(0.0, plan.renew - now))
        return min([_LOOK, *upcoming])

    def _room(self) -> int:
        """How many more actions to hold: what the senders start well within a lease
        (renewed every third of one), at least two per sender, at most a batch."""
        soon = int(self.concurrency * self._renew_every / max(self._pace, 1e-6))
        return min(self.batch, max(2 * self.concurrency, soon)) - len(self._held)

    def _now(self) -> datetime:
        return ensure_aware(self.clock.now(), "now")

    def _attempt(self, action: Action) -> Action:
        return attempt(action, self.actions, self._now())

    def _collect(self, wait: float) -> None:
        """Take the outcomes back (waiting up to ``wait`` s for the first one)."""
        try:
            back = self._done.get(timeout=wait) if wait > 0 else self._done.get_nowait()
        except queue.Empty:
            return
        while True:
            self._held.pop(back.claimed.key, None)
            self._unrecorded.append(back.outcome)
            # Up at once after a slow one, down slowly: a slow endpoint is not forgotten
            # because a few quick notifications went by.
            self._pace = max(0.8 * self._pace + 0.2 * back.took, back.took)
            self.counts.add(back.outcome)
            self._say(back.outcome, back.took)
            try:
                back = self._done.get_nowait()
            except queue.Empty:
                return

    def _record(self) -> None:
        if self._unrecorded:
            self.store.record_attempts(self._unrecorded)
            self._unrecorded = []

    def _renew(self) -> None:
        keys = list(self._held)
        kept = set(self.store.renew_claims(keys))
        lost = [k for k in keys if k not in kept and k in self._held]
        if lost:
            log.warning(
                "lost the lease on %d actions held longer than it lasted (%s...): another"
                " worker may send them too%s",
                len(lost),
                lost[0],
                self.counts.said(),
            )

    def _store_trouble(self, exc: StoreError, wait: float) -> None:
        log.warning("%s; trying again in %gs", exc, wait, extra={"retry_in": wait})
        if self.on_store_error is not None:
            self.on_store_error(exc, wait)

    def _status(self, shown: dict[str, int]) -> dict[str, int]:
        counts = self.counts.as_dict()
        if counts != shown:
            log.info(
                "%d actions in hand%s", len(self._held), self.counts.said(), extra=dict(counts)
            )
        return counts

    # --- what is said -----------------------------------------------------------------

    def _say(self, outcome: Action, took: float) -> None:
        what = f"{outcome.kind} to {_where(outcome)}"
        if outcome.status == "delivered":
            log.debug("delivered %s (%s) in %.3f s", what, outcome.key, took)
            return
        error = outcome.last_error or ""
        if outcome.status == "failed":
            message = (
                f"gave up delivering {what} (action {outcome.key}) after"
                f" {outcome.attempts} attempts: {error}"
            )
        else:
            when = outcome.next_attempt_at.isoformat() if outcome.next_attempt_at else "soon"
            message = (
                f"cannot deliver {what} (action {outcome.key}, attempt {outcome.attempts} of"
                f" {self.actions.max_attempts}): {error}; trying again at {when}"
            )
        # 'ConnectionError: ...' says its type; a DeliveryError's text is the receiver's
        # answer alone (see attempted).
        named = _ERROR_TYPE.match(error)
        kind = named[1] if named else DeliveryError.__name__
        self._throttle.say(
            (outcome.kind, _where(outcome), kind),
            message,
            summary=f"deliveries of {what} failed with {kind}",
            extra={"action": outcome.key, **self.counts.as_dict()},
        )

    # --- stopping ---------------------------------------------------------------------

    def _shutdown(self, senders: _Senders) -> None:
        """Give back what was not started, wait ``grace`` for what is in flight, record
        every outcome back, give back what is still out."""
        deadline = self._monotonic() + self.grace
        while True:
            # A sender that took one off the queue as the stop came gives it back too.
            unstarted = senders.take_back()
            for action in unstarted:
                self._held.pop(action.key, None)
            self._give_back([a.key for a in unstarted], "not started")
            left = deadline - self._monotonic()
            if not self._held or left <= 0:
                break
            self._collect(min(_LOOK, left))
        try:
            self._record()
        except StoreError as exc:
            log.error(
                "%s: the outcomes of %d deliveries are not recorded; those actions will be"
                " sent again",
                exc,
                len(self._unrecorded),
            )
        if self._held:
            log.warning(
                "%d deliveries still running after %g s; their actions are given back, to be"
                " sent again",
                len(self._held),
                self.grace,
            )
            self._give_back(list(self._held), "still running")
            self._held.clear()
        senders.close()
        self._throttle.flush(final=True)

    def _give_back(self, keys: list[str], why: str) -> None:
        if not keys:
            return
        try:
            self.store.release_claims(keys)
        except StoreError as exc:
            log.warning(
                "%s: %d actions %s stay claimed until their lease runs out", exc, len(keys), why
            )


_ERROR_TYPE = re.compile(r"^([A-Za-z_][\w.]*): ")


def _where(action: Action) -> str:
    """Where an action goes, as a failure names it: a webhook's host and path (no query,
    which may hold a token), a handler's or contact's name."""
    return webhook_address(action.target) if action.kind == "webhook" else action.target
