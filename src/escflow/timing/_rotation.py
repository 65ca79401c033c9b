"""On-duty rotations: shifts that start at cron times and pass between members in turn.

A shift lasts by the clock: it ends when the rotation's clock first shows its start's
clock time plus its length (a 12-hour shift from 20:00 ends at 08:00, after 11 hours on
the night the clocks go forward and 13 on the night they go back; if the clock skips
that time, the shift ends as it jumps). A shift that starts while another runs takes
over from it. The turns are numbered by counting shift starts from the shift's anchor,
by arithmetic (:mod:`escflow.timing._cron`), so a turn years later costs no more than
one next week.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from escflow.errors import TimeError
from escflow.timing._calendar import BusinessCalendar
from escflow.timing._clock import ensure_aware, load_zone
from escflow.timing._cron import CronSchedule, validate_cron
from escflow.timing._wall import clock_reaches, offset_at, wall

__all__ = ["Rotation", "Shift", "validate_cron"]

_MICROSECOND = timedelta(microseconds=1)
# A clock changes its offset at most a few times a year and never twice within a week, so
# a shift up to a week long with the same offset at both ends kept an even clock.
_EVEN_SPAN = timedelta(days=7)


@dataclass(frozen=True)
class Shift:
    """Shifts starting at every fire time of ``cron``, each lasting ``duration_minutes``
    by the clock.

    The cron is evaluated in the timezone of the :class:`Rotation` holding the shift. The k-th
    fire time at or after ``anchor`` (k = 0, 1, ...) is a shift of ``members[k % len(members)]``;
    fire times before ``anchor`` are no one's shift. A shift ends when the clock first shows
    its start's clock time plus ``duration_minutes`` (see the module's docstring).
    """

    cron: str
    duration_minutes: int
    members: Sequence[str]
    anchor: datetime

    def __post_init__(self) -> None:
        problem = validate_cron(self.cron)
        if problem is not None:
            raise TimeError(problem)
        minutes = self.duration_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            raise TimeError(
                f"shift {self.cron!r}: duration_minutes must be a whole number > 0, got {minutes!r}"
            )
        if isinstance(self.members, str):
            raise TimeError(
                f"shift {self.cron!r}: members must be a list of names, not the string "
                f"{self.members!r}"
            )
        members = tuple(self.members)
        if not members or not all(isinstance(m, str) and m for m in members):
            raise TimeError(
                f"shift {self.cron!r}: members must be a non-empty list of non-empty names, "
                f"got {list(members)!r}"
            )
        # Frozen dataclass: normalise through object.__setattr__ so the shift stays immutable.
        object.__setattr__(self, "members", members)
        object.__setattr__(self, "anchor", ensure_aware(self.anchor, "shift anchor"))


class _Located(NamedTuple):
    number: int | None  # number of fires from the first one at/after the anchor; None: none yet
    start: datetime | None  # that fire time, UTC
    following: datetime | None  # the next fire time after the query instant, UTC; None: never


class _Timeline:
    """The shifts of one :class:`Shift` in one zone, numbered from the anchor."""

    def __init__(self, shift: Shift, zone: ZoneInfo) -> None:
        self.shift = shift
        self._zone = zone
        self._lasts = timedelta(minutes=shift.duration_minutes)
        self._schedule = CronSchedule(shift.cron, zone)
        self._lock = threading.Lock()
        self._last: _Located | None = None

    def locate(self, at: datetime) -> _Located:
        """The latest start at or before ``at`` (UTC), its number, and the start after ``at``."""
        with self._lock:
            last = self._last
        if (
            last is not None
            and last.start is not None
            and last.start <= at
            and (last.following is None or at < last.following)
        ):
            return last
        anchor = self.shift.anchor
        if at < anchor:
            return _Located(None, None, self._schedule.first_after(anchor - _MICROSECOND))
        count = self._schedule.count(anchor, at)
        following = self._schedule.first_after(at)
        if count == 0:
            return _Located(None, None, following)
        found = _Located(count - 1, self._schedule.last_through(at, anchor), following)
        with self._lock:
            self._last = found
        return found

    def first(self) -> datetime | None:
        """The first start at or after the anchor (UTC); None if there is none."""
        return self._schedule.first_after(self.shift.anchor - _MICROSECOND)

    def end(self, start: datetime) -> datetime:
        """When the shift that starts at ``start`` ends: the clock shows ``lasts`` more."""
        elapsed = start + self._lasts
        if self._lasts <= _EVEN_SPAN and offset_at(start, self._zone) == offset_at(
            elapsed, self._zone
        ):
            return elapsed
        return clock_reaches(wall(start, self._zone) + self._lasts, self._zone, start)

    def spans(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The shifts that run at some time in ``[start, end)``, as (start, end), in order."""
        anchor = self.shift.anchor
        running = self._schedule.last_through(start, anchor) if start >= anchor else None
        if running is not None and self.end(running) > start:
            yield running, self.end(running)
        for fire in self._schedule.fires(max(start, anchor), end):
            if fire != running:
                yield fire, self.end(fire)


