"""The discrete-event simulation of a scenario (SimPy lives here, and only here).

Time runs in minutes from the scenario's start. Tickets arrive by a Poisson process whose
rate changes by the hour of the week; at a level each waits for one of the level's people
(first come, first served) and is worked for a handling time counted in the level's
business hours; once handled it is resolved, moved by a trigger, or left to the timer, in
the scenario's shares. Whenever the level's window ends first (waiting or being worked),
the timer escalates it, as the engine does. Windows, SLA targets and business time come
from the engine's own arithmetic (:class:`~escflow.runtime._timing.Timing`), not a copy.
"""

from __future__ import annotations

import math
import random
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import simpy

from escflow.compile import CompiledFlow, CompiledLevel
from escflow.runtime._timing import Timing
from escflow.spec._models import RESOLVED
from escflow.whatif._scenario import Handling, LevelLoad, Scenario

_WEEK = 7 * 24 * 60
_HOUR = 60.0


@dataclass
class LevelCounts:
    """What happened at one level in one replication."""

    entered: int = 0
    served: int = 0
    waited: int = 0  # tickets that found every person busy
    wait_minutes: float = 0.0  # summed over the tickets served
    by_timer: int = 0
    by_trigger: int = 0
    resolved: int = 0
    busy_minutes: float = 0.0  # person-minutes of handling, in business time
    queue_area: float = 0.0  # tickets waiting, integrated over the minutes
    _queue: int = 0
    _since: float = 0.0

    def queue_changes(self, now: float, by: int) -> None:
        self.queue_area += self._queue * (now - self._since)
        self._queue += by
        self._since = now

    def close(self, now: float) -> None:
        self.queue_changes(now, 0)

    @property
    def left(self) -> int:
        """Tickets that left the level (those still there at the end have not)."""
        return self.by_timer + self.by_trigger + self.resolved


@dataclass
class PriorityCounts:
    """The SLA of one priority's tickets in one replication (a ticket whose target had
    not passed by the end, still open, is not counted either way)."""

    opened: int = 0
    first_response_due: int = 0
    first_response_breached: int = 0
    resolution_due: int = 0
    resolution_breached: int = 0
    resolved: int = 0


@dataclass
class Replication:
    """The counts of one run over the scenario's weeks."""

    minutes: float
    business_minutes: dict[str, float]  # each level's open minutes over the run
    people: dict[str, int]
    levels: dict[str, LevelCounts] = field(default_factory=dict)
    priorities: dict[str, PriorityCounts] = field(default_factory=dict)


@dataclass(eq=False)
class _Ticket:
    """A simulated ticket's SLA: its targets and when it met them (minutes)."""

    counts: PriorityCounts
    first_response_due: float | None
    resolution_due: float | None
    first_response: float | None = None
    resolved: float | None = None

    def count(self, now: float) -> None:
        """Count the targets that are decided by ``now``: met, or passed unmet. One not
        due yet and not met is left out (the run ended before it was decided)."""
        counts = self.counts
        counts.resolved += self.resolved is not None
        if _decided(self.first_response_due, self.first_response, now):
            counts.first_response_due += 1
            counts.first_response_breached += _breached(
                self.first_response_due, self.first_response
            )
        if _decided(self.resolution_due, self.resolved, now):
            counts.resolution_due += 1
            counts.resolution_breached += _breached(self.resolution_due, self.resolved)


def _decided(due: float | None, met: float | None, now: float) -> bool:
    return due is not None and (met is not None or due <= now)


def _breached(due: float | None, met: float | None) -> bool:
    return met is None or (due is not None and met > due)


