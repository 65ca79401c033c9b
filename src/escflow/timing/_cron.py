"""Cron schedules in one time zone: when an expression fires, found and counted by arithmetic.

croniter reads the expression (and walks the days of those with ``#`` or ``W``, once per
month); from then on a fire time is a clock time of the expression on a day it matches,
and the instant it names follows the zone's clock:

=====================================  ===================================================
the clock time on that day             fires
=====================================  ===================================================
is shown once                          then
is shown twice (the clocks go back)    at its first showing when the expression has fixed
                                       times (no ``*`` in its minute or hour field, as cron
                                       runs such a job once); at both showings otherwise
is never shown (the clocks go forward) when the clock jumps over it; the times one jump
                                       skips, and a fire time the clock shows as it lands,
                                       are one fire
=====================================  ===================================================

Counting the fires between two instants looks at the days at both ends one by one and
counts the days in between from a cached count of matching days per month, adding what
each clock change in between gives or takes: a lookup years away costs a few microseconds
once the months are counted (31 day checks per month, once), and no croniter step.
"""

from __future__ import annotations

import calendar
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, CroniterError, croniter

from escflow.timing._wall import jump, occurrences

__all__ = ["CronSchedule", "validate_cron"]

# A fixed, early instant to check that an expression fires at all (e.g. "0 9 31 2 *" never does).
_PROBE = datetime(2000, 1, 1, tzinfo=UTC)
ONE_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
# Searches for the next or previous fire stop at these years (escflow's instants lie within).
_FIRST_YEAR, _LAST_YEAR = 1900, 2999
_MINUTE, _HOUR, _DOM, _MONTH, _DOW, _SECOND, _YEAR = range(7)


def validate_cron(expr: str) -> str | None:
    """Return None if ``expr`` is a usable cron expression, else a short message saying why not.

    Accepts what croniter accepts (5 fields, or 6/7 with seconds and year), and additionally
    refuses expressions that never fire, such as ``"0 9 31 2 *"``.
    """
    if not isinstance(expr, str) or not expr.strip():
        return "cron expression is empty"
    try:
        croniter.expand(expr)
    except CroniterError as exc:
        return f"invalid cron expression {expr!r}: {exc}"
    try:
        croniter(expr, _PROBE).get_next(datetime)
    except CroniterBadDateError:
        return f"cron expression {expr!r} never fires"
    return None


def fixed_times(expr: str) -> bool:
    """Whether ``expr`` fires at fixed clock times (no ``*`` in its minute or hour field;
    of the aliases, all but ``@hourly``): such a time shown twice fires once."""
    fields = expr.split()
    if fields[0].startswith("@"):
        return fields[0].lower() != "@hourly"
    return "*" not in fields[0] and "*" not in fields[1]


