"""The YAML format as pydantic models: frozen, unknown keys refused.

A folder of definitions holds one **matrix** document (contact points, calendars,
priorities, issue types) and one **flow** document per issue category. These models
check each document on its own; references between them are checked when flows are
compiled (:mod:`escflow.compile`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from escflow._names import DEVICE_IDS, check_file_name
from escflow.spec._chars import check_text
from escflow.timing._duration import _UNITS as UNIT_WORDS  # the unit words it parses
from escflow.timing._duration import EXAMPLES, Duration

FORMAT_VERSION = 1
RESOLVED = "resolved"
CUSTOMER = "customer"

_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def _check_id(value: str) -> str:
    if not _ID.fullmatch(value):  # match() would take a trailing line break
        slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "level-1"
        raise ValueError(
            f"'{value}' is not a valid id: use lowercase letters, digits and dashes, e.g. '{slug}'"
        )
    return value


Id = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=80),
    AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": _ID.pattern}),
]


def _check_flow_id(value: str) -> str:
    """A flow's id names its files (``<id>.yaml``, ``<id>.svg``): they must be plain files
    on every system, so the file-name rule applies to it (a Windows device name fails it)."""
    try:
        check_file_name(f"{value}.yaml")
    except ValueError as exc:
        raise ValueError(
            f"'{value}' cannot be a flow id, which names the flow's files ({exc}): choose"
            f" another, e.g. '{value}-flow'"
        ) from None
    return value


FlowId = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=80),
    AfterValidator(_check_id),
    AfterValidator(_check_flow_id),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _ID.pattern,
            "not": {"enum": sorted(DEVICE_IDS)},
            "description": "lowercase letters, digits and dashes; not a Windows device name",
        }
    ),
]
# Every text a person writes: no control characters (tab and line break aside) nor
# non-characters, which would break the diagrams, the spreadsheets and the terminal.
Text = Annotated[str, Field(strict=True, min_length=1, max_length=2000), AfterValidator(check_text)]
# Text that may be empty or long (the names of days), checked the same.
_Chars = Annotated[str, AfterValidator(check_text)]


def _any_case(word: str) -> str:
    """A regular expression matching ``word`` in any case, without flags: JSON Schema
    patterns (ECMA-262, as editors run them) have no case-insensitive switch."""
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isalpha() else r"\s+" if c == " " else re.escape(c)
        for c in word
    )


# What a designer may write, as regular expressions for the JSON Schema: the units are
# those Duration.parse knows, longest first so that 'minutes' is not read as 'm'.
_UNIT_PATTERN = "|".join(_any_case(u) for u in sorted(UNIT_WORDS, key=len, reverse=True))
_DURATION_PATTERN = rf"0*[1-9][0-9]*\s*(?:{_any_case('business')}\s+)?(?:{_UNIT_PATTERN})"
_RANGE_SIGNS = r"(?:-|–|—|\.\.)"
_UNTIL_WORDS = ("until resolution", "resolution", "until resolved", "none")
_WINDOW_PATTERN = (
    rf"^\s*(?:{'|'.join(_any_case(w) for w in _UNTIL_WORDS)}"
    rf"|{_DURATION_PATTERN}"
    rf"|0*[1-9][0-9]*\s*{_RANGE_SIGNS}\s*{_DURATION_PATTERN}"
    rf"|{_DURATION_PATTERN}\s*{_RANGE_SIGNS}\s*{_DURATION_PATTERN})\s*$"
)
# Words designers write for 'business' time, and what they mean.
_SYNONYMS = {"working": "business", "work": "business", "office": "business"}
_WORDS = (*UNIT_WORDS, "business")


def suggest_duration(text: str, parse: Callable[[str], object]) -> str:
    """``"; did you mean '1-2 business days'?"`` when changing a misspelt word of ``text``
    (``busines``, ``working``, ``minuts``) gives a text that ``parse`` takes, else ``""``."""

    def fix(match: re.Match[str]) -> str:
        word = match[0].lower()
        if word in _WORDS:
            return match[0]
        if word in _SYNONYMS:
            return _SYNONYMS[word]
        close = difflib.get_close_matches(word, _WORDS, n=1, cutoff=0.75)
        return close[0] if close else match[0]

    corrected = re.sub(r"[A-Za-z]+", fix, text.strip())
    if corrected == text.strip():
        return ""
    try:
        parse(corrected)
    except ValueError:
        return ""
    return f"; did you mean '{corrected}'?"


def _duration_text(text: str) -> Duration:
    try:
        return Duration.parse(text)
    except ValueError as exc:
        raise ValueError(f"{exc}{suggest_duration(text, Duration.parse)}") from None


def _parse_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a duration such as {EXAMPLES}")
    if isinstance(value, int):
        raise ValueError(f"'{value}' has no unit; write e.g. '{value} minutes'")
    return _duration_text(value)


_DURATION_SCHEMA = {
    "type": "string",
    "pattern": rf"^\s*{_DURATION_PATTERN}\s*$",
    "examples": ["30 minutes", "2 hours", "1 business day", "4 business hours"],
}
DurationField = Annotated[
    Duration,
    BeforeValidator(_parse_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(_DURATION_SCHEMA),
]


class Model(BaseModel):
    """Base of every definition model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# --- matrix: contact points -------------------------------------------------------


