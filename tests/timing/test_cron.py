"""Cron fire times found by arithmetic, against hand-worked instants and croniter's own walk."""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import CroniterBadDateError, croniter

from escflow.timing._cron import CronSchedule

PARIS = ZoneInfo("Europe/Paris")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fires(expr: str, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    return list(CronSchedule(expr, zone).fires(start, end))


# -- the clock table, by hand ---------------------------------------------------------------
# Paris: Sun 2026-03-29 02:00 CET becomes 03:00 CEST (01:00 UTC); Sun 2026-10-25 03:00 CEST
# becomes 02:00 CET (01:00 UTC), so 02:00-03:00 is shown twice.


def test_a_fixed_time_the_clock_skips_fires_as_it_jumps() -> None:
    assert fires("30 2 * * *", PARIS, utc(2026, 3, 28), utc(2026, 3, 31)) == [
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 0),  # 02:30 does not exist: 03:00 CEST, the jump
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]


def test_times_the_clock_skips_and_the_time_it_lands_on_are_one_fire() -> None:
    # Every half hour: 02:00 and 02:30 are skipped and land with 03:00 on the jump.
    assert fires("*/30 * * * *", PARIS, utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)) == [
        utc(2026, 3, 29, 0, 0),  # 01:00 CET
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST
        utc(2026, 3, 29, 1, 30),
    ]
    # At a quarter past: 02:15 is skipped, and fires at the jump, between 01:15 and 03:15.
    assert fires("15 * * * *", PARIS, utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)) == [
        utc(2026, 3, 29, 0, 15),
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 29, 1, 15),
    ]


def test_a_repeated_time_fires_once_when_fixed_and_twice_otherwise() -> None:
    assert fires("30 2 * * *", PARIS, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)) == [
        utc(2026, 10, 25, 0, 30)  # 02:30 CEST only
    ]
    assert fires("*/30 * * * *", PARIS, utc(2026, 10, 25, 0), utc(2026, 10, 25, 2)) == [
        utc(2026, 10, 25, 0, 0),  # 02:00 CEST
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 1, 0),  # 02:00 CET
        utc(2026, 10, 25, 1, 30),  # 02:30 CET
    ]


def test_counts_over_years_match_the_calendar() -> None:
    # Weekdays at 09:00 Paris from Mon 2024-01-01 to Fri 2026-12-31: count the weekdays.
    weekdays = sum(
        1
        for n in range((date(2027, 1, 1) - date(2024, 1, 1)).days)
        if (date(2024, 1, 1) + timedelta(days=n)).weekday() < 5
    )
    schedule = CronSchedule("0 9 * * mon-fri", PARIS)
    assert schedule.count(utc(2024, 1, 1), utc(2027, 1, 1)) == weekdays
    # 29 February: 2024 and 2028 between 2023 and 2030.
    assert CronSchedule("0 0 29 2 *", PARIS).count(utc(2023, 1, 1), utc(2030, 1, 1)) == 2


def test_a_schedule_that_ends_says_so() -> None:
    schedule = CronSchedule("0 9 5 1 * 0 2026", ZoneInfo("UTC"))
    assert schedule.first_after(utc(2025, 6, 1)) == utc(2026, 1, 5, 9)
    assert schedule.first_after(utc(2026, 1, 5, 9)) is None
    assert schedule.last_through(utc(2031, 1, 1), utc(2020, 1, 1)) == utc(2026, 1, 5, 9)
    assert schedule.last_through(utc(2026, 1, 5, 8), utc(2020, 1, 1)) is None


# -- against croniter's walk ------------------------------------------------------------------


def fixed(expr: str) -> bool:
    fields = expr.split()
    if fields[0].startswith("@"):
        return fields[0] != "@hourly"
    return "*" not in fields[0] and "*" not in fields[1]


