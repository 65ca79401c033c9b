"""Time: durations, clocks, business calendars, duty rotations."""

from __future__ import annotations

from functools import lru_cache

from escflow.timing._calendar import BusinessCalendar, add_wall
from escflow.timing._clock import Clock, ManualClock, SystemClock, ensure_aware
from escflow.timing._duration import Duration
from escflow.timing._rotation import Rotation, Shift


@lru_cache(maxsize=256)
def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a valid cron expression, or None when it is."""
    from escflow.timing._cron import validate_cron

    return validate_cron(expression)


@lru_cache(maxsize=256)
def calendar_problem(country: str, subdivision: str | None) -> str | None:
    """Why the holidays of ``country``/``subdivision`` cannot be had, or None."""
    from escflow.timing._calendar import holidays_problem

    return holidays_problem(country, subdivision)


__all__ = [
    "BusinessCalendar",
    "Clock",
    "Duration",
    "ManualClock",
    "Rotation",
    "Shift",
    "SystemClock",
    "add_wall",
    "calendar_problem",
    "cron_problem",
    "ensure_aware",
]