class _Run:
    """One replication: the environment, the people of each level, the counts."""

    def __init__(self, scenario: Scenario, seed: int, timing: Timing) -> None:
        self.scenario = scenario
        self.flow: CompiledFlow = scenario.flow
        self.timing = timing
        self.random = random.Random(seed)
        self.env = simpy.Environment()
        self.start = scenario.start_instant()
        self.minutes = float(scenario.doc.weeks * _WEEK)
        end = self.start + timedelta(minutes=self.minutes)
        self.loads: dict[str, LevelLoad] = dict(scenario.doc.levels)
        self.people = {
            level_id: simpy.Resource(self.env, capacity=load.people)
            for level_id, load in self.loads.items()
        }
        self.open: set[_Ticket] = set()
        self.result = Replication(
            self.minutes,
            {level_id: self._open_minutes(level_id, end) for level_id in self.loads},
            {level_id: load.people for level_id, load in self.loads.items()},
            {level_id: LevelCounts() for level_id in self.loads},
        )

    def _open_minutes(self, level_id: str, end: datetime) -> float:
        level = self.flow.level(level_id)
        if level.calendar is None:
            return self.minutes
        calendar = self.timing.calendar(self.flow, level.calendar)
        return calendar.business_minutes_between(self.start, end)

    def at(self, minutes: float) -> datetime:
        return self.start + timedelta(minutes=minutes)

    def minutes_to(self, instant: datetime) -> float:
        return (instant - self.start).total_seconds() / 60

    def run(self) -> Replication:
        for arrivals in self.scenario.doc.arrivals:
            priority = arrivals.priority or self.flow.default_priority or ""
            self.result.priorities.setdefault(priority, PriorityCounts())
            self.env.process(self._arrivals(priority, arrivals.hour_of_week()))
        self.env.run(until=self.minutes)
        for counts in self.result.levels.values():
            counts.close(self.minutes)
        for ticket in self.open:  # still open at the end: counted where a target passed
            ticket.count(self.minutes)
        return self.result

    def _arrivals(self, priority: str, rates: tuple[float, ...]) -> Generator[Any, Any, None]:
        """A Poisson process with a rate per hour of the week (in the flow calendar's
        time): exact for rates that are constant within each hour, by memorylessness."""
        offset = self._week_offset()
        entry = self.flow.entry(priority or None)
        while True:
            now = self.env.now
            hour = int((now + offset) // _HOUR) % 168
            rate = rates[hour] / _HOUR  # per minute
            to_next_hour = _HOUR - ((now + offset) % _HOUR)
            if rate > 0:
                gap = self.random.expovariate(rate)
                if gap < to_next_hour:
                    yield self.env.timeout(gap)
                    self.env.process(self._ticket(priority, entry))
                    continue
            yield self.env.timeout(to_next_hour)

    def _week_offset(self) -> float:
        """Minutes from the start of the week (Monday 00:00, calendar time) to the start."""
        from zoneinfo import ZoneInfo

        local = self.start.astimezone(ZoneInfo(self.flow.timezone))
        return local.weekday() * 1440 + local.hour * 60 + local.minute + local.second / 60

    def _ticket(self, priority: str, step: str) -> Generator[Any, Any, None]:
        counts = self.result.priorities[priority]
        counts.opened += 1
        sla = self.timing.sla(self.flow, priority, self.at(self.env.now))
        ticket = _Ticket(
            counts,
            None if sla.warn_at is None else self.minutes_to(sla.warn_at),
            None if sla.deadline is None else self.minutes_to(sla.deadline),
        )
        self.open.add(ticket)
        while step != RESOLVED:
            level = self.flow.level_of(step)
            step, served_at = yield from self._at_level(level, priority)
            if ticket.first_response is None:
                ticket.first_response = served_at
        ticket.resolved = self.env.now
        self.open.discard(ticket)
        ticket.count(self.env.now)

    def _at_level(
        self, level: CompiledLevel, priority: str
    ) -> Generator[Any, Any, tuple[str, float | None]]:
        """One stay at a level: the step the ticket leaves to, and when someone started
        on it (None when nobody did)."""
        env, counts, load = self.env, self.result.levels[level.id], self.loads[level.id]
        entered = env.now
        counts.entered += 1
        deadline = self._deadline(level, priority, entered)
        timer = env.timeout(deadline - entered) if deadline is not None else None
        request = self.people[level.id].request()
        busy = request.triggered
        if not busy:
            counts.waited += 1
            counts.queue_changes(entered, +1)
        waited = yield from self._first(request, timer)
        if not waited:  # the window ended while it waited
            request.cancel()
            counts.queue_changes(env.now, -1)
            counts.by_timer += 1
            return self._timer_target(level), None
        if not busy:
            counts.queue_changes(env.now, -1)
        started = env.now
        counts.served += 1
        counts.wait_minutes += started - entered
        handling = self._handling(load.handling_time, level)
        done = env.timeout(self._business_end(level, started, handling) - started)
        finished = yield from self._first(done, timer)
        self.people[level.id].release(request)
        if not finished:  # the window ended while it was worked
            counts.busy_minutes += self._business_between(level, started, env.now)
            counts.by_timer += 1
            return self._timer_target(level), started
        counts.busy_minutes += handling
        leaves = self._choose(load)
        if leaves == RESOLVED:
            counts.resolved += 1
            return RESOLVED, started
        if leaves is not None:
            counts.by_trigger += 1
            return self._trigger_target(level, leaves), started
        if timer is None:  # checked: a level without a timer leaves no share to it
            raise AssertionError(f"level {level.id} has no timer")  # pragma: no cover
        yield timer
        counts.by_timer += 1
        return self._timer_target(level), started

    def _first(self, event: simpy.Event, timer: simpy.Event | None) -> Generator[Any, Any, bool]:
        """Wait for ``event`` or the ``timer``, whichever comes first: whether it was the
        event (at the same instant, the event wins: it was scheduled first)."""
        if timer is None:
            yield event
            return True
        got = yield event | timer
        return event in got

    def _deadline(self, level: CompiledLevel, priority: str, entered: float) -> float | None:
        """When the level's timer escalates a ticket that entered at ``entered`` (after the
        window and its repeats), in minutes; None when the window has no end."""
        if not any(self.flow.steps[s].timer for s in level.steps):
            return None
        start = self.at(entered)
        for _ in range(level.repeat + 1):
            end = self.timing.span(self.flow, level, priority, start).deadline
            if end is None:
                return None
            start = end
        return self.minutes_to(start)

    def _timer_target(self, level: CompiledLevel) -> str:
        for step in level.steps:
            timer = self.flow.steps[step].timer
            if timer is not None:
                return timer.target
        raise AssertionError(f"level {level.id} has no timer")  # pragma: no cover

    def _trigger_target(self, level: CompiledLevel, trigger: str) -> str:
        for step in level.steps:
            found = self.flow.steps[step].trigger(trigger)
            if found is not None:
                return found.target
        raise AssertionError(f"level {level.id} has no trigger {trigger}")  # pragma: no cover

    def _choose(self, load: LevelLoad) -> str | None:
        """How a handled ticket leaves: RESOLVED, a trigger, or None (the timer)."""
        draw = self.random.random()
        if draw < load.resolved:
            return RESOLVED
        draw -= load.resolved
        for trigger, share in load.triggers.items():
            if draw < share:
                return trigger
            draw -= share
        return None

    def _handling(self, handling: Handling, level: CompiledLevel) -> float:
        """A handling time in (business) minutes, drawn from its distribution."""
        day = self._day_minutes(level)
        mean = float(handling.mean.nominal_minutes(day))
        if handling.shape == "fixed":
            return mean
        if handling.shape == "exponential":
            return self.random.expovariate(1 / mean)
        assert handling.sd is not None, "checked by Handling"
        sd = float(handling.sd.nominal_minutes(day))
        sigma2 = math.log(1 + (sd / mean) ** 2)
        return self.random.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))

    def _day_minutes(self, level: CompiledLevel) -> int:
        if level.calendar is None:
            return 1440
        return self.timing.calendar(self.flow, level.calendar).day_minutes

    def _business_end(self, level: CompiledLevel, start: float, minutes: float) -> float:
        if level.calendar is None:
            return start + minutes
        calendar = self.timing.calendar(self.flow, level.calendar)
        return self.minutes_to(calendar.add_business_minutes(self.at(start), minutes))

    def _business_between(self, level: CompiledLevel, a: float, b: float) -> float:
        if level.calendar is None:
            return b - a
        calendar = self.timing.calendar(self.flow, level.calendar)
        return calendar.business_minutes_between(self.at(a), self.at(b))


def replications(scenario: Scenario, *, jobs: int = 1) -> list[Replication]:
    """Run the scenario's replications, each with its own seed drawn from the scenario's,
    in ``jobs`` processes at once (the results, and their order, do not depend on it)."""
    seeds = random.Random(scenario.doc.seed)
    todo = [seeds.getrandbits(64) for _ in range(scenario.doc.replications)]
    if jobs <= 1 or len(todo) == 1:
        timing = Timing()
        return [_Run(scenario, seed, timing).run() for seed in todo]
    with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
        return list(pool.map(_one, [scenario] * len(todo), todo))


def _one(scenario: Scenario, seed: int) -> Replication:
    """One replication in a worker process."""
    return _Run(scenario, seed, Timing()).run()