def walked(expr: str, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The fires in [start, end) as croniter walks them, with the clock table's two rules
    croniter leaves to its user: a fixed time shown twice fires at its first showing only,
    and a skipped time (which croniter drops when the hour field is '*') fires at the jump."""
    found: set[datetime] = set()
    cron = croniter(expr, start.astimezone(zone) - timedelta(microseconds=1))
    while True:
        try:
            fire = cron.get_next(datetime)
        except CroniterBadDateError:
            break
        if fire.astimezone(UTC) >= end:
            break
        if not (fixed(expr) and fire.fold):
            found.add(fire.astimezone(UTC))
    moment = start
    while moment < end:  # find each jump forward by the hour, then to the second
        later = moment + timedelta(hours=1)
        before, after = moment.astimezone(zone).utcoffset(), later.astimezone(zone).utcoffset()
        assert before is not None
        assert after is not None
        if after > before:
            low, high = moment, later
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            jump = high.replace(microsecond=0)
            clock = (jump + before).replace(tzinfo=None)
            skipped = []
            while clock < (jump + after).replace(tzinfo=None):
                skipped.append(clock)
                clock += timedelta(minutes=1)
            if start <= jump < end and any(croniter.match(expr, c) for c in skipped):
                found.add(jump)
        moment = later
    return sorted(found)


EXPRESSIONS = [
    "*/15 * * * *",
    "0 8,20 * * *",
    "30 2 * * *",
    "*/15 2 * * *",
    "15 * * * *",
    "0 */2 * * *",
    "30 0 * * *",
    "30 23 * * mon-fri",
    "0 9 1,15 * mon",
    "0 0 L * *",
    "0 9 * * 5#2",
    "0 1 15W * *",
    "45 1 * 3,10,11 sun",
    "0,30 1-3 * * sat,sun",
    "@hourly",
    "@weekly",
]
# Zones whose clocks change at 02:00, 03:00 or midnight, forward and back.
ZONES = ["Europe/Paris", "America/New_York", "America/Santiago", "Asia/Beirut", "America/Havana"]


def clock_changes(zone: ZoneInfo, year: int) -> list[datetime]:
    """The days (as UTC midnights) on which ``zone`` changes its offset in ``year``."""
    found = []
    day = utc(year, 1, 1)
    while day.year == year:
        if (
            day.astimezone(zone).utcoffset()
            != (day + timedelta(days=1)).astimezone(zone).utcoffset()
        ):
            found.append(day)
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize("zone_name", ZONES)
def test_fires_and_counts_match_croniter_around_every_clock_change(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    changes = clock_changes(zone, 2026)
    assert len(changes) >= 2
    rng = random.Random(zone_name)
    for expr in EXPRESSIONS:
        schedule = CronSchedule(expr, zone)
        for change in changes:
            start, end = change - timedelta(days=3), change + timedelta(days=4)
            expected = walked(expr, zone, start, end)
            assert list(schedule.fires(start, end)) == expected, (expr, change)
            for _ in range(20):
                low = start + timedelta(seconds=rng.randrange(0, 3 * 86400))
                high = low + timedelta(seconds=rng.randrange(0, 3 * 86400))
                assert schedule.count(low, high) == bisect_right(expected, high) - bisect_left(
                    expected, low
                ), (expr, low, high)
                index = bisect_right(expected, high)
                last = expected[index - 1] if index and expected[index - 1] >= low else None
                assert schedule.last_through(high, low) == last, (expr, high)
                if index < len(expected):
                    assert schedule.first_after(high) == expected[index], (expr, high)


@pytest.mark.parametrize("expr", ["0 9 * * 5#2", "0 0 L * *", "0 1 15W * *", "0 9 1,15 * mon"])
def test_a_year_of_day_rules_matches_croniter(expr: str) -> None:
    start, end = utc(2026, 1, 1), utc(2027, 1, 1)
    expected = walked(expr, PARIS, start, end)
    schedule = CronSchedule(expr, PARIS)
    assert list(schedule.fires(start, end)) == expected
    assert schedule.count(start, end) == len(expected)
