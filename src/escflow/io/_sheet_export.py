"""``escflow export``: checked definitions out as .xlsx, .csv, .md or an .html handbook.

.xlsx and .csv carry everything the YAML says, in the sheet layout, and import back
to the same definitions: before writing, the book is read back in memory and compared
with the definitions, so an export never drops something silently. YAML comments
become cell notes (.xlsx). .md mirrors the sheets as tables for reading and review;
.html is the printable training handbook.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from escflow.compile import Matrix
from escflow.errors import ExportError
from escflow.io._sheet_book import Book, Sheet, cell_text
from escflow.io._sheet_comments import file_comments
from escflow.io._sheet_csv import write_csv
from escflow.io._sheet_layout import COLUMNS
from escflow.io._sheet_read import Reader
from escflow.io._sheet_write import Written, write_book
from escflow.problems import YamlPath, format_path
from escflow.spec._models import FlowDoc, MatrixDoc

FORMATS = ("xlsx", "csv", "md", "html")
# Excel's limit on the text of one cell; openpyxl silently cuts longer text.
XLSX_CELL_LIMIT = 32_767


def format_of(path: Path) -> str:
    """The export format a file name asks for."""
    suffix = path.suffix.lower().lstrip(".")
    fmt = {"htm": "html", "markdown": "md"}.get(suffix, suffix)
    if fmt not in FORMATS:
        raise ExportError(
            f"cannot export to '{path.name}': use a .xlsx, .csv, .md or .html file name"
        )
    return fmt


def export_matrix(matrix: Matrix, fmt: str = "xlsx", *, paper: str = "A4") -> bytes:
    """The definitions in the sheet layout as ``xlsx``, ``csv``, ``md`` or ``html`` bytes.

    ``paper`` (``A4`` or ``letter``) is the page the ``html`` handbook prints on.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    written = write_book(matrix)
    check_round_trip(matrix, written.book)
    if fmt == "xlsx":
        from escflow.io._sheet_xlsx import write_xlsx  # openpyxl loads only for workbooks

        check_cell_sizes(written.book)
        _add_notes(matrix, written)
        return write_xlsx(written.book)
    if fmt == "csv":
        return write_csv(written.book)
    if fmt == "md":
        return markdown(matrix, written.book).encode("utf-8")
    from escflow.io._sheet_html import handbook_page

    return handbook_page(matrix, written, paper).encode("utf-8")


def check_round_trip(matrix: Matrix, book: Book) -> None:
    """Raise when reading ``book`` back would not give ``matrix``'s definitions."""
    parsed = Reader(book, None).read()
    errors = [p for p in parsed.problems if p.severity == "error"]
    differences: list[str] = [p.format() for p in errors]
    if not errors and parsed.matrix is not None:
        differences += _compare("the matrix", MatrixDoc, parsed.matrix.data, matrix.doc)
        read = {draft.key: draft for draft in parsed.flows}
        for flow_id, flow in matrix.flows.items():
            draft = read.get(flow_id)
            if draft is None:
                differences.append(f"flow '{flow_id}' would not read back")
                continue
            differences += _compare(f"flow '{flow_id}'", FlowDoc, draft.data, flow.spec)
    if differences:
        shown = "\n".join(f"  {d}" for d in differences[:10])
        raise ExportError(
            f"the sheet cannot hold these definitions exactly; export would change:\n{shown}"
        )


def check_cell_sizes(book: Book) -> None:
    """Raise when a cell would hold more text than an .xlsx cell can (Excel's limit)."""
    found: list[str] = []
    for sheet in book.sheets:
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                # Excel counts UTF-16 code units: a character outside the BMP counts twice.
                size = len(cell_text(value).encode("utf-16-le")) // 2
                if size > XLSX_CELL_LIMIT:
                    found.append(f"{sheet.ref(r, c)} ({_cell_subject(sheet, r, c)}): {size:,}")
    if found:
        shown = "\n".join(f"  {line} characters" for line in found[:10])
        raise ExportError(
            f"an .xlsx cell holds at most {XLSX_CELL_LIMIT:,} characters, and these cells would"
            f" hold more; the end of their text would be lost:\n{shown}\n"
            "shorten that text, or split it (a level's responses and triggers over several"
            " steps, each a row of its own in the Levels sheet); nothing was written"
        )


