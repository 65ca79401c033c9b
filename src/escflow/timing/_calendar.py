"""Business calendars: working hours, holidays and exact business-time arithmetic.

Working hours are given in local wall time and turned, one local day at a time, into UTC
intervals; all arithmetic then happens on those UTC intervals, so DST changes, holidays and
weekends are exact and every result is an aware UTC datetime.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

import holidays

from escflow.errors import TimeError
from escflow.timing._clock import ensure_aware, load_zone

__all__ = ["BusinessCalendar", "add_wall", "holidays_problem"]

MIDNIGHT = time(0)
ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)
# Past this many consecutive days without working time a search gives up instead of looping.
SEARCH_LIMIT_DAYS = 3660
# Bounds memory in a long-running service; a few years of days is plenty for a hot cache.
_DAY_CACHE_LIMIT = 4096
_WALL_UNITS = ("minutes", "hours", "days")

# One working interval in wall time: (start, end); end None means midnight ending the day.
_WallInterval: TypeAlias = tuple[time, time | None]
_Interval: TypeAlias = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class _Day:
    """The UTC working intervals of one local day, sorted, disjoint, with their total length."""

    intervals: tuple[_Interval, ...]
    total: timedelta


_NO_WORK = _Day((), ZERO)


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _wall_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    # fold=0 picks the first occurrence of an ambiguous time; for a time inside a
    # spring-forward gap zoneinfo applies the pre-transition offset, which is exactly
    # "shift forward by the gap" once converted.
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _end_to_utc(day: date, end: time | None, zone: ZoneInfo) -> datetime:
    if end is None:
        return _wall_to_utc(day + ONE_DAY, MIDNIGHT, zone)
    return _wall_to_utc(day, end, zone)


def holidays_problem(country: str, subdivision: str | None) -> str | None:
    """Why no public holidays can be had for ``country``/``subdivision``, or None if they can.

    The message rewords the ``holidays`` package's own, so a flow loader can report it.
    """
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as exc:
        where = (
            repr(country) if subdivision is None else f"{country!r}, subdivision {subdivision!r}"
        )
        return (
            f"no public holidays known for country {where} ({exc}); use an ISO 3166 code "
            "that the holidays package supports"
        )
    return None


def _check_date(value: object, what: str) -> date:
    # datetime is a subclass of date; its calendar day depends on a timezone, so refuse it.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TimeError(f"{what} must be a date (not a datetime), got {value!r}")
    return value


class BusinessCalendar:
    """Working hours in one timezone, minus holidays, with exact business-time arithmetic.

    ``hours`` maps a weekday (0 = Monday .. 6 = Sunday) to its working intervals in local wall
    time; an interval is ``(start, end)`` with ``start < end``, or ``end == time(0)`` meaning
    the midnight that ends the day (so ``(time(0), time(0))`` is the whole day). Intervals of
    one day must not overlap; touching ones are merged. Weekdays absent or empty do not work.

    A day does not work if it is in ``closed_dates`` or is a public holiday of
    ``holiday_country``/``holiday_subdivision`` (from the ``holidays`` package), unless it is
    in ``open_dates``. An open date uses its weekday's hours or, when its weekday has none,
    the calendar's *usual day*: the hours of the first weekday (Monday first) whose working
    length is the most common one (ties: the longest).

    ``day_minutes`` is the length of one business day; by default the most common daily
    working length among the weekdays that work (ties: the longest), rounded down to whole
    minutes.

    Wall times are converted per day: a time that does not exist (spring forward) is shifted
    forward by the gap, an ambiguous one (fall back) is its first occurrence; an interval
    across a DST change counts its real elapsed time.

    Per-day intervals and per-year holidays are cached, so arithmetic over a few weeks costs
    microseconds once the days have been seen.
    """

    def __init__(
        self,
        *,
        name: str,
        timezone: str,
        hours: Mapping[int, Sequence[tuple[time, time]]],
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        closed_dates: Iterable[date] = (),
        open_dates: Iterable[date] = (),
        day_minutes: int | None = None,
    ) -> None:
        """Build and validate the calendar; every problem raises :class:`TimeError`."""
        self.name = name
        self.timezone = timezone
        self._zone = load_zone(timezone, f"calendar {name!r}: timezone")
        self._hours = self._normalise_hours(hours)
        lengths = {wd: sum(self._lengths(iv)) for wd, iv in self._hours.items() if iv}
        if not lengths:
            raise TimeError(
                f"calendar {name!r} has no working time at all: give at least one weekday "
                "(0 = Monday .. 6 = Sunday) a working interval"
            )
        counts = Counter(lengths.values())
        usual_length = max(counts, key=lambda length: (counts[length], length))
        usual_weekday = min(wd for wd, length in lengths.items() if length == usual_length)
        self._usual_hours = self._hours[usual_weekday]
        if day_minutes is None:
            day_minutes = usual_length // 60
        if isinstance(day_minutes, bool) or not isinstance(day_minutes, int) or day_minutes <= 0:
            raise TimeError(
                f"calendar {name!r}: day_minutes must be a positive whole number of minutes, "
                f"got {day_minutes!r}"
            )
        self.day_minutes: int = day_minutes

        where = f"calendar {name!r}"
        self._closed = frozenset(_check_date(d, f"{where}: closed date") for d in closed_dates)
        self._open = frozenset(_check_date(d, f"{where}: open date") for d in open_dates)
        both = sorted(self._closed & self._open)
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            raise TimeError(f"calendar {name!r}: {listed} cannot be both a closed and an open date")

        self.holiday_country = holiday_country
        self.holiday_subdivision = holiday_subdivision
        if holiday_country is None and holiday_subdivision is not None:
            raise TimeError(
                f"calendar {name!r}: holiday_subdivision {holiday_subdivision!r} "
                "needs a holiday_country"
            )
        if holiday_country is not None:
            problem = holidays_problem(holiday_country, holiday_subdivision)
            if problem is not None:
                raise TimeError(f"calendar {name!r}: {problem}")
        self._holidays: dict[int, dict[date, str]] = {}
        self._days: dict[date, _Day] = {}
        # The working interval the last addition ended in: tickets escalate in bursts, and
        # most additions start and end inside the same interval as the one before.
        self._hint: _Interval | None = None

    def __repr__(self) -> str:
        return f"BusinessCalendar(name={self.name!r}, timezone={self.timezone!r})"

    # -- construction helpers -------------------------------------------------------------

    def _normalise_hours(
        self, hours: Mapping[int, Sequence[tuple[time, time]]]
    ) -> dict[int, tuple[_WallInterval, ...]]:
        where = f"calendar {self.name!r}"
        result: dict[int, tuple[_WallInterval, ...]] = dict.fromkeys(range(7), ())
        for weekday, intervals in hours.items():
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise TimeError(
                    f"{where}: weekday {weekday!r} must be an int from 0 (Monday) to 6 (Sunday)"
                )
            parsed: list[_WallInterval] = []
            for interval in intervals:
                try:
                    start, end = interval
                except (TypeError, ValueError) as exc:
                    raise TimeError(
                        f"{where}: weekday {weekday} interval {interval!r} must be a "
                        "(start, end) pair of datetime.time"
                    ) from exc
                for value in (start, end):
                    if not isinstance(value, time) or value.tzinfo is not None:
                        raise TimeError(
                            f"{where}: weekday {weekday} interval {interval!r}: {value!r} must "
                            "be a datetime.time without tzinfo (the calendar's timezone applies)"
                        )
                if end == MIDNIGHT:
                    parsed.append((start, None))
                elif start < end:
                    parsed.append((start, end))
                else:
                    raise TimeError(
                        f"{where}: weekday {weekday} interval {start}-{end} must start before "
                        "it ends (use time(0) as end for midnight; split overnight work "
                        "across two weekdays)"
                    )
            parsed.sort(key=lambda iv: iv[0])
            merged: list[_WallInterval] = []
            for begin, finish in parsed:
                if merged:
                    prev_begin, prev_finish = merged[-1]
                    if prev_finish is None or prev_finish > begin:
                        raise TimeError(
                            f"{where}: weekday {weekday} intervals starting at {prev_begin} "
                            f"and {begin} overlap"
                        )
                    if prev_finish == begin:
                        merged[-1] = (prev_begin, finish)
                        continue
                merged.append((begin, finish))
            result[weekday] = tuple(merged)
        return result

    @staticmethod
    def _lengths(intervals: Iterable[_WallInterval]) -> Iterator[int]:
        for start, end in intervals:
            yield (86400 if end is None else _seconds(end)) - _seconds(start)

    # -- holidays ----------------------------------------------------------------------------

    def _public_holidays(self, year: int) -> dict[date, str]:
        cached = self._holidays.get(year)
        if cached is None:
            if self.holiday_country is None:
                cached = {}
            else:
                table = holidays.country_holidays(
                    self.holiday_country, subdiv=self.holiday_subdivision, years=year
                )
                cached = {day: str(label) for day, label in table.items() if day.year == year}
            self._holidays[year] = cached
        return cached

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is closed as a holiday: a public holiday or a closed date.

        A date listed in ``open_dates`` is never a holiday; weekends are not holidays.
        """
        day = _check_date(day, "day")
        if day in self._open:
            return False
        return day in self._closed or day in self._public_holidays(day.year)

    def holiday_name(self, day: date) -> str | None:
        """The holiday's name when :meth:`is_holiday` is true, else None.

        Public holidays carry the ``holidays`` package's name; a closed date that is not a
        public holiday is named ``"closed"``.
        """
        day = _check_date(day, "day")
        if day in self._open:
            return None
        public = self._public_holidays(day.year).get(day)
        if public is not None:
            return public
        return "closed" if day in self._closed else None

    # -- per-day intervals -------------------------------------------------------------------

    def _wall_hours(self, day: date) -> tuple[_WallInterval, ...]:
        weekly = self._hours[day.weekday()]
        if day in self._open:
            return weekly or self._usual_hours
        if not weekly or day in self._closed or day in self._public_holidays(day.year):
            return ()
        return weekly

    def _day(self, day: date) -> _Day:
        cached = self._days.get(day)
        if cached is not None:
            return cached
        wall = self._wall_hours(day)
        if not wall:
            result = _NO_WORK
        else:
            zone = self._zone
            # Shifting gap times forward can push a start before the previous interval's end
            # (or make an interval empty); clamping keeps the day's intervals disjoint.
            floor = _wall_to_utc(day, MIDNIGHT, zone)
            intervals: list[_Interval] = []
            for wall_start, wall_end in wall:
                start = max(_wall_to_utc(day, wall_start, zone), floor)
                end = _end_to_utc(day, wall_end, zone)
                if end <= start:
                    continue
                if intervals and intervals[-1][1] == start:
                    start = intervals.pop()[0]
                intervals.append((start, end))
                floor = end
            total = sum((e - s for s, e in intervals), ZERO)
            result = _Day(tuple(intervals), total) if intervals else _NO_WORK
        if len(self._days) >= _DAY_CACHE_LIMIT:
            self._days.clear()
        self._days[day] = result
        return result

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self._zone).date()

    def _days_from(self, instant: datetime) -> Iterator[_Day]:
        """Yield the days from the one before ``instant``'s local day onwards.

        Starting a day early costs one cached lookup and covers any interval that a DST shift
        pushed past local midnight. Raises once 3660 consecutive days have had no work.
        """
        day = self._local_date(instant) - ONE_DAY
        idle = 0
        while True:
            current = self._day(day)
            if current.intervals:
                idle = 0
            else:
                idle += 1
                if idle > SEARCH_LIMIT_DAYS:
                    raise TimeError(
                        f"calendar {self.name!r} has no working time in the "
                        f"{SEARCH_LIMIT_DAYS} days before {day.isoformat()}; "
                        "check its closed dates and hours"
                    )
            yield current
            day += ONE_DAY

    # -- public API --------------------------------------------------------------------------

    def working_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of the local date ``day``, as (start, end) pairs in UTC."""
        return list(self._day(_check_date(day, "day")).intervals)

    def is_working(self, instant: datetime) -> bool:
        """Whether ``instant`` is inside a working interval (start included, end excluded)."""
        at = ensure_aware(instant, "instant")
        local = self._local_date(at)
        for day in (local - ONE_DAY, local):
            for start, end in self._day(day).intervals:
                if start <= at < end:
                    return True
        return False

    def next_working(self, instant: datetime) -> datetime:
        """``instant`` itself (in UTC) if it is working, else the start of the next interval."""
        at = ensure_aware(instant, "instant")
        for current in self._days_from(at):
            if current.intervals and current.intervals[-1][1] > at:
                for start, end in current.intervals:
                    if end > at:
                        return max(start, at)
        raise AssertionError("unreachable: _days_from is endless")  # pragma: no cover

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant ``minutes`` of working time after ``start``, in UTC.

        A non-working ``start`` first moves to the next working instant; adding 0 returns
        ``start`` unchanged. When the time runs out exactly at the end of an interval, that
        end is returned (16:30 + 30 min on a 09:00-17:00 day is 17:00 the same day).
        """
        at = ensure_aware(start, "start")
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not minutes >= 0:
            raise TimeError(
                f"calendar {self.name!r}: minutes must be a number >= 0, got {minutes!r}"
            )
        if minutes == 0:
            return at
        remaining = timedelta(minutes=minutes)
        hint = self._hint
        if hint is not None and hint[0] <= at and at + remaining <= hint[1]:
            return at + remaining
        cursor = at
        for current in self._days_from(at):
            intervals = current.intervals
            if not intervals or intervals[-1][1] <= cursor:
                continue
            if intervals[0][0] >= cursor and current.total < remaining:
                # The whole day fits: skip it without looking at its intervals.
                remaining -= current.total
                cursor = intervals[-1][1]
                continue
            for interval_start, interval_end in intervals:
                if interval_end <= cursor:
                    continue
                begin = max(interval_start, cursor)
                available = interval_end - begin
                if remaining <= available:
                    self._hint = (interval_start, interval_end)
                    return begin + remaining
                remaining -= available
                cursor = interval_end
        raise AssertionError("unreachable: _days_from is endless")  # pragma: no cover

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """``add_business_minutes(start, days * day_minutes)``."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise TimeError(
                f"calendar {self.name!r}: days must be a whole number >= 0, got {days!r}"
            )
        return self.add_business_minutes(start, days * self.day_minutes)

    def business_minutes_between(self, a: datetime, b: datetime) -> float:
        """Working minutes elapsed from ``a`` to ``b`` (``a <= b``), exact to the microsecond."""
        begin = ensure_aware(a, "a")
        finish = ensure_aware(b, "b")
        if finish < begin:
            raise TimeError(
                f"business_minutes_between needs a <= b, got a={begin.isoformat()} "
                f"after b={finish.isoformat()}"
            )
        total = ZERO
        cursor = begin
        last_day = self._local_date(finish) + ONE_DAY
        day = self._local_date(begin) - ONE_DAY
        while day <= last_day:
            for start, end in self._day(day).intervals:
                lo = max(start, cursor)
                hi = min(end, finish)
                if hi > lo:
                    total += hi - lo
                    cursor = hi
            day += ONE_DAY
        return total / timedelta(minutes=1)


def add_wall(start: datetime, amount: int, unit: str, tz: str) -> datetime:
    """Add wall-clock time, ignoring working hours; the result is in UTC.

    ``unit`` is ``"minutes"`` or ``"hours"`` (elapsed time) or ``"days"``: calendar days in
    the IANA zone ``tz`` at the same local clock time, so one day across a DST change is 23
    or 25 hours elapsed. A resulting local time that does not exist is shifted forward by the
    gap; an ambiguous one is its first occurrence.
    """
    at = ensure_aware(start, "start")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TimeError(f"add_wall amount must be a whole number, got {amount!r}")
    zone = load_zone(tz)
    if unit == "minutes":
        return at + timedelta(minutes=amount)
    if unit == "hours":
        return at + timedelta(hours=amount)
    if unit == "days":
        local = at.astimezone(zone).replace(tzinfo=None) + timedelta(days=amount)
        return local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    raise TimeError(f"add_wall unit {unit!r} is not one of {', '.join(_WALL_UNITS)}")