class Rotation:
    """Who is on duty, from shifts whose cron times are evaluated in one IANA timezone.

    Cost: a query counts the shift starts since each shift's anchor by arithmetic, with no
    croniter step; the first query months away counts those months' days once (about 31
    day checks a month), later ones reuse the counts. Instances are thread-safe.
    """

    def __init__(self, timezone: str, shifts: Sequence[Shift]) -> None:
        """Bind ``shifts`` to the zone ``timezone``; an unknown zone raises TimeError."""
        self.timezone = timezone
        self._zone = load_zone(timezone, "rotation timezone")
        for shift in shifts:
            if not isinstance(shift, Shift):
                raise TimeError(f"rotation shifts must be Shift objects, got {shift!r}")
        self.shifts: tuple[Shift, ...] = tuple(shifts)
        self._timelines = [_Timeline(shift, self._zone) for shift in self.shifts]

    def __repr__(self) -> str:
        return f"Rotation(timezone={self.timezone!r}, shifts={list(self.shifts)!r})"

    @property
    def since(self) -> datetime | None:
        """From when every shift has started once (UTC): the latest first start; None
        without shifts, or when one of them never starts."""
        firsts = [timeline.first() for timeline in self._timelines]
        if not firsts or None in firsts:
            return None
        return max(first for first in firsts if first is not None)

    def on_duty(self, instant: datetime) -> str | None:
        """The member whose shift covers ``instant``, or None when nobody is on duty.

        A shift covers ``[start, end)``. When several shifts cover the instant, the one that
        started last wins; on equal starts, the shift listed later wins.
        """
        at = ensure_aware(instant, "instant")
        best: tuple[datetime, str] | None = None
        for timeline in self._timelines:
            found = timeline.locate(at)
            if found.number is None or found.start is None:
                continue
            if at >= timeline.end(found.start):
                continue
            if best is None or found.start >= best[0]:
                members = timeline.shift.members
                best = (found.start, members[found.number % len(members)])
        return None if best is None else best[1]

    def next_change(self, instant: datetime) -> datetime | None:
        """The next instant after ``instant`` at which the person on duty may change, in UTC.

        That is the earliest next shift start or end of a running shift; None if no shift
        runs now and none will ever start again.
        """
        at = ensure_aware(instant, "instant")
        candidates: list[datetime] = []
        for timeline in self._timelines:
            found = timeline.locate(at)
            if found.following is not None:
                candidates.append(found.following)
            if found.start is not None:
                end = timeline.end(found.start)
                if end > at:
                    candidates.append(end)
        return min(candidates, default=None)

    def first_gap(
        self, calendar: BusinessCalendar, start: datetime, days: int
    ) -> tuple[datetime, datetime] | None:
        """The first stretch of ``calendar``'s working time, in the ``days`` local days from
        ``start``, in which nobody is on duty, as (start, end) in UTC; None if there is none.

        Working intervals that touch (a day that works until midnight and the next one that
        starts then) are one stretch, so a gap across midnight is found whole.
        """
        begin = ensure_aware(start, "start")
        hours = list(_working_time(calendar, begin, days))
        if not hours:
            return None
        low, high = hours[0][0], hours[-1][1]
        covered = _union(heapq.merge(*(t.spans(low, high) for t in self._timelines)))
        span = next(covered, None)
        for hour_start, hour_end in hours:
            cursor = hour_start
            while cursor < hour_end:
                while span is not None and span[1] <= cursor:
                    span = next(covered, None)
                if span is None or span[0] > cursor:
                    return cursor, hour_end if span is None else min(hour_end, span[0])
                cursor = span[1]
        return None


def _working_time(
    calendar: BusinessCalendar, start: datetime, days: int
) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals of ``days`` local days from ``start`` on, touching ones joined."""
    first = start.astimezone(ZoneInfo(calendar.timezone)).date()
    pending: tuple[datetime, datetime] | None = None
    for offset in range(days):
        for low, high in calendar.working_intervals(first + timedelta(days=offset)):
            low = max(low, start)
            if high <= low:
                continue
            if pending is not None and pending[1] >= low:
                pending = (pending[0], max(pending[1], high))
                continue
            if pending is not None:
                yield pending
            pending = (low, high)
    if pending is not None:
        yield pending


def _union(
    spans: Iterable[tuple[datetime, datetime]],
) -> Iterator[tuple[datetime, datetime]]:
    """Spans sorted by start, merged where they overlap or touch."""
    pending: tuple[datetime, datetime] | None = None
    for low, high in spans:
        if pending is not None and low <= pending[1]:
            pending = (pending[0], max(pending[1], high))
            continue
        if pending is not None:
            yield pending
        pending = (low, high)
    if pending is not None:
        yield pending