class Channels(Model):
    """How to reach a contact point. Every channel is optional."""

    email: Text | None = None
    phone: Text | None = None
    chat: Text | None = None
    webhook: Text | None = None


class Shift(Model):
    """A recurring duty shift: starts at each cron fire time, members take it in turn."""

    starts: Text = Field(description="cron expression, e.g. '0 9 * * mon-fri'")
    lasts: DurationField
    members: list[Text] | None = Field(
        default=None, description="who takes the shifts in turn; default: all team members"
    )
    since: date | datetime | None = Field(
        default=None, description="the first shift of the turn order is on or after this"
    )


class Contact(Model):
    """A contact point: one person or a team, with channels and optional duty shifts."""

    name: Text
    kind: Literal["person", "team"]
    channels: Channels = Channels()
    members: list[Text] = []
    calendar: Id | None = Field(default=None, description="the calendar shifts are read in")
    shifts: list[Shift] = []
    off_duty: Literal["skip", "hold"] = Field(
        default="hold",
        description="when nobody is on duty: 'hold' waits at this level, 'skip' moves on",
    )

    @model_validator(mode="after")
    def _person_has_no_team(self) -> Contact:
        if self.kind == "person" and self.members:
            raise ValueError("a person has no members; use kind: team")
        return self


# --- matrix: calendars ------------------------------------------------------------

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_DAY_PATTERN = f"(?:{'|'.join(_any_case(d) for d in _DAYS)})[a-zA-Z]*"
_DAY_RANGE = rf"{_DAY_PATTERN}(?:\s*-\s*{_DAY_PATTERN})?"
_DAYS_PATTERN = (
    rf"^\s*(?:{_any_case('daily')}|{_any_case('every day')}"
    rf"|{_DAY_RANGE}(?:\s*,\s*{_DAY_RANGE})*)\s*$"
)
_SPAN = r"\s*[0-9]{1,2}:[0-9]{2}\s*-\s*[0-9]{1,2}:[0-9]{2}\s*"
_HOURS_PATTERN = rf"^{_SPAN}(?:,{_SPAN})*$"


def parse_days(spec: str) -> list[int]:
    """``'mon-fri'``, ``'sat'``, ``'mon,wed'``, ``'daily'`` -> weekday numbers (Monday 0).

    A range runs forward through the week and may wrap past Sunday, as weeks that start
    on Sunday or Saturday are written: ``'sun-thu'``, ``'fri-sat'``, ``'sat-wed'``.
    """
    text = spec.strip().lower()
    if text in ("daily", "every day"):
        return list(range(7))
    days: list[int] = []
    for part in text.split(","):
        ends = [p.strip()[:3] for p in part.split("-")]
        if len(ends) not in (1, 2) or any(e not in _DAYS for e in ends):
            raise ValueError(
                f"'{spec}' is not a day or range of days; write e.g. 'mon-fri', 'sun-thu',"
                " 'sat' or 'daily'"
            )
        first, last = _DAYS.index(ends[0]), _DAYS.index(ends[-1])
        days.extend(day % 7 for day in range(first, first + (last - first) % 7 + 1))
    return days


