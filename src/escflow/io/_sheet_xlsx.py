"""Excel workbooks in and out: the only module that imports openpyxl.

openpyxl is an optional dependency (``pip install escflow[xlsx]``), so it is imported
when a workbook is actually read or written, and its absence is an escflow error with
the command that fixes it.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from types import ModuleType
from typing import Any

from escflow.errors import SheetError
from escflow.io._sheet_book import (
    MAX_CELLS,
    MAX_FILE_BYTES,
    Book,
    CellValue,
    Sheet,
    cell_text,
    column_letter,
    sheet_problem,
)

# An OLE2 compound file: what Excel writes for password-protected workbooks (and .xls).
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The uncompressed size a workbook of this tool's scale never reaches: a zip bomb guard.
_MAX_UNZIPPED = 200 * 1024 * 1024
_NOTE_AUTHOR = "escflow"
_MAX_WIDTH = 60


def _openpyxl() -> ModuleType:
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - the dev environment installs it
        raise SheetError(
            [
                sheet_problem(
                    "X001",
                    "reading and writing .xlsx needs openpyxl: pip install 'escflow[xlsx]'",
                    "-",
                )
            ]
        ) from None
    module: ModuleType = openpyxl
    return module


def read_xlsx(path: Path, file: str) -> Book:
    """Every worksheet of a workbook, with notes, merged ranges and uncomputed formulas."""
    data = _read_bytes(path, file)
    if data.startswith(_OLE_MAGIC):
        raise _unreadable(
            file,
            "this workbook is encrypted with a password (or is an old .xls file); open it in"
            " a spreadsheet program and save it as .xlsx without a password",
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _unreadable(file, "this is not an .xlsx workbook (it is not a zip archive)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > _MAX_UNZIPPED:
            raise _unreadable(file, "this workbook unpacks to more than 200 MiB; refusing it")
    openpyxl = _openpyxl()
    with warnings.catch_warnings():
        # openpyxl warns about Excel features it drops (data validation, styles); the
        # values are what escflow reads, so the warnings would only be noise.
        warnings.simplefilter("ignore")
        try:
            values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
            formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise _unreadable(
                file, f"this workbook is damaged and cannot be read ({type(exc).__name__}: {exc})"
            ) from None
    book = Book(file)
    for sheet_values in values.worksheets:
        book.sheets.append(_sheet(sheet_values, formulas[sheet_values.title], file))
    return book


def _read_bytes(path: Path, file: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _unreadable(file, f"the file is {size / 1048576:.1f} MiB; the limit is 20 MiB")
        return path.read_bytes()
    except OSError as exc:
        raise _unreadable(file, f"cannot read the file: {exc.strerror}") from None


def _unreadable(file: str, message: str) -> SheetError:
    return SheetError([sheet_problem("X001", message, file)])


def _sheet(values: Any, formulas: Any, file: str) -> Sheet:
    sheet = Sheet(str(values.title))
    # ``_cells`` holds only the cells stored in the file; iterating rows would create
    # a cell object for every coordinate up to the last formatted one.
    stored: dict[tuple[int, int], Any] = values._cells
    if len(stored) > MAX_CELLS:
        raise _unreadable(file, f"the sheet '{sheet.name}' has more than {MAX_CELLS} cells")
    written: dict[tuple[int, int], Any] = {
        key: cell.value for key, cell in formulas._cells.items() if cell.data_type == "f"
    }
    filled = [key for key, cell in stored.items() if cell.value is not None or cell.comment]
    filled.extend(written)
    height = max((r for r, _ in filled), default=0)
    width = max((c for _, c in filled), default=0)
    sheet.rows = [[None] * width for _ in range(height)]
    for (r, c), cell in stored.items():
        if r > height or c > width:
            continue
        sheet.rows[r - 1][c - 1] = _value(cell.value)
        if cell.comment is not None:
            sheet.notes[(r - 1, c - 1)] = _note_text(cell.comment)
        if cell.data_type == "e":
            sheet.formulas[(r - 1, c - 1)] = f"the cell shows the error {cell.value}"
    for (r, c), formula in written.items():
        if sheet.rows[r - 1][c - 1] is None:
            text = formula if isinstance(formula, str) else "an array formula"
            sheet.formulas[(r - 1, c - 1)] = f"a formula with no saved value ({text})"
    sheet.merged = sorted(str(cells) for cells in values.merged_cells.ranges)
    return sheet


def _value(value: Any) -> CellValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def _note_text(comment: Any) -> str:
    text = str(comment.text or "")
    author = str(comment.author or "")
    # Excel starts a note with "Author:" on a line of its own; that line is not the note.
    first, _, rest = text.partition("\n")
    if author and first.strip() == f"{author}:":
        text = rest
    return text.strip()


def write_xlsx(book: Book) -> bytes:
    """The book as an .xlsx workbook: headings bold, text wrapped, notes as cell notes."""
    openpyxl = _openpyxl()
    from openpyxl.comments import Comment  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet in book.sheets:
        ws = workbook.create_sheet(sheet.name)
        widths: dict[int, int] = {}
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                cell = ws.cell(row=r + 1, column=c + 1, value=value)
                if isinstance(value, str):
                    # openpyxl would store text starting with "=" as a formula.
                    cell.data_type = "s"
                cell.alignment = wrap
                if r in sheet.heading_rows:
                    cell.font = bold
                longest = max((len(line) for line in cell_text(value).splitlines()), default=0)
                widths[c] = max(widths.get(c, 8), min(longest + 2, _MAX_WIDTH))
        for (r, c), note in sheet.notes.items():
            comment = Comment(note, _NOTE_AUTHOR)
            comment.width, comment.height = 300, min(60 + 15 * note.count("\n"), 400)
            ws.cell(row=r + 1, column=c + 1).comment = comment
        for c, width in widths.items():
            ws.column_dimensions[column_letter(c)].width = width
        if sheet.heading_rows == {0}:
            ws.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