@dataclass(frozen=True, slots=True)
class _Day:
    """The fire instants of one local day: ``base`` plus each of ``seconds`` (sorted)."""

    base: datetime
    seconds: tuple[int, ...]

    def through(self, instant: datetime) -> int:
        """How many fires are at or before ``instant``."""
        return bisect_right(self.seconds, (instant - self.base) // _MICROSECOND // 1_000_000)

    def before(self, instant: datetime) -> int:
        """How many fires are before ``instant``."""
        microseconds = (instant - self.base) // _MICROSECOND
        return bisect_left(self.seconds, -(-microseconds // 1_000_000))

    def at(self, index: int) -> datetime:
        return self.base + timedelta(seconds=self.seconds[index])


_NONE = _Day(datetime(2000, 1, 1, tzinfo=UTC), ())


@lru_cache(maxsize=512)
def _changed_days(zone: ZoneInfo, year: int) -> frozenset[date]:
    """The days of ``year`` whose clock does not run evenly from midnight to midnight in
    ``zone``: the offset changes during the day, or at one of its midnights."""
    found: set[date] = set()
    day = date(year, 1, 1)
    previous = _midnight_offsets(zone, day)
    while day.year == year:
        following = _midnight_offsets(zone, day + ONE_DAY)
        if len(previous | following) > 1:
            found.add(day)
        previous = following
        day += ONE_DAY
    return frozenset(found)


def _midnight_offsets(zone: ZoneInfo, day: date) -> frozenset[timedelta | None]:
    midnight = datetime.combine(day, time(0))
    return frozenset(midnight.replace(tzinfo=zone, fold=fold).utcoffset() for fold in (0, 1))


class CronSchedule:
    """The fire times of one cron expression, evaluated in one zone (see the module's table).

    ``count``, ``last_through`` and ``first_after`` answer without stepping croniter;
    instances are thread-safe. ``expr`` must be valid (:func:`validate_cron`).
    """

    def __init__(self, expr: str, zone: ZoneInfo) -> None:
        cron = croniter(expr)
        expanded = [_field(values) for values in cron.expanded]
        self.expr = expr
        self._zone = zone
        self._once = fixed_times(expr)
        seconds: list[int | str] = expanded[_SECOND] if len(expanded) > _SECOND else [0]
        self._times = tuple(
            sorted(
                hour * 3600 + minute * 60 + second
                for hour in _values(expanded[_HOUR], 24)
                for minute in _values(expanded[_MINUTE], 60)
                for second in _values(seconds, 60)
            )
        )
        self._years = (
            frozenset(_numbers(expanded[_YEAR]))
            if len(expanded) > _YEAR and expanded[_YEAR] != ["*"]
            else None
        )
        self._months = None if expanded[_MONTH] == ["*"] else frozenset(_numbers(expanded[_MONTH]))
        doms, dows = expanded[_DOM], expanded[_DOW]
        self._doms = None if doms == ["*"] else frozenset(_numbers(doms))
        self._last_dom = "l" in doms
        self._dows = None if dows == ["*"] else frozenset(_numbers(dows))
        # '#' (the nth weekday) and 'W' (the nearest weekday) mix the day fields in ways
        # croniter defines: for those, croniter walks the days of each month (at midnight,
        # without a zone, so no clock change is involved).
        walked = bool(cron.nth_weekday_of_month or cron.nearest_weekday)
        self._day_expr = _day_expression(expr) if walked else None
        self._lock = threading.Lock()
        self._months_seen: dict[int, tuple[int, ...]] = {}
        self._base: int | None = None  # the first month of _prefix
        self._prefix: list[int] = []  # matching days in the months before each month
        self._changed: dict[date, _Day] = {}

    def __repr__(self) -> str:
        return f"CronSchedule({self.expr!r}, {self._zone.key!r})"

    # -- matching days ------------------------------------------------------------------

    def _month(self, number: int) -> tuple[int, ...]:
        """Cumulative matching days of month ``number`` (year * 12 + month - 1): item k is
        how many of its days 1..k match."""
        found = self._months_seen.get(number)
        if found is None:
            year, month = divmod(number, 12)
            length = calendar.monthrange(year, month + 1)[1]
            if self._day_expr is not None:
                matching = self._walked_days(year, month + 1)
            else:
                matching = {d for d in range(1, length + 1) if self._matches(year, month + 1, d)}
            counts = [0]
            for day in range(1, length + 1):
                counts.append(counts[-1] + (day in matching))
            found = self._months_seen[number] = tuple(counts)
        return found

    def _matches(self, year: int, month: int, day: int) -> bool:
        if self._years is not None and year not in self._years:
            return False
        if self._months is not None and month not in self._months:
            return False
        in_month = self._doms is None or day in self._doms
        if self._last_dom and day == calendar.monthrange(year, month)[1]:
            in_month = True
        in_week = self._dows is None or (calendar.weekday(year, month, day) + 1) % 7 in self._dows
        if (self._doms is not None or self._last_dom) and self._dows is not None:
            return in_month or in_week  # cron: either day field, when both are restricted
        return in_month and in_week

    def _walked_days(self, year: int, month: int) -> set[int]:
        assert self._day_expr is not None
        days: set[int] = set()
        cron = croniter(self._day_expr, datetime(year, month, 1) - _MICROSECOND)
        while True:
            try:
                found = cron.get_next(datetime)
            except CroniterBadDateError:
                return days
            if (found.year, found.month) != (year, month):
                return days
            days.add(found.day)

    def _matching_between(self, low: date, high: date) -> int:
        """How many days from ``low`` up to, not including, ``high`` match."""
        before_low = self._matching_before(low)  # first: it may move the first month back
        return self._matching_before(high) - before_low

    def _matching_before(self, day: date) -> int:
        """How many matching days lie between the first month counted and ``day``."""
        number = day.year * 12 + day.month - 1
        if self._base is None:
            self._base, self._prefix = number, [0]
        if number < self._base:  # an earlier month than any before: count from there
            earlier = [0]
            for month in range(number, self._base):
                earlier.append(earlier[-1] + self._month(month)[-1])
            self._prefix = earlier[:-1] + [count + earlier[-1] for count in self._prefix]
            self._base = number
        while len(self._prefix) <= number - self._base:
            month = self._base + len(self._prefix) - 1
            self._prefix.append(self._prefix[-1] + self._month(month)[-1])
        return self._prefix[number - self._base] + self._month(number)[day.day - 1]

    def _day_matches(self, day: date) -> bool:
        counts = self._month(day.year * 12 + day.month - 1)
        return counts[day.day] > counts[day.day - 1]

    # -- the fires of one day --------------------------------------------------------------

    def _day(self, day: date) -> _Day:
        if not _FIRST_YEAR <= day.year <= _LAST_YEAR or not self._day_matches(day):
            return _NONE
        if day in _changed_days(self._zone, day.year):
            found = self._changed.get(day)
            if found is None:
                found = self._changed[day] = self._changed_day(day)
            return found
        midnight = datetime.combine(day, time(0), tzinfo=self._zone).astimezone(UTC)
        return _Day(midnight, self._times)

    def _changed_day(self, day: date) -> _Day:
        """The fires of a day the clocks change on, time by time (see the module's table)."""
        midnight = datetime.combine(day, time(0))
        base = midnight.replace(tzinfo=self._zone).astimezone(UTC)
        instants: set[datetime] = set()
        for seconds in self._times:
            clock = midnight + timedelta(seconds=seconds)
            shown = occurrences(clock, self._zone)
            if not shown:
                instants.add(jump(clock, self._zone))
            else:
                instants.update(shown[:1] if self._once else shown)
        return _Day(base, tuple(sorted((i - base) // timedelta(seconds=1) for i in instants)))

    def _local_day(self, instant: datetime) -> date:
        return instant.astimezone(self._zone).date()

    # -- queries -------------------------------------------------------------------------

    def count(self, start: datetime, end: datetime) -> int:
        """How many fires lie in ``[start, end]`` (both UTC, ``start <= end``)."""
        first, last = self._local_day(start), self._local_day(end)
        with self._lock:
            # A day's fires all come after the fires of the day before; one day of margin
            # on each side keeps a clock change at midnight from mattering.
            if (last - first).days <= 4:
                ends = [first + ONE_DAY * k for k in range(-1, (last - first).days + 2)]
                middle = 0
            else:
                ends = [first - ONE_DAY, first, first + ONE_DAY, last - ONE_DAY, last]
                ends.append(last + ONE_DAY)
                middle = self._whole_days(first + 2 * ONE_DAY, last - ONE_DAY)
            total = middle
            for day in ends:
                fires = self._day(day)
                if fires.seconds:
                    total += fires.through(end) - fires.before(start)
            return total

    def _whole_days(self, low: date, high: date) -> int:
        """Fires on the days from ``low`` up to, not including, ``high``."""
        total = len(self._times) * self._matching_between(low, high)
        for year in range(low.year, high.year + 1):
            for day in _changed_days(self._zone, year):
                if low <= day < high and self._day_matches(day):
                    total += len(self._day(day).seconds) - len(self._times)
        return total

    def last_through(self, instant: datetime, not_before: datetime) -> datetime | None:
        """The last fire at or before ``instant`` and not before ``not_before``, or None."""
        with self._lock:
            day = self._local_day(instant)
            floor = self._local_day(not_before) - ONE_DAY
            best: datetime | None = None
            for near in (day - ONE_DAY, day, day + ONE_DAY):
                fires = self._day(near)
                index = fires.through(instant) if fires.seconds else 0
                if index and (best is None or fires.at(index - 1) > best):
                    best = fires.at(index - 1)
            day -= 2 * ONE_DAY
            while best is None and day >= floor and day.year >= _FIRST_YEAR:
                if self._month(day.year * 12 + day.month - 1)[day.day] == 0:
                    day = day.replace(day=1) - ONE_DAY  # no matching day this month up to here
                    continue
                fires = self._day(day)
                if fires.seconds:
                    best = fires.at(len(fires.seconds) - 1)
                day -= ONE_DAY
            return best if best is not None and best >= not_before else None

    def first_after(self, instant: datetime) -> datetime | None:
        """The first fire after ``instant``, or None when the expression never fires again."""
        with self._lock:
            day = self._local_day(instant)
            best: datetime | None = None
            for near in (day - ONE_DAY, day, day + ONE_DAY):
                fires = self._day(near)
                index = fires.through(instant) if fires.seconds else 0
                if index < len(fires.seconds) and (best is None or fires.at(index) < best):
                    best = fires.at(index)
            day += 2 * ONE_DAY
            last_year = max(self._years) if self._years is not None else _LAST_YEAR
            while best is None and day.year <= last_year:
                counts = self._month(day.year * 12 + day.month - 1)
                if counts[-1] == counts[day.day - 1]:  # no matching day left this month
                    day = day.replace(day=len(counts) - 1) + ONE_DAY
                    continue
                fires = self._day(day)
                if fires.seconds:
                    best = fires.at(0)
                day += ONE_DAY
            return best

    def fires(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """The fires in ``[start, end)``, in order."""
        day, last = self._local_day(start) - ONE_DAY, self._local_day(end) + ONE_DAY
        while day <= last:
            with self._lock:
                fires = self._day(day)
            for seconds in fires.seconds:
                instant = fires.base + timedelta(seconds=seconds)
                if start <= instant < end:
                    yield instant
            day += ONE_DAY


def _field(values: Sequence[object]) -> list[int | str]:
    """One field as croniter expands it: numbers, '*' (every value) or 'l' (the last day)."""
    return [v if isinstance(v, int) else str(v) for v in values]


def _numbers(field: list[int | str]) -> list[int]:
    return [v for v in field if isinstance(v, int)]


def _values(field: list[int | str], size: int) -> list[int]:
    """The values of one expanded time field ('*' is every value)."""
    return list(range(size)) if field == ["*"] else _numbers(field)


def _day_expression(expr: str) -> str:
    """``expr`` with its time of day set to midnight: its days, one fire each."""
    fields = expr.split()
    days = fields[2:5]
    if len(fields) == 5:
        return " ".join(["0", "0", *days])
    return " ".join(["0", "0", *days, "0", *fields[6:]])
