"""Local clock times and the instants at which a zone's clock shows them.

A clock time (a naive datetime read in one zone) is shown once on most days, twice when
the clocks go back (the repeated hour) and never when they go forward (the skipped hour).
Rotations and cron schedules both need to know which, and when the clock jumps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["clock_reaches", "jump", "occurrences", "offset_at", "wall"]

_SECOND = timedelta(seconds=1)


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """What the clock of ``zone`` shows at ``instant``, as a naive datetime."""
    return instant.astimezone(zone).replace(tzinfo=None)


def offset_at(instant: datetime, zone: ZoneInfo) -> timedelta:
    """The UTC offset of ``zone`` at ``instant``."""
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None, "a ZoneInfo always has an offset"
    return offset


def occurrences(clock: datetime, zone: ZoneInfo) -> tuple[datetime, ...]:
    """The instants (UTC, in order) at which the clock of ``zone`` shows ``clock``: one,
    two in a repeated hour, none in a skipped one."""
    found: list[datetime] = []
    for fold in (0, 1):
        instant = clock.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if wall(instant, zone) == clock and instant not in found:
            found.append(instant)
    found.sort()
    return tuple(found)


def jump(clock: datetime, zone: ZoneInfo) -> datetime:
    """The instant (UTC) at which the clock of ``zone`` jumps over ``clock``, a time it
    never shows (clocks going forward).

    zoneinfo reads such a time with the offset after the change (fold 1, an instant
    before the change) or before it (fold 0, an instant at or after the change); the
    change lies between the two readings and is found to the second.
    """
    low = clock.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = clock.replace(tzinfo=zone, fold=0).astimezone(UTC)
    before = offset_at(low, zone)
    while high - low > _SECOND:
        middle = low + (high - low) // 2
        middle -= timedelta(microseconds=middle.microsecond)
        if middle <= low:
            break
        if offset_at(middle, zone) == before:
            low = middle
        else:
            high = middle
    return high


def clock_reaches(clock: datetime, zone: ZoneInfo, after: datetime) -> datetime:
    """The first instant (UTC) after ``after`` at which the clock of ``zone`` shows
    ``clock`` or a later time: its first showing after ``after``, or the moment the clock
    jumps over it.

    ``clock`` must be later than what the clock shows at ``after``; a time shown twice
    after ``after`` is reached at its first showing.
    """
    shown = occurrences(clock, zone)
    if not shown:
        return jump(clock, zone)
    later = [instant for instant in shown if instant > after]
    assert later, f"{clock} is not after the clock time at {after}"
    return later[0]
