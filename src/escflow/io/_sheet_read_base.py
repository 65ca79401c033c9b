"""The plumbing of the sheet reader: drafts, origins, rows, names, problem reporting, and
the generic reading of a table row by its columns (:meth:`BaseReader.fill`).

The reader is a chain of small classes, each one part of the layout (docs/sheets.md):
:class:`BaseReader` (this module) -> :class:`~escflow.io._sheet_read_matrix.MatrixReader`
(the matrix document's sheets) -> :class:`~escflow.io._sheet_read_flow.FlowReader` (one
flow from its rows) -> :class:`~escflow.io._sheet_read.Reader` (the matrix table).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from escflow.io._sheet_book import (
    Book,
    Sheet,
    cell_text,
    normalize,
    sheet_problem,
    sheet_ref,
)
from escflow.io._sheet_cells import CELLS, CellRead, CellReader
from escflow.io._sheet_layout import (
    COLUMNS,
    CONTACTS,
    IGNORED_SHEETS,
    KEY,
    MATRIX,
    ORDER,
    TABLES,
    Column,
    level_number,
)
from escflow.problems import Problem, YamlPath
from escflow.spec._load import did_you_mean
from escflow.spec._models import MatrixDoc


@dataclass(frozen=True)
class Origin:
    """The cell a value came from, and its line when the cell holds a list."""

    cell: str
    line: int | None = None


@dataclass
class Draft:
    """One YAML document to write: its data, the cell of each part, its notes."""

    kind: Literal["matrix", "flow"]
    key: str
    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[YamlPath, Origin] = field(default_factory=dict)
    notes: dict[YamlPath, list[str]] = field(default_factory=dict)

    def origin_of(self, path: YamlPath) -> Origin | None:
        """The origin of ``path`` or of its nearest recorded ancestor."""
        for end in range(len(path), -1, -1):
            found = self.origins.get(path[:end])
            if found is not None:
                return found
        return None


@dataclass
class Parsed:
    """What a workbook says: the matrix (None to keep the folder's) and the flows."""

    matrix: Draft | None
    flows: list[Draft]
    problems: list[Problem]


# --- tables -----------------------------------------------------------------------------


@dataclass
class Row:
    """A data row of a table sheet, with its cells found by column name."""

    sheet: Sheet
    index: int
    columns: dict[str, int]

    def text(self, column: str) -> str:
        """The cell's text, surrounding spaces removed ('' when absent)."""
        where = self.columns.get(normalize(column))
        return self.sheet.text(self.index, where) if where is not None else ""

    def raw(self, column: str) -> str:
        """The cell's text exactly as stored."""
        where = self.columns.get(normalize(column))
        return cell_text(self.sheet.value(self.index, where)) if where is not None else ""

    def ref(self, column: str) -> str:
        """``Levels!E7``; the row's first cell when the column is absent."""
        where = self.columns.get(normalize(column))
        return self.sheet.ref(self.index, where if where is not None else 0)


class Names:
    """Ids and display names of one kind of thing, found by id or by name."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.names: dict[str, str | None] = {}

    def add(self, key: str, name: str | None) -> None:
        """Register an id and its display name."""
        self.names[key] = name

    def find(self, text: str) -> str | None:
        """The id ``text`` names (an id, or a unique name; case ignored), else None."""
        if text in self.names:
            return text
        wanted = normalize(text)
        for candidates in (
            [k for k, n in self.names.items() if n is not None and normalize(n) == wanted],
            [k for k in self.names if normalize(k) == wanted],
        ):
            if len(candidates) == 1:
                return candidates[0]
        return None

    def unknown(self, text: str, source: str) -> str:
        """The message for a name that matches nothing ``source`` ("in the Contacts sheet")."""
        choices = [*self.names, *(n for n in self.names.values() if n)]
        hint = did_you_mean(text, choices)
        if not hint and self.names:
            shown = ", ".join(repr(n or k) for k, n in list(self.names.items())[:8])
            hint = f" (known: {shown}{', ...' if len(self.names) > 8 else ''})"
        return f"'{text}' is not a {self.what} {source}{hint}"


@dataclass
class LadderColumn:
    """One level column of a matrix block: its number, contact point and timeline."""

    number: int
    index: int
    contact: str
    contact_ref: str
    timeline: str | dict[str, Any] | None
    timeline_text: str
    timeline_ref: str


@dataclass
class Category:
    """A category row of the matrix sheet."""

    name: str
    ref: str
    columns: dict[int, LadderColumn]
    cells: dict[int, tuple[str, str]]  # level -> (cell text, cell ref), absent ones left out
    key: str = ""
    attrs: Row | None = None


@dataclass
class Unit:
    """The rows of the levels sheet about one level (or team) of one category."""

    category: Category
    number: int
    team: str | None
    rows: list[Row] = field(default_factory=list)


def matrix_sheet(book: Book) -> Sheet | None:
    """The sheet holding the matrix table.

    The sheet named 'Matrix' when there is one; otherwise the first sheet with a row of
    levels ('Level 1', 'Level 2', ...), passing over a cover sheet, a "Read me" or a
    named table that someone moved in front of it; otherwise the first sheet, so that
    its problems are reported.
    """
    named = book.sheet(MATRIX)
    if named is not None:
        return named
    skip = {normalize(name) for name in ORDER[1:]} | IGNORED_SHEETS
    candidates = [s for s in book.sheets if normalize(s.name) not in skip]
    with_levels = next(
        (s for s in candidates if any(is_level_row(s, r) for r in range(len(s.rows)))), None
    )
    return with_levels or book.first(frozenset(skip))


def is_level_row(sheet: Sheet, row: int) -> bool:
    """Whether ``row`` is a matrix table's row of levels: every cell right of the first
    that holds anything names a level."""
    filled = [text for c in range(1, len(sheet.rows[row])) if (text := sheet.text(row, c))]
    return bool(filled) and all(level_number(text) is not None for text in filled)


class BaseReader:
    """Reads one workbook; collects every problem instead of stopping at the first."""

    def __init__(self, book: Book, existing: MatrixDoc | None) -> None:
        self.book = book
        self.file = book.file
        self.matrix_sheet = matrix_sheet(book)
        self.existing = existing
        self.problems: list[Problem] = []
        self.contacts = Names("contact point")
        self.priorities = Names("priority")
        self.issue_types = Names("issue type")
        self.contacts_source = f"in the {CONTACTS} sheet"
        self._setting_ref: str | None = None
        self.header_refs: dict[str, str] = {}
        self.unreadable: set[str] = set()  # cells already reported (formulas, errors)
        self.cells: dict[str, list[tuple[Draft, YamlPath]]] = {}
        self.starter_contacts: dict[str, str] | None = None  # made from the matrix names
        self.starter_issue_types: dict[str, str] | None = None
        # Priority id -> (entry level, cell), from the Priorities sheet.
        self.priority_entries: dict[str, tuple[int, str]] = {}
        self.cell_readers: dict[str, CellReader] = {name: read for name, (read, _) in CELLS.items()}
        self.cell_readers["priority"] = lambda cell: cell.text  # found once all are read

    # -- reporting

    def error(self, code: str, message: str, where: str | None) -> None:
        """Record an error located at a cell (or a sheet)."""
        self.problems.append(sheet_problem(code, message, self.file, where))

    def warn(self, code: str, message: str, where: str | None) -> None:
        """Record a warning located at a cell (or a sheet)."""
        self.problems.append(sheet_problem(code, message, self.file, where, warning=True))

    def record(
        self,
        draft: Draft,
        path: YamlPath,
        cell: str,
        line: int | None = None,
        *,
        first: bool = False,
    ) -> None:
        """Remember that ``path`` of ``draft`` came from ``cell`` (``first``: unless known)."""
        if first and path in draft.origins:
            return
        draft.origins[path] = Origin(cell, line)
        self.cells.setdefault(cell, []).append((draft, path))

    def _check_sheets(self) -> None:
        known = {normalize(name) for name in ORDER}
        for sheet in self.book.sheets:
            matrix = sheet is self.matrix_sheet
            if not matrix and normalize(sheet.name) in IGNORED_SHEETS:
                continue
            if not matrix and normalize(sheet.name) not in known:
                hint = did_you_mean(sheet.name, ORDER[1:])
                assert self.matrix_sheet is not None  # read() returns early without one
                table = f"'{self.matrix_sheet.name}'"
                self.warn(
                    "W005",
                    f"this sheet is not read{hint} (the matrix table is read from {table});"
                    " a sheet for people only may be named 'Read me' or 'Notes'",
                    sheet_ref(sheet.name),
                )
                continue
            for cells in sheet.merged:
                self.error(
                    "X002",
                    "merged cells: unmerge them and give each cell its own value",
                    f"{sheet_ref(sheet.name)}!{cells}",
                )
            for (r, c), what in sorted(sheet.formulas.items()):
                self.unreadable.add(sheet.ref(r, c))
                self.error(
                    "X002",
                    f"{what}: open and save the file in a spreadsheet program so the value is"
                    " stored, or type the value",
                    sheet.ref(r, c),
                )

    def _table(self, name: str) -> list[Row] | None:
        sheet = self.book.sheet(name)
        if sheet is None or sheet is self.matrix_sheet:
            return None
        top = next((r for r in range(len(sheet.rows)) if not sheet.is_blank(r)), None)
        if top is None:
            return []
        columns: dict[str, int] = {}
        self.header_refs[name] = sheet.ref(top, 0)
        allowed = {normalize(c): c for c in COLUMNS[name]}
        for index, value in enumerate(sheet.rows[top]):
            title = cell_text(value).strip()
            if not title:
                continue
            if normalize(title) not in allowed:
                hint = did_you_mean(title, COLUMNS[name])
                self.warn("W005", f"the column '{title}' is not read{hint}", sheet.ref(top, index))
                continue
            columns.setdefault(normalize(title), index)
        required = [c.header for c in TABLES[name] if c.required]
        missing = [c for c in required if normalize(c) not in columns]
        for column in missing:
            self.error(
                "X002",
                f"the {name} sheet has no '{column}' column; its first row names the columns:"
                f" {', '.join(COLUMNS[name])}",
                sheet.ref(top, 0),
            )
        if missing:
            return None
        return [
            Row(sheet, r, columns) for r in range(top + 1, len(sheet.rows)) if not sheet.is_blank(r)
        ]

    # -- cells, by their column's grammar

    def read_cell(self, row: Row, column: Column) -> tuple[Any, CellRead]:
        """The value of ``row``'s cell in ``column`` (its ``empty`` value when blank);
        what the grammar finds wrong is reported at the cell."""
        cell = CellRead(row.text(column.header), row.raw(column.header), row.ref(column.header))
        if not cell.text:
            return copy.copy(column.empty), cell
        value = self.cell_readers[column.cell](cell)
        for code, message in cell.problems:
            self.error(code, message, cell.where)
        return value, cell

    def fill(
        self,
        draft: Draft,
        base: YamlPath,
        into: dict[Any, Any],
        row: Row,
        columns: Iterable[Column],
        key: str = "",
    ) -> None:
        """Read ``columns`` of ``row`` into ``into`` (the entry at ``base`` of ``draft``),
        recording the cell of each value, and of each line of a cell of keyed lines."""
        for column in columns:
            if not column.path:
                continue
            path = tuple(key if part == KEY else part for part in column.path)
            value, cell = self.read_cell(row, column)
            if value is not None and value != column.omit:
                target = into
                for part in path[:-1]:
                    target = target.setdefault(part, {})
                target[path[-1]] = value
            full = (*base, *path)
            for end in range(len(base) + 1, len(full)):
                self.record(draft, full[:end], cell.where, first=True)
            for item, line in cell.lines.items():
                self.record(draft, (*full, item), cell.where, line)
            if not cell.lines:
                self.record(draft, full, cell.where)

    # -- notes

    def _attach_notes(self) -> None:
        for sheet in self.book.sheets:
            for (r, c), note in sorted(sheet.notes.items()):
                if not note:
                    continue
                places = self.cells.get(sheet.ref(r, c), [])
                best: dict[int, tuple[Draft, YamlPath]] = {}
                for draft, path in places:
                    current = best.get(id(draft))
                    if current is None or len(path) < len(current[1]):
                        best[id(draft)] = (draft, path)
                for draft, path in best.values():
                    draft.notes.setdefault(path, []).append(note)
