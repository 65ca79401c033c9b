"""Workbooks written cell by cell, for inputs escflow's own writer never produces.

The one test module that imports openpyxl: merged cells, formulas without a saved
value and notes are things users' spreadsheet programs produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
from openpyxl.comments import Comment  # type: ignore[import-untyped]

Rows = Sequence[Sequence[object]]


def write_workbook(
    path: Path,
    sheets: dict[str, Rows],
    *,
    merged: dict[str, list[str]] | None = None,
    notes: dict[str, dict[str, str]] | None = None,
) -> Path:
    """Write ``sheets`` (name -> rows) to ``path``; strings starting with '=' are formulas.

    openpyxl stores no computed value for a formula, exactly like a file written by a
    program that does not calculate (the case escflow must report).
    """
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for cells in (merged or {}).get(name, []):
            sheet.merge_cells(cells)
        for cell, text in (notes or {}).get(name, {}).items():
            sheet[cell].comment = Comment(text, "ana")
    book.save(path)
    return path