def _parse_clock(text: str, whole: str) -> time:
    match = _HHMM.match(text.strip())
    if match is None or int(match[1]) > 24 or int(match[2]) > 59:
        raise ValueError(f"'{text.strip()}' in '{whole}' is not a time; write e.g. '09:00'")
    hour, minute = int(match[1]), int(match[2])
    if hour == 24:
        if minute:
            raise ValueError(f"'{text.strip()}' is past midnight; the latest end is 24:00")
        return time(0)
    return time(hour, minute)


def parse_hours(spec: str) -> list[tuple[time, time]]:
    """``'09:00-12:00, 13:00-17:00'`` -> intervals; ``24:00`` ends at midnight (time 0)."""
    intervals: list[tuple[time, time]] = []
    for part in spec.split(","):
        ends = part.split("-")
        if len(ends) != 2:
            raise ValueError(f"'{part.strip()}' is not an interval; write e.g. '09:00-17:00'")
        start, end = _parse_clock(ends[0], spec), _parse_clock(ends[1], spec)
        if end != time(0) and end <= start:
            raise ValueError(_overnight(part.strip(), start, end))
        if intervals and (intervals[-1][1] == time(0) or start < intervals[-1][1]):
            raise ValueError(f"'{spec}' has overlapping or unordered intervals")
        intervals.append((start, end))
    return intervals


def _overnight(part: str, start: time, end: time) -> str:
    """How to write a span that ends before it starts: a night across midnight is two
    spans, since each day's hours are that day's own (holidays and closed dates take
    whole days)."""
    if end == start:
        return f"'{part}' ends when it starts; write e.g. '09:00-17:00', or '00:00-24:00'"
    evening, morning = f"{start:%H:%M}-24:00", f"00:00-{end:%H:%M}"
    return (
        f"'{part}' ends before it starts; a day's hours end by 24:00, so a night across"
        f" midnight is written in two parts, the evening on its days and the morning on"
        f" the next: for the nights from monday to friday, {{mon: '{evening}',"
        f" tue-fri: '{morning}, {evening}', sat: '{morning}'}}"
    )


def _check_days(spec: str) -> str:
    parse_days(spec)
    return spec


def _check_hours(spec: str) -> str:
    parse_hours(spec)
    return spec


# One entry of a calendar's 'hours', each checked on its own so that every mistake is
# reported at the entry that holds it.
_DaysKey = Annotated[
    _Chars,
    AfterValidator(_check_days),
    WithJsonSchema({"type": "string", "pattern": _DAYS_PATTERN}),
]
_HoursText = Annotated[
    Text,
    AfterValidator(_check_hours),
    WithJsonSchema({"type": "string", "pattern": _HOURS_PATTERN}),
]


def week_of(hours: dict[str, str]) -> dict[int, list[tuple[time, time]]]:
    """Weekday (Monday 0) -> working intervals in local wall time, from checked ``hours``."""
    week: dict[int, list[tuple[time, time]]] = {}
    for days, spans in hours.items():
        for day in parse_days(days):
            week[day] = parse_hours(spans)
    return week


def _day_lengths(week: dict[int, list[tuple[time, time]]]) -> dict[int, int]:
    """Weekday -> working minutes that day."""
    return {
        day: sum(_minutes(end, end=True) - _minutes(start) for start, end in spans)
        for day, spans in week.items()
    }


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        import difflib

        close = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
        hint = (
            f"; did you mean '{close[0]}'?" if close else "; use an IANA name like 'Europe/Paris'"
        )
        raise ValueError(f"'{value}' is not a time zone{hint}") from None
    return value


class HolidaySource(Model):
    """Public holidays from the ``holidays`` package, by country and subdivision."""

    country: Annotated[str, Field(strict=True, pattern=r"^[A-Z]{2,3}$")]
    subdivision: Text | None = None


