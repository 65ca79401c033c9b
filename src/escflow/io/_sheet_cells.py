"""The grammars of single cells, each a way in (text -> YAML value) and a way out.

A column of :data:`~escflow.io._sheet_layout.TABLES` names its grammar; the generic
reader and writer look it up here (or among the few the reader and writer give, which
resolve names: contact points, priorities, targets, responses, triggers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from escflow.io._sheet_book import CellValue, unquote_cell
from escflow.io._sheet_layout import level_label, level_number, parse_timeline, timeline_text
from escflow.io._sheet_lines import PLAIN, SHIFT, Item, format_item, items, quote
from escflow.io._sheet_lines import split_outside_quotes as split
from escflow.spec._models import Shift, parse_days, parse_hours

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAYS_HOURS = re.compile(r"^\s*([^:]+?)\s*:\s*(.+?)\s*$")


@dataclass
class CellRead:
    """One cell being read: its text (trimmed), as stored, where; what reading found."""

    text: str
    raw: str
    where: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    lines: dict[Any, int] = field(default_factory=dict)  # an entry's key -> its line

    def problem(self, message: str, code: str = "X003") -> None:
        """Report a problem at this cell."""
        self.problems.append((code, message))


CellReader = Callable[[CellRead], Any]
CellWriter = Callable[[Any], CellValue]


def description_cell(raw: str) -> str:
    """A description cell: trimmed, but keeping one final line break if it has one."""
    text = raw.strip()
    quoted = unquote_cell(text)
    if quoted != text:
        return quoted
    # YAML's folded style (">") ends a description with a line break; keep one so that
    # a description exported from YAML comes back equal.
    return text + "\n" if text and raw.rstrip(" \t").endswith("\n") else text


def int_or_text(text: str) -> int | str:
    """A whole number from a cell (``2`` or ``2.0``), else the text for the checks to report."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else text  # 2.5 stays text: the check says why


def date_or_text(text: str) -> date | str:
    """An ISO date as a date (written unquoted in YAML), else the text as it is."""
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return text
    return text


def plain_or_quoted(value: Any) -> CellValue:
    """A single-value cell as the reader reads it back: plain when it can, else quoted."""
    if not isinstance(value, str):
        return value  # type: ignore[no-any-return]
    return value if unquote_cell(value.strip()) == value else quote(value)


def _described(value: str) -> str:
    return value if description_cell(value) == value else quote(value)


def _level(cell: CellRead) -> int | str:
    number = level_number(cell.text)
    if number is None:
        cell.problem(f"expected a level such as 'Level 2', got '{cell.text}'")
        return cell.text
    return number


def _number(cell: CellRead) -> float | str:
    try:
        return float(cell.text.replace(",", "."))
    except ValueError:
        cell.problem(f"expected a number such as 0.5, got '{cell.text}'")
        return cell.text


def _timeline(cell: CellRead) -> Any:
    try:
        return parse_timeline(cell.text)
    except ValueError as exc:
        cell.problem(str(exc))
        return None


def _hours(cell: CellRead) -> dict[str, str]:
    hours: dict[str, str] = {}
    for item in items(cell.raw, PLAIN):
        match = _DAYS_HOURS.match(item.text)
        if match is None:
            cell.problem(
                f"expected 'days: hours' such as 'mon-fri: 09:00-17:00', got '{item.text}'"
                f" (line {item.line})"
            )
            continue
        try:
            # The format checks hours for the whole calendar (at its Id cell); here a bad
            # line is reported at the Hours cell, with its line.
            parse_days(match[1])
            parse_hours(match[2])
        except ValueError as exc:
            cell.problem(f"{exc} (line {item.line})")
        hours[match[1]] = match[2]
    return hours


def _windows(cell: CellRead) -> dict[int, Any]:
    """``Level 3: 15-30 minutes``, one a line: a priority's windows, each at its line."""
    windows: dict[int, Any] = {}
    for item in items(cell.raw, PLAIN):
        level_text, colon, timeline = item.text.partition(":")
        number = level_number(level_text) if colon else None
        if number is None:
            cell.problem(
                f"expected 'Level N: timeline' such as 'Level 3: 15-30 minutes', got"
                f" '{item.text}' (line {item.line})"
            )
            continue
        try:
            windows[number] = parse_timeline(timeline.strip())
        except ValueError as exc:
            cell.problem(f"{exc} (line {item.line})")
        cell.lines[number] = item.line
    return windows


def _shift(item: Item, cell: CellRead) -> dict[str, Any]:
    if item.problem is not None:
        cell.problem(f"{item.problem} (line {item.line} of the cell)")
    shift: dict[str, Any] = {"starts": item.text}
    if item.get("lasts"):
        shift["lasts"] = item.get("lasts")
    members = item.get("members")
    if members:
        parts = split(members, ",") or [members]
        shift["members"] = [unquote_cell(m.strip()) for m in parts if m.strip()]
    since = item.get("since")
    if since:
        shift["since"] = date_or_text(since)
    return shift


def _shift_line(shift: Shift) -> str:
    members = ", ".join(
        quote(m) if m != m.strip() or any(c in m for c in ',;"[]') else m
        for m in shift.members or []
    )
    options: list[tuple[str | None, str | None]] = [("lasts", str(shift.lasts))]
    options += [("members", members)] if members else []
    options += [("since", shift.since.isoformat())] if shift.since else []
    return format_item(shift.starts, options, SHIFT)


def _lines(values: Any) -> str:
    return "\n".join(str(v) for v in values)


CELLS: dict[str, tuple[CellReader, CellWriter]] = {
    "text": (lambda c: c.text, plain_or_quoted),
    "lower": (lambda c: c.text.lower(), plain_or_quoted),
    "description": (lambda c: description_cell(c.raw), _described),
    "duration": (lambda c: c.text, lambda v: str(v)),
    "level": (_level, level_label),
    "number": (_number, lambda v: v),
    "count": (lambda c: int_or_text(c.text), lambda v: v),
    "lines": (lambda c: [i.text for i in items(c.raw, PLAIN)] or None, _lines),
    "dates": (
        lambda c: [date_or_text(i.text) for i in items(c.raw, PLAIN)] or None,
        lambda v: _lines(d.isoformat() for d in v),
    ),
    "hours": (_hours, lambda v: _lines(f"{d}: {h}" for d, h in v.items())),
    "shifts": (
        lambda c: [_shift(i, c) for i in items(c.raw, SHIFT)] or None,
        lambda v: _lines(_shift_line(s) for s in v),
    ),
    "timeline": (_timeline, timeline_text),
    "windows": (
        lambda c: _windows(c) or None,
        lambda v: _lines(f"{level_label(n)}: {timeline_text(w)}" for n, w in v.items()),
    ),
}
