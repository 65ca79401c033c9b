"""CSV files in and out: one table split into sections, since CSV has no sheets.

The file starts with the matrix table; each further sheet follows as a section that
starts with a row holding only its name in brackets (``[Levels]``). Rows keep their
record number in the file, so ``Levels!E40`` names row 40 as a spreadsheet shows it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from escflow.errors import SheetError
from escflow.io._sheet_book import (
    MAX_CELLS,
    MAX_FILE_BYTES,
    Book,
    CellValue,
    Sheet,
    cell_text,
    sheet_problem,
)

_SECTION = re.compile(r"^\[\s*([^\[\]]+?)\s*\]$")
# Spreadsheet programs run a cell that starts with one of these as a formula ("+33 1 ..."
# becomes an error, "=HYPERLINK(...)" a link); an apostrophe in front keeps it text.
_FORMULA_START = re.compile(r"^'*[=+\-@]")
_ESCAPED = re.compile(r"^'+[=+\-@]")
MATRIX_SECTION = "Matrix"


def read_csv(path: Path, file: str) -> Book:
    """A CSV file (UTF-8, with or without a BOM; comma or semicolon) as sections."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _unreadable(file, f"the file is {size / 1048576:.1f} MiB; the limit is 20 MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise _unreadable(file, f"cannot read the file: {exc.strerror}") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _unreadable(
            file, "this file is UTF-16 text; save it as 'CSV UTF-8 (comma delimited)'"
        )
    if b"\x00" in raw:
        raise _unreadable(file, "this is a binary file, not CSV text")
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(raw, exc, file) from None
    records = _records(text)
    if sum(len(r) for r in records) > MAX_CELLS:
        raise _unreadable(file, f"the file has more than {MAX_CELLS} cells")
    return _sections(records, file)


def _unreadable(file: str, message: str) -> SheetError:
    return SheetError([sheet_problem("X001", message, file)])


def _records(text: str) -> list[list[str]]:
    """Parse with the delimiter that splits the first row into more cells."""
    best: list[list[str]] = []
    for delimiter in (",", ";"):
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        if not best or (records and len(records[0]) > len(best[0])):
            best = records
    return best


def _not_utf8(raw: bytes, exc: UnicodeDecodeError, file: str) -> SheetError:
    """Name the cell that holds the first byte that is not UTF-8."""
    byte = raw[exc.start]
    message = (
        f"the file is not UTF-8 text (byte 0x{byte:02x}, perhaps Windows-1252 or Latin-1);"
        " save it as 'CSV UTF-8 (comma delimited)'"
    )
    text = raw.decode("utf-8", errors="replace")
    book = _sections(_records(text), file)
    for sheet in book.sheets:
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if "\ufffd" in cell_text(value):
                    return SheetError([sheet_problem("X001", message, file, sheet.ref(r, c))])
    return _unreadable(file, message)


def _sections(records: list[list[str]], file: str) -> Book:
    book = Book(file)
    current = Sheet(MATRIX_SECTION, origin=1)
    implicit = True  # the section before any "[Name]" row: the matrix table
    for number, record in enumerate(records, start=1):
        marker = _SECTION.match(record[0].strip()) if record else None
        if marker and not any(cell.strip() for cell in record[1:]):
            _close(book, current, implicit)
            current, implicit = Sheet(marker[1], origin=number + 1), False
            continue
        current.rows.append([_unescape(cell) for cell in record])
    _close(book, current, implicit)
    return book


def _close(book: Book, sheet: Sheet, implicit: bool) -> None:
    while sheet.rows and sheet.is_blank(len(sheet.rows) - 1):
        sheet.rows.pop()
    # A file that opens with "[Matrix]" has an empty implicit section before it.
    if sheet.rows or not implicit:
        book.sheets.append(sheet)


def _unescape(cell: str) -> CellValue:
    if _ESCAPED.match(cell):
        return cell[1:]
    return cell if cell != "" else None


def write_csv(book: Book) -> bytes:
    """The book as one CSV file: the first sheet, then ``[Name]`` sections.

    Written with a UTF-8 byte order mark, which Excel needs to read UTF-8 (Korean,
    Arabic, accents) instead of the system's code page.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, sheet in enumerate(book.sheets):
        if index:
            writer.writerow([])
            writer.writerow([f"[{sheet.name}]"])
        for row in sheet.rows:
            writer.writerow([_escape(cell_text(value)) for value in row])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _escape(text: str) -> str:
    return "'" + text if _FORMULA_START.match(text) else text
