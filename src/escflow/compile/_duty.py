"""Duty rotations and business calendars built from their definitions.

The engine and the checks build them the same way, here: a contact point's shifts are
read in its calendar's time zone (or the matrix's calendar's; UTC without either), and
their turns count from ``since`` (a date is its midnight there; without it 2024-01-01).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from escflow.errors import TimeError
from escflow.spec._models import Calendar, Contact
from escflow.timing import BusinessCalendar, Rotation, Shift

__all__ = [
    "DEFAULT_SINCE",
    "GAP_SCAN_DAYS",
    "business_calendar",
    "contact_rotation",
    "duty_gap",
    "rotation_zone",
]

DEFAULT_SINCE = date(2024, 1, 1)  # counts a rotation's turns when 'since' is not given


def business_calendar(name: str, spec: Calendar) -> BusinessCalendar:
    """The business calendar ``name`` defined by ``spec``."""
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


def rotation_zone(
    contact: Contact, calendars: Mapping[str, Calendar], default_calendar: str | None
) -> str:
    """The time zone a contact point's shifts are read in."""
    name = contact.calendar or default_calendar
    spec = calendars.get(name) if name is not None else None
    return spec.timezone if spec is not None else "UTC"


def contact_rotation(
    contact: Contact, calendars: Mapping[str, Calendar], default_calendar: str | None
) -> Rotation | None:
    """The duty rotation of ``contact``, or None when it has no shifts.

    ``calendars`` are the matrix's, ``default_calendar`` the matrix's own calendar.
    """
    if not contact.shifts:
        return None
    zone = rotation_zone(contact, calendars, default_calendar)
    members = contact.members or [contact.name]
    shifts = []
    for shift in contact.shifts:
        since = shift.since or DEFAULT_SINCE
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


# The gaps found, by what they depend on: validation runs again on every load of the same
# definitions, and the year scanned is the same each time.
_GAPS: dict[tuple[str, str, str, str], tuple[datetime, datetime] | None] = {}
_GAPS_LIMIT = 256
GAP_SCAN_DAYS = 366  # a year holds both clock changes


def duty_gap(
    contact: Contact, calendars: Mapping[str, Calendar], default_calendar: str | None, name: str
) -> tuple[datetime, datetime] | None:
    """The first stretch (UTC) of the working hours of calendar ``name`` in which nobody of
    ``contact`` is on duty, in the year from when all its shifts take turns; None if none.

    Definitions that cannot be built (a bad cron, a calendar without working time) have no
    gap here: their own checks say what is wrong.
    """
    zone = rotation_zone(contact, calendars, default_calendar)
    key = (contact.model_dump_json(), zone, name, calendars[name].model_dump_json())
    if key not in _GAPS:
        if len(_GAPS) >= _GAPS_LIMIT:
            _GAPS.clear()
        _GAPS[key] = _first_gap(contact, calendars, default_calendar, name)
    return _GAPS[key]


def _first_gap(
    contact: Contact, calendars: Mapping[str, Calendar], default_calendar: str | None, name: str
) -> tuple[datetime, datetime] | None:
    try:
        rotation = contact_rotation(contact, calendars, default_calendar)
        calendar = business_calendar(name, calendars[name])
    except TimeError:
        return None
    if rotation is None or rotation.since is None:
        return None
    return rotation.first_gap(calendar, rotation.since, GAP_SCAN_DAYS)
