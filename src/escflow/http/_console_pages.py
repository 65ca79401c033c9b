"""The console's HTML: Jinja2 templates (the one module that imports Jinja2) and the
small formatting helpers they use.

Templates escape every value (autoescape on, undefined names an error): a note or an
attribute holding ``<script>`` is shown as text. The one value put in as it is, the
flowchart, is Graphviz's SVG, whose labels Graphviz escapes itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})
"""Languages written right to left (by the primary subtag of a flow's ``language``)."""

STATES = (
    # (state, what it means): the board's colours, worst first. Deadline = escalation.
    ("overdue", "past its escalation deadline"),
    ("warned", "past its warning, before its deadline"),
    ("soon", "deadline within 30 minutes"),
    ("calm", "deadline later, or none"),
)
SOON_SECONDS = 30 * 60


def direction(language: str | None) -> str:
    """``rtl`` for a language written right to left, else ``ltr``."""
    primary = (language or "en").split("-")[0].lower()
    return "rtl" if primary in RTL_LANGUAGES else "ltr"


def state_of(deadline: datetime | None, warn_at: datetime | None, now: datetime) -> str:
    """How near a ticket is to its deadline, one of :data:`STATES`."""
    if deadline is not None and deadline <= now:
        return "overdue"
    if warn_at is not None and warn_at <= now:
        return "warned"
    if deadline is not None and (deadline - now).total_seconds() <= SOON_SECONDS:
        return "soon"
    return "calm"


def local(at: datetime | None, zone: str) -> str:
    """An instant in a calendar's local time, as a person reads it."""
    if at is None:
        return "none"
    return at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")


def left(at: datetime | None, now: datetime) -> str:
    """The time from ``now`` to ``at`` in words (the script keeps it current)."""
    if at is None:
        return ""
    seconds = int((at - now).total_seconds())
    size = abs(seconds)
    hours, rest = divmod(size, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"
    return f"in {text}" if seconds >= 0 else f"{text} ago"


def percent(share: float | None) -> str:
    """A share as a whole percentage."""
    return "" if share is None else f"{round(share * 100)} %"


def utc(at: datetime | None) -> str:
    """An instant as ISO 8601 in UTC (the script's countdowns read it)."""
    return "" if at is None else at.astimezone(ZoneInfo("UTC")).isoformat()


_ENV = Environment(
    loader=PackageLoader("escflow.http", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(
    direction=direction, local=local, left=left, percent=percent, utc=utc, STATES=STATES
)


def svg_markup(svg: bytes) -> Markup:
    """Graphviz's SVG ready to put in a page: without its XML prolog, doctype and
    comments, labelled for screen readers by the text beside it."""
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return Markup(
        text[start:].replace("<svg ", '<svg role="img" aria-labelledby="chart-title" ', 1)
    )


def render(template: str, **values: Any) -> str:
    """A page from its template."""
    return _ENV.get_template(template).render(**values)


__all__ = [
    "RTL_LANGUAGES",
    "STATES",
    "direction",
    "left",
    "local",
    "percent",
    "render",
    "state_of",
    "svg_markup",
    "utc",
]
