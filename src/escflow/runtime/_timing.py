"""Windows, deadlines and duty for running tickets: specs turned into instants.

Business windows count in the level's calendar; wall windows stay wall time (minutes
and hours elapse, days are calendar days in the calendar's time zone). A priority's
factor scales a window; scaled wall days count as elapsed time. Business time is
exact to the second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from escflow._i18n import words
from escflow.compile import CompiledFlow, CompiledLevel
from escflow.compile._duty import business_calendar, contact_rotation
from escflow.records import Ticket
from escflow.spec._models import Window
from escflow.timing._calendar import BusinessCalendar, add_wall
from escflow.timing._duration import (
    Compound,
    Duration,
    Length,
    PartUnit,
    Unit,
    length_words,
    window_words,
)
from escflow.timing._rotation import Rotation

_MAX_DUTY_STEPS = 1000


@dataclass(frozen=True, slots=True)
class Span:
    """When a level's window warns and ends; None where the window has no such end."""

    warn_at: datetime | None
    deadline: datetime | None


@dataclass(frozen=True, slots=True)
class Remaining:
    """What was left of a level's window and of the SLA's resolution when the clock stopped.

    Each counts in its own terms: the window's (``business``: working minutes of
    ``calendar``, else elapsed minutes) and the SLA's (working minutes of
    ``resolution_calendar``, the flow's calendar, or elapsed minutes when it is None).
    ``held_until`` is when the level's window starts for a ticket held for the next shift
    (None when it is not held): the window's time left counts from then, not from the pause,
    and runs again from then at the earliest, so the part of a pause inside the hold does not
    lengthen the window.
    """

    deadline: float | None
    warn: float | None
    resolution: float | None
    business: bool
    calendar: str | None
    resolution_calendar: str | None
    held_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class WindowText:
    """A level's window as a ticket of one priority has it, in words: ``window``
    (``30-75 minutes``), its ``min`` and ``max`` ends (None where it has none)."""

    window: str
    min: str | None
    max: str | None


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
        self._texts: dict[tuple[str, str, str], WindowText] = {}

    def calendar(self, flow: CompiledFlow, name: str) -> BusinessCalendar:
        """The business calendar ``name`` of a flow version."""
        key = (flow.digest, name)
        found = self._calendars.get(key)
        if found is None:
            found = business_calendar(name, flow.calendars[name])
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

    def window_text(self, flow: CompiledFlow, level: CompiledLevel, priority: str) -> WindowText:
        """The window of ``level`` for a ``priority`` ticket in words of the flow's language,
        scaled by the priority's factor as its deadlines are: what notices and reasons quote."""
        key = (flow.digest, level.id, priority)
        found = self._texts.get(key)
        if found is None:
            window, factor = _window(flow, level, priority)
            day = self.calendar(flow, level.calendar).day_minutes if level.calendar else 1440
            low, high = (_scaled(d, factor, day) if d else None for d in (window.min, window.max))
            said = words(flow.language)
            found = self._texts[key] = WindowText(
                window_words(low, high, said),
                length_words(low, said) if low else None,
                length_words(high, said) if high else None,
            )
        return found

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

    def sla_timers(self, flow: CompiledFlow, priority: str, start: datetime) -> dict[str, Any]:
        """The SLA's targets and warnings of a ticket opened at ``start``, as the opening
        event holds them: each warning at the flow's share (``sla_warning``) of its target,
        counted as the target is (business time when it is business time)."""
        target = flow.sla.get(priority)
        if target is None:
            return {}
        calendar, share = flow.calendar, flow.spec.sla_warning
        return {
            "response_warn_at": self.add(flow, calendar, target.first_response, share, start),
            "resolution_warn_at": self.add(flow, calendar, target.resolution, share, start),
        }

    def sla_left(self, flow: CompiledFlow, ticket: Ticket, now: datetime) -> dict[str, Any]:
        """What is left at ``now`` of each pending SLA timer of ``ticket`` (minutes, in its
        target's terms; None for one that fired or was met), as a pause records it."""
        target = flow.sla.get(ticket.priority)
        business = target is not None and target.first_response.business
        response = flow.calendar if business else None
        business = target is not None and target.resolution.business
        resolution = flow.calendar if business else None
        return {
            "response_warn": self._left(flow, response, now, ticket.response_warn_at),
            "response_breach": self._left(flow, response, now, ticket.response_breach_at),
            "resolution_warn": self._left(flow, resolution, now, ticket.resolution_warn_at),
            "resolution_breach": self._left(flow, resolution, now, ticket.resolution_breach_at),
            "response_calendar": response,
            "resolution_calendar": resolution,
        }

    def sla_again(
        self, flow: CompiledFlow, left: Mapping[str, Any], now: datetime
    ) -> dict[str, Any]:
        """The SLA timers after resuming at ``now`` with what :meth:`sla_left` recorded, as
        the resume event holds them; a first response still pending is due anew."""
        response, resolution = left["response_calendar"], left["resolution_calendar"]
        again = {
            "response_warn_at": self._again(flow, response, now, left["response_warn"]),
            "response_breach_at": self._again(flow, response, now, left["response_breach"]),
            "resolution_warn_at": self._again(flow, resolution, now, left["resolution_warn"]),
            "resolution_breach_at": self._again(flow, resolution, now, left["resolution_breach"]),
        }
        if again["response_breach_at"] is not None:
            again["first_response_due"] = again["response_breach_at"]
        return again

    def remaining(
        self,
        flow: CompiledFlow,
        level: CompiledLevel,
        priority: str,
        now: datetime,
        instants: tuple[datetime | None, datetime | None, datetime | None],
        held_until: datetime | None = None,
    ) -> Remaining:
        """What is left of (deadline, warning) at ``now`` in the window's terms, and of the
        resolution target in the SLA's. A window held until a later shift start
        (``held_until``) has not begun: what is left of it counts from that start."""
        window, _ = _window(flow, level, priority)
        business = window.business and level.calendar is not None
        counted_in = level.calendar if business else None
        target = flow.sla.get(priority)
        sla_calendar = flow.calendar if target and target.resolution.business else None
        deadline, warn, resolution = instants
        held = held_until if held_until is not None and held_until > now else None
        starts = held or now
        return Remaining(
            self._left(flow, counted_in, starts, deadline),
            self._left(flow, counted_in, starts, warn),
            # The SLA's clock is not held with the level: it stops at the pause itself.
            self._left(flow, sla_calendar, now, resolution),
            business,
            level.calendar,
            sla_calendar,
            held,
        )

    def _left(
        self, flow: CompiledFlow, calendar: str | None, now: datetime, instant: datetime | None
    ) -> float | None:
        """Minutes from ``now`` to ``instant``: working minutes of ``calendar``, if given."""
        if instant is None:
            return None
        if instant <= now:
            return 0.0
        if calendar is not None:
            return self.calendar(flow, calendar).business_minutes_between(now, instant)
        return (instant - now) / timedelta(minutes=1)

    def resume(
        self, flow: CompiledFlow, remaining: Remaining, now: datetime
    ) -> tuple[datetime | None, datetime | None, datetime | None]:
        """(deadline, warning, resolution) after resuming at ``now``: the window runs again
        from ``now``, or from the end of its hold when that is later."""
        window = remaining.calendar if remaining.business else None
        held = remaining.held_until
        starts = held if held is not None and held > now else now
        return (
            self._again(flow, window, starts, remaining.deadline),
            self._again(flow, window, starts, remaining.warn),
            self._again(flow, remaining.resolution_calendar, now, remaining.resolution),
        )

    def _again(
        self, flow: CompiledFlow, calendar: str | None, now: datetime, minutes: float | None
    ) -> datetime | None:
        """``now`` plus ``minutes``: working minutes of ``calendar``, if given."""
        if minutes is None:
            return None
        if calendar is not None:
            return self.calendar(flow, calendar).add_business_minutes(now, minutes)
        return now + timedelta(minutes=minutes)

    def rotation(self, flow: CompiledFlow, contact_id: str) -> Rotation | None:
        """The duty rotation of a contact point, or None when it has no shifts."""
        key = (flow.digest, contact_id)
        if key not in self._rotations:
            self._rotations[key] = contact_rotation(
                flow.contacts[contact_id], flow.calendars, flow.default_calendar
            )
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