class Calendar(Model):
    """Working time: a time zone, weekly hours, public holidays and explicit dates."""

    timezone: Annotated[str, Field(strict=True), AfterValidator(_check_timezone)]
    hours: dict[_DaysKey, _HoursText] = Field(
        description="days -> working hours, e.g. {'mon-fri': '09:00-17:00', 'sat': '10:00-14:00'}",
        json_schema_extra={"additionalProperties": False},  # a key is days, or it is wrong
    )
    holidays: HolidaySource | None = None
    closed: list[date] = Field(default=[], description="extra non-working dates")
    open: list[date] = Field(default=[], description="working dates that would be holidays")
    business_day: DurationField | None = Field(
        default=None,
        description="how much working time '1 business day' is; default: the usual day;"
        " at most the longest working day",
    )

    @field_validator("hours")
    @classmethod
    def _each_day_once(cls, hours: dict[str, str]) -> dict[str, str]:
        seen: dict[int, str] = {}
        for days in hours:
            for day in parse_days(days):
                if day in seen:
                    raise ValueError(f"{_DAYS[day]} is given twice (in '{seen[day]}' and '{days}')")
                seen[day] = days
        if not seen:
            raise ValueError("a calendar needs working hours on at least one day")
        return hours

    @field_validator("business_day")
    @classmethod
    def _within_a_working_day(cls, value: Duration | None, info: ValidationInfo) -> Duration | None:
        if value is None:
            return value
        if value.business:
            raise ValueError("business_day is a length of working time: write e.g. '8 hours'")
        hours = info.data.get("hours")
        if hours is None:
            return value  # the hours have their own problem
        lengths = _day_lengths(week_of(hours))
        longest = max(lengths.values())
        if value.minutes > longest:
            day = next(d for d in range(7) if lengths.get(d) == longest)
            written = next(k for k in hours if day in parse_days(k))
            raise ValueError(
                f"business_day is {value} ({_hours_text(value.minutes)} of working time), longer"
                f" than this calendar's longest working day ({_hours_text(longest)}:"
                f" {written} {hours[written]}), so every business day would last more than one"
                f" working day: write e.g. 'business_day: {_hours_text(longest)}', or remove it"
                " to take the usual day"
            )
        return value

    def weekly_hours(self) -> dict[int, list[tuple[time, time]]]:
        """Weekday (Monday 0) -> working intervals in local wall time."""
        return week_of(self.hours)

    def day_minutes(self) -> int:
        """Working minutes in '1 business day': explicit, or the most common day's length."""
        if self.business_day is not None:
            return self.business_day.minutes
        lengths = list(_day_lengths(self.weekly_hours()).values())
        return max(lengths, key=lambda n: (lengths.count(n), n))


def _hours_text(minutes: int) -> str:
    """``480`` -> ``'8 hours'``, ``450`` -> ``'450 minutes'``: a duration as it is written."""
    if minutes % 60:
        return f"{minutes} minutes"
    return f"{minutes // 60} hour{'s' if minutes != 60 else ''}"


def _minutes(moment: time, *, end: bool = False) -> int:
    if end and moment == time(0):
        return 1440  # an interval ending at 24:00
    return moment.hour * 60 + moment.minute


# --- matrix: priorities and issue types ------------------------------------------


class Priority(Model):
    """A priority: where its tickets enter and how fast its windows run."""

    name: Text | None = None
    entry: Annotated[StrictInt, Field(ge=0)] | None = Field(
        default=None, description="the level number tickets of this priority start at"
    )
    factor: Annotated[float, Field(gt=0, le=10)] = Field(
        default=1.0, description="windows are multiplied by this (0.5 = twice as fast)"
    )


class IssueType(Model):
    """One of the escalation plan's issue types; flows name it as their category's type."""

    name: Text
    description: Text | None = None


class MatrixDoc(Model):
    """The matrix file: what every flow shares."""

    escflow: Literal[1] = Field(description="the format version")
    kind: Literal["matrix"]
    name: Text
    description: Text | None = None
    calendar: Id | None = Field(default=None, description="the default calendar of flows")
    contacts: dict[Id, Contact]
    calendars: dict[Id, Calendar] = {}
    priorities: dict[Id, Priority] = Field(
        default={}, description="lowest first; the order is the rank"
    )
    default_priority: Id | None = None
    issue_types: dict[Id, IssueType]


# --- flows --------------------------------------------------------------------------


