"""Tests of the clocks and of the naive-datetime guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from escflow.errors import TimeError
from escflow.timing._clock import Clock, ManualClock, SystemClock, ensure_aware

PLUS_TWO = timezone(timedelta(hours=2))


def test_ensure_aware_converts_to_utc() -> None:
    # 12:00 at +02:00 is 10:00 UTC.
    result = ensure_aware(datetime(2026, 1, 2, 12, 0, tzinfo=PLUS_TWO), "start")
    assert result == datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_ensure_aware_refuses_naive_with_the_documented_message() -> None:
    with pytest.raises(TimeError) as caught:
        ensure_aware(datetime(2026, 1, 2, 10, 0), "start")
    assert str(caught.value) == (
        "start must be timezone-aware, got 2026-01-02 10:00:00 (no tzinfo); "
        "add a timezone such as +00:00"
    )


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=5))),  # before year 1 in UTC
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),  # a window's end would pass year 9999
        datetime(3000, 1, 1, 2, 30, tzinfo=PLUS_TWO),
        datetime(1899, 12, 31, 23, 59, tzinfo=UTC),
    ],
)
def test_ensure_aware_refuses_instants_outside_the_years_1900_to_2999(value: datetime) -> None:
    with pytest.raises(TimeError) as caught:
        ensure_aware(value, "at")
    assert str(caught.value) == (
        f"at {value.isoformat()} is out of range; escflow schedules instants from 1900-01-01"
        " to 2999-12-31 (UTC)"
    )


def test_the_range_is_judged_in_utc() -> None:
    late = datetime(3000, 1, 1, 0, 30, tzinfo=PLUS_TWO)  # 22:30 UTC on the last day
    assert ensure_aware(late, "at") == datetime(2999, 12, 31, 22, 30, tzinfo=UTC)
    assert ensure_aware(datetime(1900, 1, 1, tzinfo=UTC), "at").year == 1900


def test_ensure_aware_refuses_non_datetimes() -> None:
    with pytest.raises(TimeError, match="deadline must be a timezone-aware datetime"):
        ensure_aware("2026-01-02T10:00:00Z", "deadline")  # type: ignore[arg-type]


def test_system_clock_is_aware_utc_and_current() -> None:
    clock: Clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after
    assert isinstance(clock, Clock)


def test_manual_clock_moves_forward_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 1, 2, 12, 0, tzinfo=PLUS_TWO))
    assert isinstance(clock, Clock)
    # 12:00 +02:00 is 10:00 UTC.
    assert clock.now() == datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.advance(timedelta(minutes=90)) == datetime(2026, 1, 2, 11, 30, tzinfo=UTC)
    assert clock.advance(timedelta(0)) == datetime(2026, 1, 2, 11, 30, tzinfo=UTC)
    assert clock.set(datetime(2026, 1, 3, tzinfo=UTC)) == datetime(2026, 1, 3, tzinfo=UTC)
    # Setting the same instant again is not going backwards.
    assert clock.set(datetime(2026, 1, 3, 2, 0, tzinfo=PLUS_TWO)) == datetime(
        2026, 1, 3, tzinfo=UTC
    )
    assert clock.now() == datetime(2026, 1, 3, tzinfo=UTC)


def test_manual_clock_refuses_going_backwards_naming_both_instants() -> None:
    clock = ManualClock(datetime(2026, 1, 3, tzinfo=UTC))
    with pytest.raises(TimeError) as caught:
        clock.set(datetime(2026, 1, 2, 23, 59, tzinfo=UTC))
    message = str(caught.value)
    assert "2026-01-03T00:00:00+00:00" in message
    assert "2026-01-02T23:59:00+00:00" in message
    with pytest.raises(TimeError, match="negative"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == datetime(2026, 1, 3, tzinfo=UTC)


def test_manual_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(TimeError, match="timezone-aware, got 2026-01-02 10:00:00"):
        ManualClock(datetime(2026, 1, 2, 10, 0))
    clock = ManualClock(datetime(2026, 1, 2, 10, 0, tzinfo=UTC))
    with pytest.raises(TimeError, match="timezone-aware, got 2026-01-02 11:00:00"):
        clock.set(datetime(2026, 1, 2, 11, 0))
