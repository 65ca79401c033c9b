"""Clocks, and the one guard every timing function uses against naive datetimes.

escflow never reads the wall clock directly: the engine asks a :class:`Clock`, so tests and
simulations can drive time by hand with :class:`ManualClock`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escflow.errors import TimeError

__all__ = ["Clock", "ManualClock", "SystemClock", "ensure_aware", "load_zone"]

# The instants escflow schedules in. Deadlines lie at most a longest duration (see
# timing._duration) past an instant, so they stay far from the year 9999, where Python's
# datetime ends.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
_RANGE = f"from {EARLIEST:%Y-%m-%d} to {LATEST - timedelta(days=1):%Y-%m-%d} (UTC)"


def ensure_aware(value: datetime, what: str) -> datetime:
    """Return ``value`` converted to UTC; raise :class:`TimeError` if it is naive or falls
    outside the years 1900 to 2999 (:data:`EARLIEST` to :data:`LATEST`).

    ``what`` names the value in the message (for example ``"start"``), so the caller can tell
    which argument was wrong.
    """
    if type(value) is datetime and value.tzinfo is UTC and EARLIEST <= value < LATEST:
        return value  # the common case, on every call of the engine: nothing to convert
    if not isinstance(value, datetime):
        raise TimeError(f"{what} must be a timezone-aware datetime, got {value!r}")
    # A tzinfo whose utcoffset() is None makes the datetime naive as far as arithmetic goes.
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimeError(
            f"{what} must be timezone-aware, got {value} (no tzinfo); add a timezone such as +00:00"
        )
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01 at +05:00 is before the first instant Python has
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise TimeError(
            f"{what} {value.isoformat()} is out of range; escflow schedules instants {_RANGE}"
        )
    return utc


def load_zone(name: str, what: str = "timezone") -> ZoneInfo:
    """Return the IANA zone ``name``; raise :class:`TimeError` naming it if it is unknown."""
    try:
        return ZoneInfo(name)
    # ZoneInfo raises ValueError (not ZoneInfoNotFoundError) for malformed keys like "../x".
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise TimeError(
            f"{what} {name!r} is not a known IANA timezone name (such as 'Europe/Paris')"
        ) from exc


@runtime_checkable
class Clock(Protocol):
    """Source of the current instant."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        """Return the current real instant in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to, never backwards; for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        """Start the clock at ``start`` (timezone-aware)."""
        self._now = ensure_aware(start, "ManualClock start")

    def now(self) -> datetime:
        """Return the clock's current instant in UTC."""
        return self._now

    def set(self, instant: datetime) -> datetime:
        """Move the clock to ``instant`` (not earlier than now) and return the new time in UTC."""
        target = ensure_aware(instant, "ManualClock.set instant")
        if target < self._now:
            raise TimeError(
                f"ManualClock cannot go backwards: it is at {self._now.isoformat()} "
                f"and was asked to go to {target.isoformat()}"
            )
        self._now = target
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` (not negative) and return the new time in UTC."""
        if not isinstance(delta, timedelta):
            raise TimeError(f"ManualClock.advance needs a timedelta, got {delta!r}")
        if delta < timedelta(0):
            raise TimeError(
                f"ManualClock cannot go backwards: advance({delta!r}) is negative "
                f"(clock at {self._now.isoformat()})"
            )
        self._now = self._now + delta
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()!r})"