class Window(Model):
    """A level's time box: act by ``min`` (warning), escalate at ``max``.

    Written as a mapping or as the spreadsheet's text: ``15-30 minutes``,
    ``30 minutes - 1 hour``, ``1-2 business days``, ``until resolution``.
    """

    min: DurationField | None = None
    max: DurationField | None = None
    calendar: Id | None = Field(default=None, description="the calendar business time uses")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return parse_window_text(value)
            except ValueError as exc:
                raise ValueError(f"{exc}{suggest_duration(value, parse_window_text)}") from None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = f"{value:g}"
            lower = f"{value / 2:g}" if value >= 2 and value % 2 == 0 else "1"
            raise ValueError(
                f"'{number}' has no unit; write the window as text, e.g. '{lower}-{number}"
                f" minutes' (act by {lower} minutes, escalate at {number}), '{number} minutes'"
                " or 'until resolution'"
            )
        if not isinstance(value, dict | Window):
            raise ValueError(
                "expected a window such as '15-30 minutes', '1-2 business days' or"
                " 'until resolution', or a mapping {min: ..., max: ...}"
            )
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The text forms or the mapping, as the validator takes them."""
        mapping = handler.resolve_ref_schema(handler(core_schema))
        text = {
            "type": "string",
            "pattern": _WINDOW_PATTERN,
            "examples": ["15-30 minutes", "30 minutes - 1 hour", "1-2 business days"],
        }
        return {"description": mapping.pop("description", ""), "anyOf": [text, mapping]}

    @property
    def until_resolution(self) -> bool:
        """True when the level never times out."""
        return self.max is None

    @property
    def business(self) -> bool:
        """True when either end counts business time."""
        return any(d is not None and d.business for d in (self.min, self.max))

    def __str__(self) -> str:
        if self.min is None and self.max is None:
            return "until resolution"
        if self.min is None:
            return f"up to {self.max}"
        if self.max is None:
            return f"from {self.min} until resolution"
        if (self.min.unit, self.min.business) == (self.max.unit, self.max.business):
            unit = str(self.max).split(" ", 1)[1]
            return f"{self.min.value}-{self.max.value} {unit}"
        return f"{self.min} - {self.max}"


_RANGE = re.compile(rf"^\s*(?P<a>.+?)\s*{_RANGE_SIGNS}\s*(?P<b>.+?)\s*$")
_UNTIL = set(_UNTIL_WORDS)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def parse_window_text(text: str) -> dict[str, Any]:
    """The spreadsheet's window text -> ``{'min': ..., 'max': ...}``."""
    if text.strip().lower() in _UNTIL:
        return {}
    match = _RANGE.match(text)
    if match is None:
        return {"max": Duration.parse(text)}
    low, high = match["a"].strip(), match["b"]
    top = Duration.parse(high)
    if _NUMBER.match(low):
        # '15-30 minutes': the minimum is in the maximum's unit, and is read in it, so
        # that '1.5-2 hours' gets the hint for '1.5 hours' (a smaller unit).
        if float(low) == 0:
            raise ValueError(f"'{text}' starts at zero; a window's minimum must be positive")
        business = "business " if top.business else ""
        return {"min": Duration.parse(f"{low} {business}{top.unit}"), "max": top}
    return {"min": Duration.parse(low), "max": top}


PLACEHOLDERS = ("ticket", "reason", "level", "contact", "window")
"""The names a message may use as ``$name`` (``$$`` is a dollar sign)."""


WhenSkipped = Literal["run", "drop"]
_WhenSkipped = Annotated[
    WhenSkipped | None,
    Field(
        description="whether the action is sent when nobody is on duty at its level and the"
        " ticket skips it (off_duty: skip): run or drop. Left out: handlers and webhooks run"
        " (they need no person), a notification runs unless it is to the customer or to the"
        " level's own contact point",
    ),
    WithJsonSchema({"enum": ["run", "drop"]}),
]


class _Skippable(Model):
    """An automated action, which says ``when_skipped`` what becomes of it at a level
    skipped for nobody on duty (see :func:`runs_when_skipped`)."""

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Left out, it is left out of the canonical form too: the digest of a flow that
        # does not use it stays what it was before the key existed.
        data = handler(self)
        if isinstance(data, dict) and data.get("when_skipped", "") is None:
            del data["when_skipped"]
        return data


class NotifyAction(_Skippable):
    """Send a message to a contact point, or to the customer (``notify: customer``)."""

    notify: Id
    message: Text
    channel: Literal["email", "phone", "chat", "webhook"] | None = None
    label: Text | None = None
    when_skipped: _WhenSkipped = None


