"""Tests of on-duty rotations, against hand-computed instants."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from escflow.errors import TimeError
from escflow.timing._calendar import BusinessCalendar
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


def test_a_weekly_shift_lasts_a_week_by_the_clock_over_fall_back() -> None:
    # A shift lasts by the clock: the one starting Mon 2026-10-19 09:00 CEST lasts 168 hours
    # by the clock and ends Mon 2026-10-26 09:00 CET, after 169 elapsed hours, exactly when
    # the next one starts. Shift 41 (19 Oct) -> 41 % 3 = 2 -> carol; shift 42 -> 0 -> alice.
    rotation = weekly()
    assert rotation.on_duty(datetime(2026, 10, 26, 7, 59, tzinfo=PARIS)) == "carol"
    assert rotation.on_duty(datetime(2026, 10, 26, 8, 30, tzinfo=PARIS)) == "carol"
    assert rotation.on_duty(datetime(2026, 10, 26, 9, 0, tzinfo=PARIS)) == "alice"
    # 09:00 CET is 08:00 UTC: the handover is the next change.
    assert rotation.next_change(datetime(2026, 10, 26, 7, 30, tzinfo=PARIS)) == utc(2026, 10, 26, 8)


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
    assert out_of_range is not None
    assert "61 * * * *" in out_of_range
    too_short = validate_cron("0 9 * *")
    assert too_short is not None
    assert "0 9 * *" in too_short
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
    # c's two hours by the clock run from 01:30 EDT to 03:30 EST (05:30-08:30 UTC): the
    # second 01:45 (EST, fold=1) and 02:45 EST are hers, 03:30 EST is nobody's.
    assert rotation.on_duty(datetime(2026, 11, 1, 1, 45, fold=1, tzinfo=NEW_YORK)) == "c"
    assert rotation.on_duty(datetime(2026, 11, 1, 2, 45, tzinfo=NEW_YORK)) == "c"
    assert rotation.on_duty(datetime(2026, 11, 1, 3, 30, tzinfo=NEW_YORK)) is None
    assert rotation.next_change(datetime(2026, 11, 1, 2, 45, tzinfo=NEW_YORK)) == utc(
        2026, 11, 1, 8, 30
    )
    assert rotation.on_duty(datetime(2026, 11, 2, 1, 45, tzinfo=NEW_YORK)) == "a"
    assert rotation.on_duty(datetime(2026, 11, 3, 1, 45, tzinfo=NEW_YORK)) == "b"
    # Clocks going forward skip 02:00-03:00, not the turn: Mar 8 (day 7 -> b) starts at
    # 01:30 EST and ends when the clock shows 03:30 EDT, one elapsed hour later.
    assert rotation.on_duty(datetime(2026, 3, 8, 1, 45, tzinfo=NEW_YORK)) == "b"
    assert rotation.on_duty(datetime(2026, 3, 8, 3, 15, tzinfo=NEW_YORK)) == "b"
    assert rotation.on_duty(datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK)) is None
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


# -- shifts last by the clock ---------------------------------------------------------------


def around_the_clock(zone: str) -> Rotation:
    # Handovers at 08:00 and 20:00, each shift 12 hours long; from Sun 2026-03-01, the
    # start on day d (0 = Mar 1) at 08:00 is turn 2d, at 20:00 turn 2d + 1.
    shift = Shift(
        "0 8,20 * * *", 12 * 60, ["ana", "ben", "cy"], datetime(2026, 3, 1, tzinfo=ZoneInfo(zone))
    )
    return Rotation(zone, [shift])


# (zone, night shift's start, its member, the morning handover (UTC), the next member).
# Paris: Sat Mar 28 is day 27 (turn 55 -> ben), Sun Mar 29 08:00 CEST turn 56 -> cy; Sat
# Oct 24 is day 237 (Mar 31 + Apr 30 + May 31 + Jun 30 + Jul 31 + Aug 31 + Sep 30 = 214 days
# to Oct 1, + 23): turn 475 -> ben, Sun Oct 25 08:00 CET turn 476 -> cy.
# New York: Sat Mar 7 is day 6 (turn 13 -> ben), Sun Mar 8 08:00 EDT turn 14 -> cy; Sat Oct 31
# is day 244: turn 489 -> ana, Sun Nov 1 08:00 EST turn 490 -> ben.
CLOCK_CHANGES = [
    ("Europe/Paris", datetime(2026, 3, 28, 20), "ben", utc(2026, 3, 29, 6), "cy"),
    ("Europe/Paris", datetime(2026, 10, 24, 20), "ben", utc(2026, 10, 25, 7), "cy"),
    ("America/New_York", datetime(2026, 3, 7, 20), "ben", utc(2026, 3, 8, 12), "cy"),
    ("America/New_York", datetime(2026, 10, 31, 20), "ana", utc(2026, 11, 1, 13), "ben"),
]


@pytest.mark.parametrize(("zone", "night", "member", "handover", "next_member"), CLOCK_CHANGES)
def test_a_round_the_clock_rota_keeps_its_cover_when_the_clocks_change(
    zone: str, night: datetime, member: str, handover: datetime, next_member: str
) -> None:
    rotation = around_the_clock(zone)
    local = ZoneInfo(zone)
    start = night.replace(tzinfo=local).astimezone(UTC)
    # The night shift runs from 20:00 to 08:00 by the clock: 11 elapsed hours when the
    # clocks go forward, 13 when they go back (its last elapsed hour was nobody's before).
    assert handover - start == timedelta(hours=11 if night.month == 3 else 13)
    assert rotation.on_duty(start) == member
    assert rotation.on_duty(handover - timedelta(minutes=30)) == member
    assert rotation.on_duty(handover - timedelta(seconds=1)) == member
    assert rotation.on_duty(handover) == next_member
    assert rotation.next_change(handover - timedelta(minutes=30)) == handover
    # Every five minutes of the night and the next day, someone is on duty.
    moment = start - timedelta(hours=1)
    while moment < handover + timedelta(hours=13):
        assert rotation.on_duty(moment) is not None, moment.astimezone(local)
        moment += timedelta(minutes=5)


def test_the_repeated_hour_of_the_night_belongs_to_the_night_shift() -> None:
    rotation = around_the_clock("Europe/Paris")
    # 02:30 happens twice on Sun 2026-10-25 (CEST, then CET): both are ben's night.
    assert rotation.on_duty(datetime(2026, 10, 25, 2, 30, tzinfo=PARIS)) == "ben"
    assert rotation.on_duty(datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS)) == "ben"
    # 07:00-08:00 CET is the hour an elapsed-time shift lost.
    assert rotation.on_duty(datetime(2026, 10, 25, 7, 30, tzinfo=PARIS)) == "ben"


def test_a_longer_shift_hands_over_when_the_next_one_starts() -> None:
    # 13-hour shifts 12 hours apart: the next one takes over at 08:00, the change is then.
    rotation = Rotation(
        "Europe/Paris",
        [Shift("0 8,20 * * *", 13 * 60, ["ana", "ben"], datetime(2026, 1, 5, tzinfo=PARIS))],
    )
    # Mon Jan 5 08:00 is turn 0 (ana), 20:00 turn 1 (ben), Tue 08:00 turn 2 (ana).
    assert rotation.on_duty(datetime(2026, 1, 6, 7, 30, tzinfo=PARIS)) == "ben"
    assert rotation.on_duty(datetime(2026, 1, 6, 8, 30, tzinfo=PARIS)) == "ana"
    assert rotation.next_change(datetime(2026, 1, 6, 7, 30, tzinfo=PARIS)) == utc(2026, 1, 6, 7)


def test_a_shift_whose_end_the_clock_skips_ends_when_it_jumps() -> None:
    # 00:30 plus two hours is 02:30 on Sun 2026-03-29, a time Paris skips (02:00 CET is
    # 03:00 CEST, 01:00 UTC): the shift ends then, after 1.5 elapsed hours.
    rotation = Rotation(
        "Europe/Paris", [Shift("30 0 * * *", 120, ["night"], datetime(2026, 3, 1, tzinfo=PARIS))]
    )
    assert rotation.on_duty(datetime(2026, 3, 29, 1, 59, tzinfo=PARIS)) == "night"
    assert rotation.on_duty(utc(2026, 3, 29, 1)) is None
    assert rotation.next_change(utc(2026, 3, 29, 0, 30)) == utc(2026, 3, 29, 1)


def test_a_handover_the_clock_skips_happens_when_it_jumps() -> None:
    # Daily handovers at 02:30 from Fri 2026-03-27: a (Mar 27), b (Mar 28); on Mar 29 02:30
    # does not exist, so a's turn starts at the jump, 03:00 CEST (01:00 UTC), when b's
    # 24 hours by the clock end; Mar 30 02:30 CEST is b's again.
    rotation = Rotation(
        "Europe/Paris",
        [Shift("30 2 * * *", 24 * 60, ["a", "b"], datetime(2026, 3, 27, tzinfo=PARIS))],
    )
    assert rotation.on_duty(datetime(2026, 3, 29, 1, 59, tzinfo=PARIS)) == "b"
    assert rotation.next_change(utc(2026, 3, 29, 0, 0)) == utc(2026, 3, 29, 1)
    assert rotation.on_duty(utc(2026, 3, 29, 1)) == "a"
    assert rotation.on_duty(datetime(2026, 3, 30, 2, 29, tzinfo=PARIS)) == "a"
    assert rotation.on_duty(datetime(2026, 3, 30, 2, 30, tzinfo=PARIS)) == "b"


# -- gaps in working hours --------------------------------------------------------------------


def every_day(zone: str = "Europe/Paris") -> BusinessCalendar:
    return BusinessCalendar(
        name="around-the-clock", timezone=zone, hours={d: [(time(0), time(0))] for d in range(7)}
    )


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
def test_a_round_the_clock_rota_leaves_no_gap_in_a_year(zone: str) -> None:
    rotation = around_the_clock(zone)
    # The first shift starts at 08:00 on Mar 1; from then on, a year without a gap.
    since = datetime(2026, 3, 1, 8, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert rotation.since == since
    assert rotation.first_gap(every_day(zone), since, 366) is None


def test_the_first_gap_is_found_where_the_shifts_do_not_meet() -> None:
    # 11-hour shifts from 08:00 and 20:00: nobody from 19:00 to 20:00 on the first day.
    rotation = Rotation(
        "Europe/Paris",
        [Shift("0 8,20 * * *", 11 * 60, ["a", "b"], datetime(2026, 1, 5, tzinfo=PARIS))],
    )
    gap = rotation.first_gap(every_day(), utc(2026, 1, 5, 7), 366)
    assert gap == (utc(2026, 1, 5, 18), utc(2026, 1, 5, 19))


def test_a_gap_across_midnight_is_found_whole() -> None:
    # A 16-hour day from 06:00: nobody from 22:00 to 06:00, over midnight.
    rotation = Rotation(
        "Europe/Paris", [Shift("0 6 * * *", 16 * 60, ["a"], datetime(2026, 1, 5, tzinfo=PARIS))]
    )
    gap = rotation.first_gap(every_day(), utc(2026, 1, 5, 5), 366)
    assert gap == (utc(2026, 1, 5, 21), utc(2026, 1, 6, 5))


def test_gaps_outside_working_hours_do_not_count() -> None:
    office = BusinessCalendar(
        name="office",
        timezone="Europe/Paris",
        hours={d: [(time(9), time(17))] for d in range(5)},
        holiday_country="FR",
    )
    day = Rotation(
        "Europe/Paris",
        [Shift("0 9 * * mon-fri", 8 * 60, ["a", "b"], datetime(2026, 1, 5, tzinfo=PARIS))],
    )
    assert day.first_gap(office, utc(2026, 1, 5, 8), 366) is None
    # Starting half an hour late leaves 09:00-09:30 of every working day uncovered; the
    # first is Mon 2026-01-05 (08:00-08:30 UTC).
    late = Rotation(
        "Europe/Paris",
        [Shift("30 9 * * mon-fri", 8 * 60, ["a"], datetime(2026, 1, 5, tzinfo=PARIS))],
    )
    assert late.first_gap(office, utc(2026, 1, 5, 8), 366) == (
        utc(2026, 1, 5, 8),
        utc(2026, 1, 5, 8, 30),
    )


# -- turns far from the anchor ------------------------------------------------------------------


class CroniterSteps:
    """Counts what croniter is asked to do: parse an expression, or step to a fire time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for name in ("__init__", "get_next", "get_prev", "all_next", "all_prev"):
            original = getattr(croniter, name)

            def counted(*args: object, _original: Any = original, **kwargs: object) -> object:
                self.count += 1
                return _original(*args, **kwargs)

            monkeypatch.setattr(croniter, name, counted)