def _cell_subject(sheet: Sheet, row: int, column: int) -> str:
    """What a cell holds, in words: "Responses of 'Billing/payment', Level 2"."""
    columns = COLUMNS.get(sheet.name)
    if columns is None or not sheet.rows:  # the matrix table
        name = cell_text(sheet.value(row, 0))
        return f"category '{name[:60]}'" if column > 0 else "a category name"
    header = [cell_text(v) for v in sheet.rows[0]]
    title = header[column] if column < len(header) else "a cell"
    keys = [
        f"'{text[:60]}'" if key in ("Category", "Id", "Name", "Setting") else text[:60]
        for key in ("Category", "Setting", "Id", "Level", "Team", "Step")
        if key in header
        and header.index(key) != column
        and (text := cell_text(sheet.value(row, header.index(key))))
    ]
    return f"{title} of {', '.join(keys)}" if keys else title


def _compare(what: str, model: type[MatrixDoc | FlowDoc], data: Any, original: Any) -> list[str]:
    try:
        read = model.model_validate(data)
    except ValidationError as exc:
        return [f"{what}: {error['msg']} at {error['loc']}" for error in exc.errors()[:3]]
    found: list[tuple[str, str]] = []
    _diff(_meaning(read), _meaning(original), (), found)
    return [f"{what} {path}: {detail}" for path, detail in found[:3]]


def _meaning(model: MatrixDoc | FlowDoc) -> Any:
    """The model without defaults and empty collections: what the YAML means."""
    return _prune(model.model_dump(mode="json", by_alias=True, exclude_defaults=True))


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _diff(a: Any, b: Any, path: YamlPath, out: list[tuple[str, str]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys([*b, *a]):
            _diff(a.get(key), b.get(key), (*path, key), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, (*path, index), out)
    elif a != b:
        out.append((format_path(path) or "(whole)", f"{b!r} would read back as {a!r}"))


def _add_notes(matrix: Matrix, written: Written) -> None:
    """The YAML comments of the definition files, as notes on the cells they annotate."""
    sources = [(Path(matrix.file), "matrix")]
    sources += [(Path(flow.file), flow_id) for flow_id, flow in matrix.flows.items()]
    seen: set[Path] = set()
    by_name = {sheet.name: sheet for sheet in written.book.sheets}
    for path, _ in sources:
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for document, notes in file_comments(path):
            data = document.data if isinstance(document.data, dict) else {}
            doc = "matrix" if data.get("kind") == "matrix" else str(data.get("id", ""))
            if doc != "matrix" and doc not in matrix.flows:
                continue
            for yaml_path, texts in notes.items():
                place = written.place(doc, yaml_path)
                if place is None:
                    continue
                sheet = by_name[place[0]]
                cell = (place[1], place[2])
                existing = sheet.notes.get(cell)
                joined = "\n\n".join(texts)
                sheet.notes[cell] = f"{existing}\n\n{joined}" if existing else joined


# --- markdown -------------------------------------------------------------------------


def markdown(matrix: Matrix, book: Book) -> str:
    """The sheets as Markdown tables, the matrix's blocks first."""
    out = [f"# {_md(matrix.doc.name)}", ""]
    if matrix.doc.description:
        out += [_md(matrix.doc.description.strip()), ""]
    for index, sheet in enumerate(book.sheets):
        out += [f"## {sheet.name}", ""]
        tables = _blocks(sheet) if index == 0 else [sheet.rows]
        for rows in tables:
            out += _md_table(rows)
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _blocks(sheet: Sheet) -> list[list[list[Any]]]:
    """The matrix sheet's tables, split at blank rows."""
    blocks: list[list[list[Any]]] = [[]]
    for index, row in enumerate(sheet.rows):
        if sheet.is_blank(index):
            blocks.append([])
        else:
            blocks[-1].append(row)
    return [b for b in blocks if b]


def _md_table(rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["(empty)"]
    width = max(len(r) for r in rows)

    def line(row: list[Any]) -> str:
        """One table row."""
        cells = [_md(cell_text(v)) for v in row] + [""] * (width - len(row))
        return "| " + " | ".join(cells) + " |"

    return [line(rows[0]), "|" + "---|" * width, *(line(r) for r in rows[1:])]


def _md(text: str) -> str:
    escaped = html.escape(text, quote=False).replace("|", "\\|")
    return "<br>".join(escaped.splitlines())