class WebhookAction(_Skippable):
    """POST the ticket's state to a URL."""

    webhook: Annotated[
        str, Field(strict=True, pattern=r"^https?://\S+$"), AfterValidator(check_text)
    ]
    label: Text | None = None
    when_skipped: _WhenSkipped = None


def storable(value: object) -> bool:
    """Whether the stores' JSON keeps a scalar exactly: text, a boolean, a whole number
    within 64 bits, or a finite decimal (what handler arguments and ticket attributes are)."""
    if isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, float) and math.isfinite(value)


def _storable_args(value: Any) -> Any:
    """Refuse numbers the stores cannot keep exactly (before the union below would
    quietly turn a whole number beyond 64 bits into a decimal), and unprintable text."""
    if isinstance(value, dict):
        for name, arg in value.items():
            # Checked here rather than by the union below, which would report a bad
            # text once per type it tried.
            for text in (name, arg):
                if isinstance(text, str):
                    try:
                        check_text(text)
                    except ValueError as exc:
                        raise ValueError(f"'{name}': {exc}") from None
            if isinstance(arg, int | float) and not storable(arg):
                kind = (
                    "a decimal here must be finite"
                    if isinstance(arg, float)
                    else "a whole number here must fit in 64 bits"
                )
                raise ValueError(f"'{name}' is {arg!r}: {kind}")
    return value


_HandlerArgs = Annotated[
    dict[str, str | StrictInt | float | StrictBool], BeforeValidator(_storable_args)
]


class HandlerAction(_Skippable):
    """Call a handler that the embedding service registers by name."""

    handler: Id
    label: Text | None = None
    args: _HandlerArgs = Field(default={}, alias="with")
    when_skipped: _WhenSkipped = None


Action = NotifyAction | WebhookAction | HandlerAction


def runs_when_skipped(action: Action, level_contact: str) -> bool:
    """Whether ``action`` is sent when the ticket skips its level for nobody on duty
    (``level_contact`` is the level's contact point).

    ``when_skipped`` decides when written. Left out: what needs no person runs (a
    handler opening an incident, a webhook posting a status page); a notification runs
    to any other contact point (a manager told of the breach), but not to the level's
    own contact point, who is off duty, nor to the customer, whose messages of a level
    say that level handles the ticket (the customer gets the notice of the level that
    does).
    """
    if action.when_skipped is not None:
        return action.when_skipped == "run"
    if isinstance(action, NotifyAction):
        return action.notify not in (CUSTOMER, level_contact)
    return True


_ACTION_KEYS = ("notify", "webhook", "handler")


def _response_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "check"
    if isinstance(value, dict | BaseModel):
        for key in _ACTION_KEYS:
            if (key in value) if isinstance(value, dict) else hasattr(value, key):
                return key
    return None


Response = Annotated[
    Annotated[Text, Tag("check")]
    | Annotated[NotifyAction, Tag("notify")]
    | Annotated[WebhookAction, Tag("webhook")]
    | Annotated[HandlerAction, Tag("handler")],
    Discriminator(
        _response_kind,
        custom_error_type="response_kind",
        custom_error_message=(
            "a response is a checklist line (text) or an action mapping with one of"
            " 'notify', 'webhook' or 'handler'"
        ),
    ),
]


# Left out, a target is None (the default); written, it is never empty (E132 says so),
# which the JSON Schema says by allowing no null.
_Target = Annotated[Id | None, WithJsonSchema({"type": "string", "pattern": _ID.pattern})]


class Trigger(Model):
    """A named way out of a step: to the next level, a named level/team/step, or resolution."""

    id: Id
    label: Text
    to: _Target = Field(
        default=None,
        description="a level, team or step id, or 'resolved'; default: the next level",
    )
    automatic: StrictBool = Field(
        default=False, description="fires by itself when the level's window ends"
    )
    reason: Text | None = Field(default=None, description="what the customer is told")


class Step(Model):
    """One state inside a level, with what it does and how it is left."""

    id: Id
    name: Text | None = None
    responses: list[Response] = []
    triggers: list[Trigger] = []


