"""Tests of on-duty rotations, against hand-computed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from escflow.errors import TimeError
from escflow.timing._rotation import Rotation, Shift, validate_cron

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
WEEK = 7 * 24 * 60


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly() -> Rotation:
    # Handover every Monday 09:00 Paris time; Mon 2026-01-05 09:00 is shift 0 (alice).
    shift = Shift(
        cron="0 9 * * 1",
        duration_minutes=WEEK,
        members=["alice", "bob", "carol"],
        anchor=datetime(2026, 1, 5, 9, 0, tzinfo=PARIS),
    )
    return Rotation("Europe/Paris", [shift])


def day_shift() -> Rotation:
    # 08:00-17:00 Paris on weekdays; Mon 2026-01-05 08:00 is the first start after the anchor.
    shift = Shift(
        cron="0 8 * * 1-5",
        duration_minutes=9 * 60,
        members=["dan", "eve"],
        anchor=datetime(2026, 1, 5, 0, 0, tzinfo=PARIS),
    )
    return Rotation("Europe/Paris", [shift])


# -- weekly rotation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "member"),
    [
        # Week 0: Wed 2026-01-07 12:00 -> shift 0 -> alice.
        (datetime(2026, 1, 7, 12, 0, tzinfo=PARIS), "alice"),
        # Week 1: Wed 2026-01-14 -> shift 1 -> bob.
        (datetime(2026, 1, 14, 12, 0, tzinfo=PARIS), "bob"),
        # Week 2: Wed 2026-01-21 -> shift 2 -> carol.
        (datetime(2026, 1, 21, 12, 0, tzinfo=PARIS), "carol"),
        # Week 3: Wed 2026-01-28 -> shift 3 -> 3 % 3 = 0 -> alice again.
        (datetime(2026, 1, 28, 12, 0, tzinfo=PARIS), "alice"),
        # Handover: Mon 2026-01-12 08:59 is still alice's, 09:00 is bob's.
        (datetime(2026, 1, 12, 8, 59, tzinfo=PARIS), "alice"),
        (datetime(2026, 1, 12, 9, 0, tzinfo=PARIS), "bob"),
        # The anchor itself starts shift 0; a minute before, the shift that started on
        # Mon 2025-12-29 is before the anchor and belongs to nobody.
        (datetime(2026, 1, 5, 9, 0, tzinfo=PARIS), "alice"),
        (datetime(2026, 1, 5, 8, 59, tzinfo=PARIS), None),
        # Mon 2027-01-04 is 52 weeks after the anchor: shift 52 -> 52 % 3 = 1 -> bob.
        (datetime(2027, 1, 6, 12, 0, tzinfo=PARIS), "bob"),
    ],
)
def test_weekly_rotation_names_the_right_member(instant: datetime, member: str | None) -> None:
    assert weekly().on_duty(instant) == member


def test_weekly_rotation_answers_out_of_order_queries() -> None:
    rotation = weekly()
    # Far query first (walks 52 weeks), then earlier ones answered from checkpoints.
    assert rotation.on_duty(datetime(2027, 1, 6, 12, tzinfo=PARIS)) == "bob"
    assert rotation.on_duty(datetime(2026, 1, 21, 12, tzinfo=PARIS)) == "carol"
    assert rotation.on_duty(datetime(2026, 1, 7, 12, tzinfo=PARIS)) == "alice"
    assert rotation.on_duty(datetime(2026, 6, 3, 12, tzinfo=PARIS)) == rotation.on_duty(
        datetime(2026, 6, 3, 12, tzinfo=PARIS)
    )


def test_weekly_rotation_next_change() -> None:
    rotation = weekly()
    # During week 0 the next handover is Mon 2026-01-12 09:00 CET = 08:00 UTC.
    assert rotation.next_change(datetime(2026, 1, 7, 12, tzinfo=PARIS)) == utc(2026, 1, 12, 8)
    # Before the anchor, the next change is the anchor's shift start: 08:00 UTC.
    assert rotation.next_change(datetime(2026, 1, 1, tzinfo=PARIS)) == utc(2026, 1, 5, 8)


def test_weekly_rotation_over_fall_back_leaves_an_hour_uncovered() -> None:
    # Durations are elapsed time: the shift starting Mon 2026-10-19 09:00 CEST lasts 168 h and
    # ends Mon 2026-10-26 08:00 CET, because that week has 169 h. The next shift starts at
    # 09:00 CET, so nobody is on duty for that hour. Shift 41 (19 Oct) -> 41 % 3 = 2 -> carol;
    # shift 42 (26 Oct) -> 0 -> alice.
    rotation = weekly()
    assert rotation.on_duty(datetime(2026, 10, 26, 7, 59, tzinfo=PARIS)) == "carol"
    assert rotation.on_duty(datetime(2026, 10, 26, 8, 30, tzinfo=PARIS)) is None
    assert rotation.on_duty(datetime(2026, 10, 26, 9, 0, tzinfo=PARIS)) == "alice"
    # 08:00 CET is 07:00 UTC: the end of carol's shift is the next change.
    assert rotation.next_change(datetime(2026, 10, 26, 7, 30, tzinfo=PARIS)) == utc(2026, 10, 26, 7)


# -- weekday day shift ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "member"),
    [
        # Mon 2026-01-05 08:00 is shift 0 -> dan; Tue shift 1 -> eve; Wed shift 2 -> dan.
        (datetime(2026, 1, 5, 8, 0, tzinfo=PARIS), "dan"),
        (datetime(2026, 1, 5, 16, 59, tzinfo=PARIS), "dan"),
        (datetime(2026, 1, 6, 10, 0, tzinfo=PARIS), "eve"),
        (datetime(2026, 1, 7, 10, 0, tzinfo=PARIS), "dan"),
        # Fri 2026-01-09 is shift 4 -> dan; Mon 2026-01-12 is shift 5 -> eve.
        (datetime(2026, 1, 9, 10, 0, tzinfo=PARIS), "dan"),
        (datetime(2026, 1, 12, 10, 0, tzinfo=PARIS), "eve"),
        # The shift is [08:00, 17:00): nobody at 07:59, 17:00, at night or at the weekend.
        (datetime(2026, 1, 5, 7, 59, tzinfo=PARIS), None),
        (datetime(2026, 1, 5, 17, 0, tzinfo=PARIS), None),
        (datetime(2026, 1, 6, 2, 0, tzinfo=PARIS), None),
        (datetime(2026, 1, 5, 22, 0, tzinfo=PARIS), None),
        (datetime(2026, 1, 10, 10, 0, tzinfo=PARIS), None),
        (datetime(2026, 1, 11, 15, 0, tzinfo=PARIS), None),
    ],
)
def test_day_shift(instant: datetime, member: str | None) -> None:
    assert day_shift().on_duty(instant) == member


def test_day_shift_next_change() -> None:
    rotation = day_shift()
    # During Monday's shift: it ends at 17:00 CET = 16:00 UTC.
    assert rotation.next_change(datetime(2026, 1, 5, 10, tzinfo=PARIS)) == utc(2026, 1, 5, 16)
    # Friday evening: the next start is Mon 2026-01-12 08:00 CET = 07:00 UTC.
    assert rotation.next_change(datetime(2026, 1, 9, 18, tzinfo=PARIS)) == utc(2026, 1, 12, 7)
    # At exactly a start the next change is that shift's end, not the start itself.
    assert rotation.next_change(datetime(2026, 1, 6, 8, tzinfo=PARIS)) == utc(2026, 1, 6, 16)


def test_cron_is_evaluated_in_the_rotation_timezone() -> None:
    shift = Shift(
        cron="0 8 * * 1-5",
        duration_minutes=60,
        members=["nina"],
        anchor=datetime(2026, 3, 1, tzinfo=NEW_YORK),
    )
    rotation = Rotation("America/New_York", [shift])
    # Fri 2026-03-06 08:00 EST = 13:00 UTC; Mon 2026-03-09 (after the change) 08:00 EDT = 12:00.
    assert rotation.on_duty(utc(2026, 3, 6, 13, 30)) == "nina"
    assert rotation.on_duty(utc(2026, 3, 9, 12, 30)) == "nina"
    assert rotation.on_duty(utc(2026, 3, 9, 13, 30)) is None
    assert rotation.next_change(utc(2026, 3, 7)) == utc(2026, 3, 9, 12)


def test_the_shift_that_started_last_wins() -> None:
    base = Shift(
        cron="0 8 * * 1-5",
        duration_minutes=9 * 60,
        members=["dan"],
        anchor=datetime(2026, 1, 1, tzinfo=PARIS),
    )
    lunch = Shift(
        cron="0 12 * * 3",
        duration_minutes=60,
        members=["lunch-cover"],
        anchor=datetime(2026, 1, 1, tzinfo=PARIS),
    )
    rotation = Rotation("Europe/Paris", [lunch, base])
    # Wed 2026-01-07: lunch cover from 12:00 to 13:00, dan otherwise.
    assert rotation.on_duty(datetime(2026, 1, 7, 11, 59, tzinfo=PARIS)) == "dan"
    assert rotation.on_duty(datetime(2026, 1, 7, 12, 30, tzinfo=PARIS)) == "lunch-cover"
    assert rotation.on_duty(datetime(2026, 1, 7, 13, 0, tzinfo=PARIS)) == "dan"
    # At 12:30 the next change is the cover's end, 13:00 CET = 12:00 UTC.
    assert rotation.next_change(datetime(2026, 1, 7, 12, 30, tzinfo=PARIS)) == utc(2026, 1, 7, 12)
    # Equal starts: the shift listed later wins.
    twin = Shift(
        cron="0 8 * * 1-5",
        duration_minutes=60,
        members=["twin"],
        anchor=datetime(2026, 1, 1, tzinfo=PARIS),
    )
    assert Rotation("Europe/Paris", [base, twin]).on_duty(utc(2026, 1, 7, 7, 30)) == "twin"
    assert Rotation("Europe/Paris", [twin, base]).on_duty(utc(2026, 1, 7, 7, 30)) == "dan"


def test_hourly_rotation_far_from_the_anchor() -> None:
    shift = Shift(
        cron="0 * * * *",
        duration_minutes=60,
        members=["a", "b", "c", "d", "e"],
        anchor=utc(2026, 1, 1),
    )
    rotation = Rotation("UTC", [shift])
    # 2026-03-01 00:30 UTC: (31 + 28) * 24 = 1416 hours after the anchor -> 1416 % 5 = 1 -> b.
    assert rotation.on_duty(utc(2026, 3, 1, 0, 30)) == "b"
    # Backwards, from a checkpoint: 2026-02-01 00:30 is 744 h in -> 744 % 5 = 4 -> e.
    assert rotation.on_duty(utc(2026, 2, 1, 0, 30)) == "e"
    # Forward again: 2026-03-01 01:30 is 1417 h in -> 2 -> c.
    assert rotation.on_duty(utc(2026, 3, 1, 1, 30)) == "c"


def test_no_shift_ever_again() -> None:
    # Only ever 2026-01-05 09:00 UTC (7-field cron with seconds and year).
    shift = Shift(
        cron="0 9 5 1 * 0 2026",
        duration_minutes=60,
        members=["once"],
        anchor=utc(2026, 1, 1),
    )
    rotation = Rotation("UTC", [shift])
    assert rotation.next_change(utc(2026, 1, 1)) == utc(2026, 1, 5, 9)
    assert rotation.on_duty(utc(2026, 1, 5, 9, 30)) == "once"
    assert rotation.next_change(utc(2026, 1, 5, 9, 30)) == utc(2026, 1, 5, 10)
    assert rotation.on_duty(utc(2026, 6, 1)) is None
    assert rotation.next_change(utc(2026, 6, 1)) is None
    assert Rotation("UTC", []).on_duty(utc(2026, 6, 1)) is None


# -- validation -----------------------------------------------------------------------------------


def test_validate_cron() -> None:
    assert validate_cron("0 9 * * 1") is None
    assert validate_cron("*/15 8-17 * * mon-fri") is None
    out_of_range = validate_cron("61 * * * *")
    assert out_of_range is not None and "61 * * * *" in out_of_range
    too_short = validate_cron("0 9 * *")
    assert too_short is not None and "0 9 * *" in too_short
    assert validate_cron("0 9 31 2 *") == "cron expression '0 9 31 2 *' never fires"
    assert validate_cron("") == "cron expression is empty"


def test_invalid_shifts_and_rotations_are_refused() -> None:
    anchor = utc(2026, 1, 5)
    with pytest.raises(TimeError, match="61"):
        Shift(cron="61 * * * *", duration_minutes=60, members=["a"], anchor=anchor)
    with pytest.raises(TimeError, match="duration_minutes"):
        Shift(cron="0 9 * * 1", duration_minutes=0, members=["a"], anchor=anchor)
    with pytest.raises(TimeError, match="members"):
        Shift(cron="0 9 * * 1", duration_minutes=60, members=[], anchor=anchor)
    with pytest.raises(TimeError, match="members"):
        Shift(cron="0 9 * * 1", duration_minutes=60, members="alice", anchor=anchor)
    with pytest.raises(TimeError, match="timezone-aware, got 2026-01-05 00:00:00"):
        Shift(cron="0 9 * * 1", duration_minutes=60, members=["a"], anchor=datetime(2026, 1, 5))
    with pytest.raises(TimeError, match="'Europe/Nowhere'"):
        Rotation("Europe/Nowhere", [])


def test_naive_instants_are_refused() -> None:
    rotation = weekly()
    with pytest.raises(TimeError, match="timezone-aware, got 2026-01-07 12:00:00"):
        rotation.on_duty(datetime(2026, 1, 7, 12))
    with pytest.raises(TimeError, match="timezone-aware, got 2026-01-07 12:00:00"):
        rotation.next_change(datetime(2026, 1, 7, 12))


def test_shift_normalises_members_and_anchor() -> None:
    shift = Shift(
        cron="0 9 * * 1",
        duration_minutes=60,
        members=["a", "b"],
        anchor=datetime(2026, 1, 5, 10, tzinfo=PARIS),
    )
    assert shift.members == ("a", "b")
    assert shift.anchor == utc(2026, 1, 5, 9)
    assert shift.anchor.tzinfo is UTC
    assert shift.anchor - timedelta(hours=1) == utc(2026, 1, 5, 8)


# -- shifts at a fixed time in an hour that repeats --------------------------------------------


def test_a_shift_starting_in_the_repeated_hour_is_one_turn() -> None:
    # 01:30 New York happens twice on Sun 2026-11-01 (EDT, then EST); cron runs a fixed-time
    # job once, and the shift is one member's turn. Counting one turn a day from Sun
    # 2026-03-01 (a): Nov 1 is day 245 -> 245 % 3 = 2 -> c; Nov 2 -> a; Nov 3 -> b.
    rotation = Rotation(
        "America/New_York",
        [Shift("30 1 * * *", 120, ["a", "b", "c"], datetime(2026, 3, 1, tzinfo=NEW_YORK))],
    )
    assert rotation.on_duty(datetime(2026, 11, 1, 1, 45, tzinfo=NEW_YORK)) == "c"
    # The second 01:45 (EST, fold=1) is within c's 2 elapsed hours (05:30-07:30 UTC).
    assert rotation.on_duty(datetime(2026, 11, 1, 1, 45, fold=1, tzinfo=NEW_YORK)) == "c"
    assert rotation.on_duty(datetime(2026, 11, 1, 2, 45, tzinfo=NEW_YORK)) is None
    assert rotation.on_duty(datetime(2026, 11, 2, 1, 45, tzinfo=NEW_YORK)) == "a"
    assert rotation.on_duty(datetime(2026, 11, 3, 1, 45, tzinfo=NEW_YORK)) == "b"
    # Clocks going forward skip 02:00-03:00, not the turn: Mar 8 (day 7 -> b) starts at 03:30.
    assert rotation.on_duty(datetime(2026, 3, 8, 3, 45, tzinfo=NEW_YORK)) == "b"
    assert rotation.on_duty(datetime(2026, 3, 9, 1, 45, tzinfo=NEW_YORK)) == "c"


def test_a_shift_every_half_hour_runs_in_both_passes_of_the_repeated_hour() -> None:
    # '*' in the minute or hour field: cron runs it in both passes, and so do the shifts.
    # From 00:00 EDT Nov 1 (a): 00:30 b, 01:00 EDT c, 01:30 EDT a, 01:00 EST b, 01:30 EST c.
    rotation = Rotation(
        "America/New_York",
        [Shift("*/30 * * * *", 30, ["a", "b", "c"], datetime(2026, 11, 1, tzinfo=NEW_YORK))],
    )
    assert rotation.on_duty(datetime(2026, 11, 1, 1, 15, tzinfo=NEW_YORK)) == "c"
    assert rotation.on_duty(datetime(2026, 11, 1, 1, 45, tzinfo=NEW_YORK)) == "a"
    assert rotation.on_duty(datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=NEW_YORK)) == "b"
    assert rotation.on_duty(datetime(2026, 11, 1, 1, 45, fold=1, tzinfo=NEW_YORK)) == "c"


def test_cron_aliases_start_shifts() -> None:
    # '@daily' is midnight (one turn a day); '@hourly' runs in both passes of an hour that
    # repeats, as cron does: 01:00 EDT and 01:00 EST are two turns on Sun 2026-11-01.
    daily = Rotation(
        "America/New_York",
        [Shift("@daily", 60, ["a", "b"], datetime(2026, 11, 1, tzinfo=NEW_YORK))],
    )
    assert daily.on_duty(datetime(2026, 11, 1, 0, 30, tzinfo=NEW_YORK)) == "a"
    assert daily.on_duty(datetime(2026, 11, 2, 0, 30, tzinfo=NEW_YORK)) == "b"
    hourly = Rotation(
        "America/New_York",
        [Shift("@hourly", 60, ["a", "b"], datetime(2026, 11, 1, tzinfo=NEW_YORK))],
    )
    assert hourly.on_duty(datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)) == "b"
    assert hourly.on_duty(datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)) == "a"
