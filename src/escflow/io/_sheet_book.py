"""A workbook as plain data: sheets of rows of cell values, with notes and cell references.

Readers (``.xlsx``, ``.csv``) produce a :class:`Book`, writers consume one; the layout
rules (what the rows mean) live elsewhere and never see a file format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from escflow.problems import Problem

CellValue = str | int | float | bool | None

# Limits that keep a hostile or runaway file from exhausting memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_CELLS = 500_000

_PLAIN_SHEET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def column_letter(index: int) -> str:
    """0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def sheet_ref(name: str) -> str:
    """The sheet name as spreadsheet formulas write it: quoted when it has spaces."""
    if _PLAIN_SHEET_NAME.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


@dataclass
class Sheet:
    """One sheet (or one section of a CSV file).

    ``rows`` are 0-based and ragged; ``origin`` is the spreadsheet row number of
    ``rows[0]`` (1 for a sheet, the record number for a CSV section), so references in
    messages are the ones a user sees in the program.
    """

    name: str
    rows: list[list[CellValue]] = field(default_factory=list)
    origin: int = 1
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # Presentation hints for writers: rows shown as headings.
    heading_rows: set[int] = field(default_factory=set)

    def ref(self, row: int, column: int | None = None) -> str:
        """``Levels!E7`` for a cell, ``Levels!7:7`` for a whole row (0-based arguments)."""
        number = self.origin + row
        where = f"{column_letter(column)}{number}" if column is not None else f"{number}:{number}"
        return f"{sheet_ref(self.name)}!{where}"

    def value(self, row: int, column: int) -> CellValue:
        """The value at ``(row, column)``, or None outside the stored cells."""
        if 0 <= row < len(self.rows) and 0 <= column < len(self.rows[row]):
            return self.rows[row][column]
        return None

    def text(self, row: int, column: int) -> str:
        """The cell as text, surrounding spaces removed; empty for an empty cell.

        A cell holding exactly a JSON string (``"  spaced "``) is that string: the
        writer's way to keep text that plain cells would change.
        """
        return unquote_cell(cell_text(self.value(row, column)).strip())

    def is_blank(self, row: int) -> bool:
        """True when the row has no value in any cell."""
        if not 0 <= row < len(self.rows):
            return True
        return all(cell_text(v).strip() == "" for v in self.rows[row])

    def append(self, values: list[CellValue], *, heading: bool = False) -> int:
        """Add a row; returns its 0-based index."""
        self.rows.append(values)
        if heading:
            self.heading_rows.add(len(self.rows) - 1)
        return len(self.rows) - 1


@dataclass
class Book:
    """A workbook (or a CSV file split into sections): the first sheet is the matrix."""

    file: str
    sheets: list[Sheet] = field(default_factory=list)

    def first(self, skip: frozenset[str] = frozenset()) -> Sheet | None:
        """The first sheet whose (normalized) name is not in ``skip``, else the first."""
        chosen = next((s for s in self.sheets if normalize(s.name) not in skip), None)
        return chosen or (self.sheets[0] if self.sheets else None)

    def sheet(self, name: str) -> Sheet | None:
        """The sheet with this name (case and spacing ignored), if any."""
        wanted = normalize(name)
        return next((s for s in self.sheets if normalize(s.name) == wanted), None)


def normalize(text: str) -> str:
    """Lower case with single spaces: how sheet, column and category names are compared."""
    return " ".join(text.split()).casefold()


def unquote_cell(text: str) -> str:
    """``"..."`` (a whole cell in JSON quotes) -> its content; other text as it is."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        if isinstance(decoded, str):
            return decoded
    return text


def cell_text(value: CellValue) -> str:
    """A cell value as the text a user typed: ``3`` not ``3.0``, ``true`` for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sheet_problem(
    code: str, message: str, file: str, where: str | None = None, *, warning: bool = False
) -> Problem:
    """A problem in a sheet file; ``where`` is the cell (``Matrix!C7``) or the sheet."""
    return Problem(
        code, "warning" if warning else "error", message, file, 0, 0, (where,) if where else ()
    )