class Level(Model):
    """A rung of the ladder (or a functional team), owned by one contact point.

    A level with a single step may give ``responses`` and ``triggers`` directly;
    otherwise it lists ``steps``.
    """

    level: Annotated[StrictInt, Field(ge=0, le=99)] = Field(
        description="the rung number (0 = self-service); for teams, the rung it sits beside"
    )
    id: Id | None = Field(default=None, description="default: 'level-N'; required for teams")
    name: Text | None = Field(default=None, description="default: the contact point's name")
    contact: Id
    window: Window
    repeat: Annotated[StrictInt, Field(ge=0, le=100)] = Field(
        default=0, description="how many times the window restarts before escalating"
    )
    escalates_to: _Target = Field(
        default=None, description="where the timer sends tickets; default: the next level"
    )
    responses: list[Response] | None = None
    triggers: list[Trigger] | None = None
    steps: list[Step] | None = None

    @model_validator(mode="after")
    def _steps_or_shorthand(self) -> Level:
        if self.steps is not None and (self.responses is not None or self.triggers is not None):
            raise ValueError(
                "give either 'steps' or 'responses'/'triggers' directly on the level, not both"
            )
        if self.steps == []:
            raise ValueError("'steps' is empty; list at least one step")
        return self

    @property
    def key(self) -> str:
        """The level's id, explicit or ``level-N``."""
        return self.id or f"level-{self.level}"

    def all_steps(self) -> list[Step]:
        """The level's steps; a shorthand level is one step named like the level."""
        if self.steps is not None:
            return list(self.steps)
        return [Step(id=self.key, responses=self.responses or [], triggers=self.triggers or [])]


class PriorityOverride(Model):
    """How one priority behaves in this flow, over the matrix's defaults."""

    entry: Annotated[StrictInt, Field(ge=0)] | None = None
    factor: Annotated[float, Field(gt=0, le=10)] | None = None
    windows: dict[Annotated[int, Field(ge=0)], Window] = Field(
        default={}, description="level number -> window, replacing the scaled one"
    )


class SlaTarget(Model):
    """Service level targets for one priority."""

    first_response: DurationField
    resolution: DurationField


SLA_WARNING = 0.75
"""The share of an SLA target after which a warning is sent, unless the flow sets its own."""
_SHARE = re.compile(r"^\s*(\d{1,3}(?:\.\d+)?)\s*%\s*$")


def _parse_share(value: Any) -> float:
    """``75%`` (or ``0.75``) as 0.75: a share strictly between none and all of a target."""
    if isinstance(value, str):
        match = _SHARE.match(value)
        if match is None:
            raise ValueError(f"'{value}' is not a share of the target; write e.g. '75%'")
        share = float(match[1]) / 100
    elif isinstance(value, int | float) and not isinstance(value, bool):
        share = float(value)
    else:
        raise ValueError(f"expected a share of the target such as '75%', got {value!r}")
    if not 0 < share < 1:
        raise ValueError(
            f"{value!r} is not between 0% and 100%: the warning comes before the target"
            " (e.g. '75%')"
        )
    return share


Share = Annotated[
    float,
    BeforeValidator(_parse_share),
    PlainSerializer(lambda share: f"{share * 100:g}%", return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*\d{1,3}(\.\d+)?\s*%\s*$"},
                {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            ],
            "examples": ["75%"],
        }
    ),
]


class FlowDoc(Model):
    """One issue category's escalation path."""

    escflow: Literal[1] = Field(description="the format version")
    kind: Literal["flow"]
    id: FlowId
    name: Text
    issue_type: Id
    description: Text | None = None
    language: Annotated[str, Field(strict=True, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")] = "en"
    calendar: Id | None = None
    priorities: dict[Id, PriorityOverride] = {}
    sla: dict[Id, SlaTarget] = {}
    sla_warning: Share = Field(
        default=SLA_WARNING,
        description="the share of an SLA target after which a warning is sent (e.g. '75%')",
    )
    sla_notify: list[Id] = Field(
        default=[],
        description="contact points told of SLA warnings and breaches (default: the level's)",
    )
    levels: Annotated[list[Level], Field(min_length=1)]
    teams: list[Level] = Field(default=[], description="functional teams beside the ladder")


Document = Annotated[
    Annotated[MatrixDoc, Tag("matrix")] | Annotated[FlowDoc, Tag("flow")],
    Discriminator(
        lambda v: v.get("kind") if isinstance(v, dict) else getattr(v, "kind", None),
        custom_error_type="document_kind",
        custom_error_message="'kind' must be 'matrix' or 'flow'",
    ),
]
