"""Windows, deadlines and duty for running tickets: specs turned into instants.

Business windows count in the level's calendar; wall windows stay wall time (minutes
and hours elapse, days are calendar days in the calendar's time zone). A priority's
factor scales a window; scaled wall days count as elapsed time. Business time is
exact to the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from escflow.compile import CompiledFlow, CompiledLevel
from escflow.spec._models import Calendar, Contact, Window
from escflow.timing._calendar import BusinessCalendar, add_wall
from escflow.timing._duration import Duration
from escflow.timing._rotation import Rotation, Shift

DEFAULT_ANCHOR = date(2024, 1, 1)  # counts a rotation's turns when 'since' is not given
_MAX_DUTY_STEPS = 1000


@dataclass(frozen=True, slots=True)
class Span:
    """When a level's window warns and ends; None where the window has no such end."""

    warn_at: datetime | None
    deadline: datetime | None


@dataclass(frozen=True, slots=True)
class Remaining:
    """What was left of a window (or an SLA) when the clock stopped.

    ``business`` remainders are working minutes of ``calendar``; others are elapsed time.
    """

    deadline: float | None
    warn: float | None
    resolution: float | None
    business: bool
    calendar: str | None


@dataclass(frozen=True, slots=True)
class _End:
    """One end of a window, ready to add: elapsed time, calendar days, or business minutes."""

    delta: timedelta | None
    days: int
    minutes: float
    calendar: BusinessCalendar | None
    zone: str

    def after(self, start: datetime) -> datetime:
        if self.delta is not None:
            return start + self.delta
        if self.calendar is not None:
            return self.calendar.add_business_minutes(start, self.minutes)
        return add_wall(start, self.days, "days", self.zone)