def walked_turn(since: datetime, at: datetime, zone: ZoneInfo) -> int:
    """The turn at ``at`` of a shift starting at every quarter hour by ``zone``'s clock,
    walking every quarter hour of elapsed time from ``since`` and keeping those whose
    clock shows a quarter hour (Paris changes its clocks by whole hours: all of them)."""
    starts = 0
    moment = since
    while moment <= at:
        shown = moment.astimezone(zone)
        if shown.minute % 15 == 0 and shown.second == 0:
            starts += 1
        moment += timedelta(minutes=15)
    return starts - 1


def test_a_quarter_hour_turn_two_years_on_takes_no_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    since = datetime(2024, 1, 1, tzinfo=PARIS).astimezone(UTC)
    members = ["a", "b", "c", "d", "e", "f", "g"]
    rotation = Rotation("Europe/Paris", [Shift("*/15 * * * *", 15, members, since)])
    steps = CroniterSteps(monkeypatch)
    # Two years on, over four clock changes; the earlier code walked ~70,000 fire times.
    for at in (
        utc(2026, 1, 1, 9, 7),
        utc(2026, 1, 1, 9, 22),
        utc(2025, 10, 26, 1, 50),  # the second pass of 02:50 in Paris
        utc(2025, 3, 30, 1, 0),  # 03:00 CEST, as the clocks jump
        utc(2026, 6, 30, 23, 59),
    ):
        assert rotation.on_duty(at) == members[walked_turn(since, at, PARIS) % len(members)], at
    assert steps.count <= 10