def _scaled(duration: Duration, factor: float, day_minutes: int) -> Length:
    """``duration`` scaled by ``factor`` as a deadline counts it (a business day is
    ``day_minutes`` of working time; scaled wall days are elapsed time), in the largest
    whole unit, minutes up to two hours: '2 hours' x 0.25 is '30 minutes'. In several
    units when no one unit fits: '7 hours 30 minutes'."""
    if factor == 1:
        return duration
    seconds = round(duration.nominal_minutes(day_minutes) * factor * 60)
    day = day_minutes * 60 if duration.business else 86_400
    units: tuple[tuple[Unit, int], ...] = (("days", day), ("hours", 3600), ("minutes", 60))
    for unit, size in units:
        if seconds >= size and seconds % size == 0 and (unit != "minutes" or seconds <= 7200):
            return Duration(seconds // size, unit, duration.business)
    parts: list[tuple[PartUnit, int]] = []
    sizes: tuple[tuple[PartUnit, int], ...] = (("hours", 3600), ("minutes", 60), ("seconds", 1))
    for name, size in sizes:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append((name, count))
    return Compound(tuple(parts), duration.business)


def _window(flow: CompiledFlow, level: CompiledLevel, priority: str) -> tuple[Window, float]:
    effective = flow.priorities.get(priority)
    return effective.window(level) if effective else (level.window, 1.0)