class Timing:
    """Computes instants for one engine; caches calendars, window ends and rotations."""

    def __init__(self) -> None:
        self._calendars: dict[tuple[str, str], BusinessCalendar] = {}
        self._rotations: dict[tuple[str, str], Rotation | None] = {}
        self._ends: dict[tuple[str, str, str], tuple[_End | None, _End | None]] = {}

    def calendar(self, flow: CompiledFlow, name: str) -> BusinessCalendar:
        """The business calendar ``name`` of a flow version."""
        key = (flow.digest, name)
        found = self._calendars.get(key)
        if found is None:
            found = _business_calendar(name, flow.calendars[name])
            self._calendars[key] = found
        return found

    def _end(
        self, flow: CompiledFlow, calendar: str | None, duration: Duration, factor: float
    ) -> _End:
        zone = self._zone(flow, calendar)
        if duration.business:
            assert calendar is not None, "checked by E117"
            business = self.calendar(flow, calendar)
            minutes = duration.nominal_minutes(business.day_minutes) * factor
            return _End(None, 0, minutes, business, zone)
        if duration.unit == "days" and factor == 1:
            return _End(None, duration.value, 0.0, None, zone)
        return _End(timedelta(minutes=duration.minutes * factor), 0, 0.0, None, zone)

    def _zone(self, flow: CompiledFlow, calendar: str | None) -> str:
        spec = flow.calendars.get(calendar) if calendar is not None else None
        return spec.timezone if spec is not None else "UTC"

    def add(
        self,
        flow: CompiledFlow,
        calendar: str | None,
        duration: Duration,
        factor: float,
        start: datetime,
    ) -> datetime:
        """``start`` plus ``duration`` scaled by ``factor``."""
        return self._end(flow, calendar, duration, factor).after(start)

    def span(
        self, flow: CompiledFlow, level: CompiledLevel, priority: str, start: datetime
    ) -> Span:
        """The warning and deadline of ``level`` entered at ``start`` by a ``priority`` ticket."""
        # Entering a level happens on most events: its window's ends are worked out once.
        key = (flow.digest, level.id, priority)
        ends = self._ends.get(key)
        if ends is None:
            window, factor = _window(flow, level, priority)
            ends = self._ends[key] = (
                self._end(flow, level.calendar, window.min, factor) if window.min else None,
                self._end(flow, level.calendar, window.max, factor) if window.max else None,
            )
        warn, end = ends
        return Span(warn.after(start) if warn else None, end.after(start) if end else None)

    def sla(self, flow: CompiledFlow, priority: str, start: datetime) -> Span:
        """When the first response and the resolution are due (``warn_at``, ``deadline``)."""
        target = flow.sla.get(priority)
        if target is None:
            return Span(None, None)
        calendar = flow.calendar
        return Span(
            self.add(flow, calendar, target.first_response, 1.0, start),
            self.add(flow, calendar, target.resolution, 1.0, start),
        )

    def remaining(
        self,
        flow: CompiledFlow,
        level: CompiledLevel,
        priority: str,
        now: datetime,
        instants: tuple[datetime | None, datetime | None, datetime | None],
    ) -> Remaining:
        """What is left of (deadline, warning, resolution) at ``now``, in the window's terms."""
        window, _ = _window(flow, level, priority)
        business = window.business and level.calendar is not None
        calendar = self.calendar(flow, level.calendar) if business and level.calendar else None

        def left(instant: datetime | None) -> float | None:
            if instant is None:
                return None
            if instant <= now:
                return 0.0
            if calendar is not None:
                return calendar.business_minutes_between(now, instant)
            return (instant - now) / timedelta(minutes=1)

        deadline, warn, resolution = instants
        return Remaining(left(deadline), left(warn), left(resolution), business, level.calendar)

    def resume(
        self, flow: CompiledFlow, remaining: Remaining, now: datetime
    ) -> tuple[datetime | None, datetime | None, datetime | None]:
        """(deadline, warning, resolution) after resuming at ``now``."""
        calendar = (
            self.calendar(flow, remaining.calendar)
            if remaining.business and remaining.calendar
            else None
        )

        def again(minutes: float | None) -> datetime | None:
            if minutes is None:
                return None
            if calendar is not None:
                return calendar.add_business_minutes(now, minutes)
            return now + timedelta(minutes=minutes)

        return again(remaining.deadline), again(remaining.warn), again(remaining.resolution)

    def rotation(self, flow: CompiledFlow, contact_id: str) -> Rotation | None:
        """The duty rotation of a contact point, or None when it has no shifts."""
        key = (flow.digest, contact_id)
        if key not in self._rotations:
            self._rotations[key] = _rotation(flow, flow.contacts[contact_id])
        return self._rotations[key]

    def on_duty(
        self, flow: CompiledFlow, level: CompiledLevel, at: datetime
    ) -> tuple[bool, str | None]:
        """(whether someone is on duty, who): persons without shifts are always there."""
        rotation = self.rotation(flow, level.contact_id)
        if rotation is None:
            return True, level.contact.name if level.contact.kind == "person" else None
        person = rotation.on_duty(at)
        return person is not None, person

    def next_on_duty(
        self, flow: CompiledFlow, level: CompiledLevel, at: datetime
    ) -> datetime | None:
        """The next instant someone is on duty at ``level``, or None if nobody ever is."""
        rotation = self.rotation(flow, level.contact_id)
        if rotation is None:
            return at
        cursor: datetime | None = at
        for _ in range(_MAX_DUTY_STEPS):
            if cursor is None or rotation.on_duty(cursor) is not None:
                return cursor
            cursor = rotation.next_change(cursor)
        return None


def _window(flow: CompiledFlow, level: CompiledLevel, priority: str) -> tuple[Window, float]:
    effective = flow.priorities.get(priority)
    return effective.window(level) if effective else (level.window, 1.0)


def _business_calendar(name: str, spec: Calendar) -> BusinessCalendar:
    return BusinessCalendar(
        name=name,
        timezone=spec.timezone,
        hours=spec.weekly_hours(),
        holiday_country=spec.holidays.country if spec.holidays else None,
        holiday_subdivision=spec.holidays.subdivision if spec.holidays else None,
        closed_dates=spec.closed,
        open_dates=spec.open,
        day_minutes=spec.day_minutes(),
    )


def _rotation(flow: CompiledFlow, contact: Contact) -> Rotation | None:
    if not contact.shifts:
        return None
    calendar = contact.calendar or flow.default_calendar
    spec = flow.calendars.get(calendar) if calendar is not None else None
    zone = spec.timezone if spec is not None else "UTC"
    members = contact.members or [contact.name]
    shifts = []
    for shift in contact.shifts:
        since = shift.since or DEFAULT_ANCHOR
        if isinstance(since, datetime):
            anchor = since if since.tzinfo else since.replace(tzinfo=ZoneInfo(zone))
        else:
            anchor = datetime.combine(since, time(0), tzinfo=ZoneInfo(zone))
        shifts.append(
            Shift(
                shift.starts, shift.lasts.minutes, shift.members or members, anchor.astimezone(UTC)
            )
        )
    return Rotation(zone, shifts)
