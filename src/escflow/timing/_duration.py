"""Durations as designers write them: ``30 minutes``, ``2 hours``, ``1 business day``.

A duration is a whole number of minutes, hours or days, counted either in wall time
(elapsed time; days are calendar days) or in business time (only the working time of a
calendar; a business day is one working day's worth of working time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from escflow._i18n import Words, ngettext_noop

Unit = Literal["minutes", "hours", "days"]
PartUnit = Literal["days", "hours", "minutes", "seconds"]

_UNITS: dict[str, Unit] = {
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
}
_MINUTES_PER: dict[Unit, int] = {"minutes": 1, "hours": 60, "days": 1440}
_DURATION = re.compile(
    r"^\s*(?P<value>\d+(?:\.\d+)?)?\s*(?P<business>business\s+)?(?P<unit>[a-z]+)?\s*$",
    re.IGNORECASE,
)
EXAMPLES = "'30 minutes', '2 hours', '1 business day' or '4 business hours'"
# A hundred years: longer than any window or SLA, and short enough that a deadline never
# runs past the end of Python's calendar (timing._clock bounds the instants).
LONGEST_DAYS = 36_500


@dataclass(frozen=True, order=True)
class Duration:
    """A positive whole number of minutes, hours or days, in wall or business time."""

    value: int
    unit: Unit
    business: bool = False

    def __post_init__(self) -> None:
        if self.value <= 0:
            raise ValueError(f"a duration must be positive, got {self.value} {self.unit}")
        if self.minutes > LONGEST_DAYS * 1440:
            raise ValueError(
                f"'{self}' is too long; a duration is at most {LONGEST_DAYS // 365} years"
                f" ({LONGEST_DAYS:,} days)"
            )

    @property
    def minutes(self) -> int:
        """The duration in minutes, taking a day as 24 hours (wall) or as given (business).

        For business days this is only nominal; the calendar says how long its
        business day is (:meth:`nominal_minutes`).
        """
        return self.value * _MINUTES_PER[self.unit]

    def nominal_minutes(self, business_day_minutes: int) -> int:
        """Minutes of (business) time, with a business day of the given length."""
        if self.business and self.unit == "days":
            return self.value * business_day_minutes
        return self.minutes

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``'30 minutes'``, ``'1 hour'``, ``'2 business days'``, ``'15m'``.

        Raises ValueError with a message a designer can act on.
        """
        match = _DURATION.match(text)
        if match is None or match["value"] is None or match["unit"] is None:
            if match is not None and match["value"] is not None:
                raw = match["value"]
                # The example must itself be a duration, so never '1.5 minutes'.
                example = (
                    f"'{raw} minutes'"
                    if "." not in raw
                    else f"'{round(float(raw) * 60)} minutes' for {raw} hours"
                )
                raise ValueError(f"'{text.strip()}' has no unit; write e.g. {example}")
            raise ValueError(f"'{text}' is not a duration; write e.g. {EXAMPLES}")
        unit = _UNITS.get(match["unit"].lower())
        if unit is None:
            raise ValueError(
                f"'{match['unit']}' in '{text.strip()}' is not a unit; "
                "use minutes, hours or days (optionally 'business')"
            )
        raw = match["value"]
        if "." in raw:
            if unit == "minutes":  # nothing smaller to turn to
                raise ValueError(
                    f"'{text.strip()}' is not a whole number; round it to whole minutes,"
                    f" e.g. '{max(1, round(float(raw)))} minutes'"
                )
            business = "business " if match["business"] else ""
            if business and unit == "days":  # a business day's hours are the calendar's
                hint = f"'{round(float(raw) * 8)} business hours' where a business day is 8 hours"
            else:
                smaller: Unit = "hours" if unit == "days" else "minutes"
                factor = 24 if unit == "days" else 60
                hint = f"'{round(float(raw) * factor)} {business}{smaller}'"
            raise ValueError(
                f"'{text.strip()}' is not a whole number; use a smaller unit, e.g. {hint}"
            )
        value = int(raw)
        if value == 0:
            raise ValueError(f"'{text.strip()}' is zero; a duration must be positive")
        return cls(value, unit, match["business"] is not None)  # which refuses one too long

    def __str__(self) -> str:
        unit = self.unit if self.value != 1 else self.unit[:-1]
        return f"{self.value} {'business ' if self.business else ''}{unit}"

    def short(self) -> str:
        """A compact form for tables and diagrams: ``30 min``, ``2 h``, ``1 bd``."""
        suffix = {"minutes": "min", "hours": "h", "days": "d"}[self.unit]
        if self.business:
            suffix = {"minutes": "business min", "hours": "business h", "days": "business d"}[
                self.unit
            ]
        return f"{self.value} {suffix}"


