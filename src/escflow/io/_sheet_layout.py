"""The sheet layout's vocabulary: sheet names, the table sheets as data (:data:`TABLES`:
each column's header, YAML path and cell grammar), level headers, timelines, ids.

docs/sheets.md describes the layout for users; this module is its single source in code,
shared by the reader, the writer and the template.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from escflow.io._sheet_lines import WINDOW, format_item, parse_item
from escflow.spec._models import Window, parse_window_text
from escflow.timing._duration import Duration

# Sheet names (and CSV section names). The first sheet is the matrix, whatever its name.
MATRIX = "Matrix"
LEVELS = "Levels"
CATEGORIES = "Categories"
CATEGORY_PRIORITIES = "Category priorities"
CONTACTS = "Contacts"
CALENDARS = "Calendars"
PRIORITIES = "Priorities"
ISSUE_TYPES = "Issue types"
SETTINGS = "Settings"
README = "Read me"
MATRIX_SHEETS = (SETTINGS, ISSUE_TYPES, PRIORITIES, CALENDARS, CONTACTS)
# Sheets people keep for themselves; the reader passes over them without a warning.
IGNORED_SHEETS = frozenset({"read me", "readme", "help", "notes", "instructions"})
ORDER = (MATRIX, LEVELS, CATEGORIES, CATEGORY_PRIORITIES, *reversed(MATRIX_SHEETS))

KEY = "{key}"
"""In a column's path, the row's key (the priority of a Category priorities row)."""


@dataclass(frozen=True)
class Column:
    """One column of a table sheet, as data: its header, the YAML path its cell fills
    (below the row's entry; empty for a column the reader handles itself), the cell's
    grammar (a name in :data:`escflow.io._sheet_cells.CELLS` or one the reader and writer
    give), whether the sheet must have it, the value an empty cell stands for, and the
    default the writer leaves out (and the reader does not write)."""

    header: str
    path: tuple[str | int, ...] = ()
    cell: str = "text"
    required: bool = False
    empty: Any = None
    omit: Any = None


def _col(header: str, path: str = "", cell: str = "text", **flags: Any) -> Column:
    return Column(header, tuple(path.split(".")) if path else (), cell, **flags)


# The table sheets, columns in the order the writer puts them; the reader finds them by
# name in any order, and refuses a sheet without its required ones.
TABLES: dict[str, tuple[Column, ...]] = {
    LEVELS: (
        _col("Category", required=True),
        _col("Level", "level", "level", required=True),
        _col("Team", "id"),
        _col("Step", "id"),
        _col("Responses", "responses", "responses"),
        _col("Triggers", "triggers", "triggers"),
        _col("Name", "name"),
        _col("Step name", "name"),
        _col("Contact point", "contact", "contact"),
        _col("Timeline", "window", "timeline"),
        _col("Repeat", "repeat", "count", omit=0),
        _col("Escalates to", "escalates_to", "target"),
        _col("Level id", "id"),
    ),
    CATEGORIES: (
        _col("Category", "name", required=True),
        _col("Id", "id"),
        _col("Issue type", "issue_type", "issue type"),
        _col("Language", "language", omit="en"),
        _col("Calendar", "calendar"),
        _col("Description", "description", "description"),
    ),
    CATEGORY_PRIORITIES: (
        _col("Category", required=True),
        _col("Priority", required=True),
        _col("First response", f"sla.{KEY}.first_response", "duration"),
        _col("Resolution", f"sla.{KEY}.resolution", "duration"),
        _col("Entry level", f"priorities.{KEY}.entry", "level"),
        _col("Factor", f"priorities.{KEY}.factor", "number"),
        _col("Windows", f"priorities.{KEY}.windows", "windows"),
    ),
    CONTACTS: (
        _col("Id"),
        _col("Name", "name", required=True, empty=""),
        _col("Kind", "kind", "lower", empty="team"),
        _col("Email", "channels.email"),
        _col("Phone", "channels.phone"),
        _col("Chat", "channels.chat"),
        _col("Webhook", "channels.webhook"),
        _col("Members", "members", "lines"),
        _col("Calendar", "calendar"),
        _col("Off duty", "off_duty", "lower", omit="hold"),
        _col("Shifts", "shifts", "shifts"),
    ),
    CALENDARS: (
        _col("Id", required=True),
        _col("Time zone", "timezone", required=True, empty=""),
        _col("Hours", "hours", "hours", required=True, empty={}),
        _col("Holidays", "holidays.country"),
        _col("Holiday subdivision", "holidays.subdivision"),
        _col("Closed", "closed", "dates"),
        _col("Open", "open", "dates"),
        _col("Business day", "business_day", "duration"),
    ),
    PRIORITIES: (
        _col("Id", required=True),
        _col("Name", "name"),
        _col("Entry level", "entry", "level"),
        _col("Factor", "factor", "number", omit=1.0),
    ),
    ISSUE_TYPES: (
        _col("Id"),
        _col("Name", "name", required=True, empty=""),
        _col("Description", "description", "description"),
    ),
    SETTINGS: (_col("Setting", required=True), _col("Value", required=True)),
}
COLUMNS = {sheet: tuple(c.header for c in columns) for sheet, columns in TABLES.items()}
# The Settings sheet lists the matrix's own keys, one a row: each row is a column.
SETTING_ROWS = (
    _col("Name", "name"),
    _col("Description", "description", "description"),
    _col("Calendar", "calendar"),
    _col("Default priority", "default_priority", "priority"),
)
# The matrix document's table sheets: the key their entries go under, and the fallback
# of an id made from a name (None: the Id column is required).
MATRIX_TABLES = (
    (ISSUE_TYPES, "issue_types", "issue-type"),
    (PRIORITIES, "priorities", None),
    (CALENDARS, "calendars", None),
    (CONTACTS, "contacts", "contact"),
)


def column(sheet: str, header: str) -> Column:
    """The column ``header`` of the table ``sheet``."""
    return next(c for c in TABLES[sheet] if c.header == header)


HEADER_LABELS = ("Escalation level", "Contact point", "Timeline")
# What a category's cell says for a level it does not have.
ABSENT = frozenset({"-", "–", "—", "n/a", "na", "none"})
ABSENT_MARK = "—"

_LEVEL = re.compile(r"^(?P<word>[^\W\d_][^\d]*?)?\s*#?\s*(?P<number>\d{1,2})$")
_UNTIL = frozenset(
    {
        "until resolution",
        "until resolved",
        "resolution",
        "resolved",
        "none",
        # The article's own word for the last level in French, Indonesian, Korean and
        # Arabic ("الدقة" is the Arabic edition's, if odd, rendering of "Resolution").
        "résolution",
        "resolusi",
        "해결",
        "الحل",
        "الدقة",
    }
)
_FROM = re.compile(r"^from\s+(?P<min>.+?)\s+until\s+resolution$", re.IGNORECASE)
TIMELINE_EXAMPLES = "'15-30 minutes', '30 minutes - 1 hour', '1-2 business days' or 'Resolution'"


def level_number(text: str) -> int | None:
    """``Level 3``, ``Tier 0``, ``Niveau 2``, ``레벨 1``, ``3`` -> the number; else None."""
    match = _LEVEL.match(" ".join(text.split()))
    return int(match["number"]) if match else None


def level_label(number: int) -> str:
    """The header the writer uses for a level."""
    return f"Level {number}"


def slug(text: str, fallback: str) -> str:
    """An id from a name: ``Billing/payment`` -> ``billing-payment``; ``fallback`` if none.

    Letters without an ASCII form (Korean, Arabic) drop out, so such names get the
    fallback, which the caller makes unique.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(value) > 60:
        value = value[:60].rsplit("-", 1)[0]
    return value or fallback


def unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is not taken yet (then taken)."""
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def until_resolution(text: str) -> bool:
    """Whether a timeline cell means the level works until the ticket is resolved."""
    return " ".join(text.split()).casefold() in _UNTIL


def parse_timeline(text: str) -> str | dict[str, Any]:
    """A timeline cell -> the YAML value of a window: the text itself when the YAML
    format reads it as is, otherwise a ``{min, max, calendar}`` mapping.

    Raises ValueError with a message a designer can act on.
    """
    item = parse_item(text, WINDOW)
    if item.problem is not None:
        raise ValueError(item.problem)
    calendar = item.get("calendar")
    body = item.text.replace("~", "-").strip()
    if until_resolution(body):
        window: dict[str, Any] = {}
        plain = body if body.lower() in ("until resolution", "resolution") else "until resolution"
    elif match := _FROM.match(body):
        window = {"min": str(_duration(match["min"], text))}
        plain = None
    else:
        try:
            parsed = parse_window_text(body)
        except ValueError as exc:
            raise ValueError(_timeline_message(text, exc)) from None
        window = {key: str(value) for key, value in parsed.items()}
        plain = body
    if calendar is None and plain is not None:
        return plain
    if calendar is not None:
        window["calendar"] = calendar
    return window


def _duration(text: str, whole: str) -> Duration:
    try:
        return Duration.parse(text)
    except ValueError as exc:
        raise ValueError(_timeline_message(whole, exc)) from None


def _timeline_message(text: str, exc: ValueError) -> str:
    detail = str(exc)
    message = f"expected a timeline such as {TIMELINE_EXAMPLES}, got '{text.strip()}'"
    if "is not a duration" not in detail:
        message += f" ({detail})"
    return message


def timeline_text(window: Window) -> str:
    """The timeline cell for a window; :func:`parse_timeline` reads it back equal."""
    if window.min is None and window.max is None:
        body = "until resolution"
    elif window.min is None:
        body = str(window.max)
    elif window.max is None:
        body = f"from {window.min} until resolution"
    else:
        body = str(window)
    options: list[tuple[str | None, str | None]] = []
    if window.calendar is not None:
        options.append(("calendar", window.calendar))
    return format_item(body, options, WINDOW)


def duration_text(value: Duration | None) -> str | None:
    """A duration as written in cells (``1 business day``)."""
    return None if value is None else str(value)


# Scripts that name their language well enough to label a flow whose sheet does not
# say (Latin script is shared by too many languages to guess from).
_SCRIPTS = {
    "HANGUL": "ko",
    "ARABIC": "ar",
    "HEBREW": "he",
    "THAI": "th",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "CJK": "zh",
    "CYRILLIC": "ru",
    "GREEK": "el",
    "DEVANAGARI": "hi",
}


def guess_language(texts: list[str]) -> str | None:
    """The language most letters of ``texts`` are written for, when the script says it."""
    counts: dict[str, int] = {}
    letters = 0
    for text in texts:
        for char in text:
            if not char.isalpha():
                continue
            letters += 1
            script = unicodedata.name(char, "").split(" ")[0]
            language = _SCRIPTS.get(script)
            if language is not None:
                counts[language] = counts.get(language, 0) + 1
    if not counts:
        return None
    language, count = max(counts.items(), key=lambda item: item[1])
    return language if count * 2 > letters else None
