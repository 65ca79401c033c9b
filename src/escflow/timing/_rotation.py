"""On-duty rotations: shifts that start at cron times and pass between members in turn."""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, CroniterError, croniter

from escflow.errors import TimeError
from escflow.timing._clock import ensure_aware, load_zone

__all__ = ["Rotation", "Shift", "validate_cron"]

# A fixed, early instant to check that an expression fires at all (e.g. "0 9 31 2 *" never does).
_PROBE = datetime(2000, 1, 1, tzinfo=UTC)
# Every _STRIDE-th fire time is remembered, so a query never replays more than _STRIDE fires
# once the span it falls in has been walked.
_STRIDE = 16
# One query walks at most this many fire times (~0.1 ms each with croniter 7, so ~10 s).
MAX_STEPS_PER_QUERY = 100_000


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


@dataclass(frozen=True)
class Shift:
    """Shifts starting at every fire time of ``cron``, each lasting ``duration_minutes``.

    The cron is evaluated in the timezone of the :class:`Rotation` holding the shift. The k-th
    fire time at or after ``anchor`` (k = 0, 1, ...) is a shift of ``members[k % len(members)]``;
    fire times before ``anchor`` are no one's shift. Durations are elapsed time.
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
    """The fire times of one shift in one zone, numbered from the anchor, with checkpoints."""

    def __init__(self, shift: Shift, zone: ZoneInfo) -> None:
        self.shift = shift
        self.duration = timedelta(minutes=shift.duration_minutes)
        self._zone = zone
        # croniter fires a fixed-time expression in both passes of the hour repeated when
        # clocks go back; cron runs such a job once (only expressions with '*' in their
        # minute or hour field run in both), and so does a shift: one turn, not two.
        fields = shift.cron.split()
        if fields[0].startswith("@"):  # an alias: only @hourly has no fixed hour
            self._once = fields[0].lower() != "@hourly"
        else:
            self._once = "*" not in fields[0] and "*" not in fields[1]
        self._lock = threading.Lock()
        # Fire times have no microseconds, so "after anchor - 1 us" means "at or after anchor".
        self.first = self._next_fire(shift.anchor - timedelta(microseconds=1))
        # _marks[j] is fire number j * _STRIDE; _frontier is the furthest fire walked so far.
        self._marks: list[datetime] = [] if self.first is None else [self.first]
        self._frontier: tuple[int, datetime] | None = (
            None if self.first is None else (0, self.first)
        )
        self._last: _Located | None = None

    def _next_fire(self, after: datetime) -> datetime | None:
        return self._following(croniter(self.shift.cron, after.astimezone(self._zone)))

    def _following(self, cron: croniter) -> datetime | None:
        """The next fire time of ``cron`` in UTC (None: it never fires again), skipping the
        repeat of a fixed time in the second pass of a repeated hour."""
        while True:
            try:
                fire = cron.get_next(datetime).astimezone(UTC)
            except CroniterBadDateError:
                return None
            if not (self._once and fire.astimezone(self._zone).fold):
                return fire

    def locate(self, at: datetime) -> _Located:
        """The latest fire at or before ``at`` (UTC), its number, and the fire after ``at``."""
        if self.first is None or at < self.first:
            return _Located(None, None, self.first)
        with self._lock:
            last = self._last
            if (
                last is not None
                and last.start is not None
                and last.start <= at
                and (last.following is None or at < last.following)
            ):
                return last
            found = self._walk(at)
            self._last = found
            return found

    def _walk(self, at: datetime) -> _Located:
        assert self._frontier is not None
        frontier_index, frontier_fire = self._frontier
        if frontier_fire <= at:
            index, fire = frontier_index, frontier_fire
        else:
            mark = bisect_right(self._marks, at) - 1
            index, fire = mark * _STRIDE, self._marks[mark]
        cron = croniter(self.shift.cron, fire.astimezone(self._zone))
        for _ in range(MAX_STEPS_PER_QUERY):
            following = self._following(cron)
            if following is not None:
                self._remember(index + 1, following)
            if following is None or following > at:
                return _Located(index, fire, following)
            index += 1
            fire = following
        raise TimeError(
            f"shift {self.shift.cron!r}: more than {MAX_STEPS_PER_QUERY} shift starts lie "
            f"between its anchor {self.shift.anchor.isoformat()} and {at.isoformat()}; "
            "move the anchor closer to the present"
        )

    def _remember(self, index: int, fire: datetime) -> None:
        if index % _STRIDE == 0 and index // _STRIDE == len(self._marks):
            self._marks.append(fire)
        assert self._frontier is not None
        if index > self._frontier[0]:
            self._frontier = (index, fire)


class Rotation:
    """Who is on duty, from shifts whose cron times are evaluated in one IANA timezone.

    Cost: croniter 7 takes about 0.1 ms per fire time. The first query far from a shift's
    anchor walks every fire time in between (a weekly shift: 52 a year; an hourly one: 8760
    a year, about 1 s), remembering every 16th; afterwards a query costs nothing while it
    stays in the shift last found, one step when moving forward to the next shift, and at
    most 16 steps anywhere already walked. A single query walking more than
    ``MAX_STEPS_PER_QUERY`` fire times raises :class:`TimeError`. Instances are thread-safe.
    """

    def __init__(self, timezone: str, shifts: Sequence[Shift]) -> None:
        """Bind ``shifts`` to the zone ``timezone``; an unknown zone raises TimeError."""
        self.timezone = timezone
        zone = load_zone(timezone, "rotation timezone")
        for shift in shifts:
            if not isinstance(shift, Shift):
                raise TimeError(f"rotation shifts must be Shift objects, got {shift!r}")
        self.shifts: tuple[Shift, ...] = tuple(shifts)
        self._timelines = [_Timeline(shift, zone) for shift in self.shifts]

    def __repr__(self) -> str:
        return f"Rotation(timezone={self.timezone!r}, shifts={list(self.shifts)!r})"

    def on_duty(self, instant: datetime) -> str | None:
        """The member whose shift covers ``instant``, or None when nobody is on duty.

        A shift covers ``[start, start + duration)``. When several shifts cover the instant,
        the one that started last wins; on equal starts, the shift listed later wins.
        """
        at = ensure_aware(instant, "instant")
        best: tuple[datetime, str] | None = None
        for timeline in self._timelines:
            found = timeline.locate(at)
            if found.number is None or found.start is None:
                continue
            if at >= found.start + timeline.duration:
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
                end = found.start + timeline.duration
                if end > at:
                    candidates.append(end)
        return min(candidates, default=None)