@dataclass(frozen=True)
class Compound:
    """A length no single unit writes, as a priority's factor can make one: ``parts`` from
    the largest unit down (``(("hours", 7), ("minutes", 30))``), in business time or not."""

    parts: tuple[tuple[PartUnit, int], ...]
    business: bool = False


Length = Duration | Compound
"""A window's end as a ticket has it: a duration, or one in several units."""

# How many of a unit, as customers and contact points read it.
_LENGTHS: dict[tuple[PartUnit, bool], tuple[str, str]] = {
    ("minutes", False): ngettext_noop("{n} minute", "{n} minutes"),
    ("hours", False): ngettext_noop("{n} hour", "{n} hours"),
    ("days", False): ngettext_noop("{n} day", "{n} days"),
    ("seconds", False): ngettext_noop("{n} second", "{n} seconds"),
    ("minutes", True): ngettext_noop("{n} business minute", "{n} business minutes"),
    ("hours", True): ngettext_noop("{n} business hour", "{n} business hours"),
    ("days", True): ngettext_noop("{n} business day", "{n} business days"),
    ("seconds", True): ngettext_noop("{n} business second", "{n} business seconds"),
}
# A window whose ends share a unit; the form is the one the larger end takes.
_RANGES: dict[tuple[Unit, bool], tuple[str, str]] = {
    ("minutes", False): ngettext_noop("{low}-{high} minute", "{low}-{high} minutes"),
    ("hours", False): ngettext_noop("{low}-{high} hour", "{low}-{high} hours"),
    ("days", False): ngettext_noop("{low}-{high} day", "{low}-{high} days"),
    ("minutes", True): ngettext_noop(
        "{low}-{high} business minute", "{low}-{high} business minutes"
    ),
    ("hours", True): ngettext_noop("{low}-{high} business hour", "{low}-{high} business hours"),
    ("days", True): ngettext_noop("{low}-{high} business day", "{low}-{high} business days"),
}


def length_words(length: Length, words: Words) -> str:
    """``30 minutes``, ``1 business day``, ``7 hours 30 minutes``, in ``words``' language."""
    if isinstance(length, Duration):
        return words.ngettext(*_LENGTHS[length.unit, length.business], length.value)
    said = [words.ngettext(*_LENGTHS[unit, length.business], n) for unit, n in length.parts]
    text = said[0]
    for smaller in said[1:]:
        text = words.gettext("{larger} {smaller}", larger=text, smaller=smaller)
    return text


def window_words(low: Length | None, high: Length | None, words: Words) -> str:
    """A window in words: ``15-30 minutes``, ``30 minutes - 1 hour``, ``up to 2 hours``,
    ``until resolution``, in ``words``' language."""
    if high is None:
        if low is None:
            return words.gettext("until resolution")
        return words.gettext("from {low} until resolution", low=length_words(low, words))
    if low is None:
        return words.gettext("up to {high}", high=length_words(high, words))
    if (
        isinstance(low, Duration)
        and isinstance(high, Duration)
        and (low.unit, low.business) == (high.unit, high.business)
    ):
        singular, plural = _RANGES[high.unit, high.business]
        return words.ngettext(singular, plural, high.value, low=low.value, high=high.value)
    return words.gettext(
        "{low} - {high}", low=length_words(low, words), high=length_words(high, words)
    )
