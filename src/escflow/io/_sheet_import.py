"""``escflow import``: a spreadsheet in, checked flow files out, all or nothing.

The generated YAML is validated together with the folder's other files in a
temporary copy of the folder; only when that copy has no error are the files written,
through :func:`escflow.fileio.write_all`: every one of them, or none, and only inside the
output folder (an id that is not a plain file name is refused, naming its cell).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from escflow._names import check_file_name
from escflow.compile import check_paths
from escflow.errors import SheetError
from escflow.fileio import write_all
from escflow.io._schema import schema_beside
from escflow.io._sheet_book import Book, sheet_problem
from escflow.io._sheet_csv import read_csv
from escflow.io._sheet_read import Draft, Reader
from escflow.io._sheet_yaml import emit
from escflow.problems import Problem, format_path
from escflow.spec._load import SUFFIXES, check_document, display_name
from escflow.spec._models import MatrixDoc
from escflow.spec._yaml import read_documents

StrPath = str | PathLike[str]
SHEET_SUFFIXES = (".xlsx", ".csv")
# Where the sheet says what a check's YAML advice asks for.
_SHEET_HINTS = {
    "E111": " (in the sheet: the priority's Entry level, in the Category priorities sheet)",
    "E112": " (in the sheet: the Priorities sheet lists the priorities)",
}


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote (or, for a dry run, would write)."""

    files: dict[Path, str]
    written: tuple[Path, ...]
    warnings: tuple[Problem, ...]
    reused_matrix: Path | None


def read_book(path: Path) -> Book:
    """Read a ``.xlsx`` or ``.csv`` file as a book of sheets."""
    file = display_name(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise SheetError([sheet_problem("X001", "no such file", file)])
    if suffix == ".csv":
        return read_csv(path, file)
    if suffix == ".xlsx":
        from escflow.io._sheet_xlsx import read_xlsx  # openpyxl loads only for workbooks

        return read_xlsx(path, file)
    hint = " (save it as .xlsx)" if suffix in (".xls", ".ods", ".numbers") else ""
    raise SheetError(
        [sheet_problem("X001", f"expected a .xlsx or .csv file, got '{suffix}'{hint}", file)]
    )


def import_sheet(
    sheet: StrPath, output: StrPath = "flows", *, dry_run: bool = False
) -> ImportResult:
    """Turn a sheet into flow files in ``output``; raise :class:`SheetError` on any error.

    The matrix comes from the sheet when it has matrix sheets (Contacts, Calendars,
    ...); otherwise the folder's matrix file is used and left as it is; with neither, a
    starter matrix is made from the contact points. Files that already hold one of the
    imported documents are replaced; nothing else in the folder changes.

    The files are written all together or not at all: when one cannot be written, an
    :class:`~escflow.errors.EscflowError` names it and the folder is as it was.
    """
    book = read_book(Path(sheet))
    folder = Path(output)
    existing = _Existing.scan(folder)
    parsed = Reader(book, existing.matrix).read()
    errors = [p for p in parsed.problems if p.severity == "error"]
    if errors:
        raise SheetError(_ordered(parsed.problems))
    drafts = ([parsed.matrix] if parsed.matrix else []) + parsed.flows
    targets: dict[Path, Draft] = {}
    problems: list[Problem] = []
    for draft in drafts:
        target = existing.target(draft, folder, book.file, problems)
        targets[target] = draft
    if any(p.severity == "error" for p in problems):
        raise SheetError(problems)
    texts = {target: emit(draft.data, draft.notes) for target, draft in targets.items()}
    found = _validate(folder, existing, targets, texts, book.file)
    problems = _ordered([*parsed.problems, *found])
    if any(p.severity == "error" for p in problems):
        raise SheetError(problems)
    written: tuple[Path, ...] = ()
    if not dry_run:
        files = {path: text.encode("utf-8") for path, text in texts.items()}
        files.update(schema_beside(files))  # the schema their '$schema' comment names
        write_all(files, folder)
        written = tuple(files)
    reused = existing.matrix_file if parsed.matrix is None else None
    return ImportResult(texts, written, tuple(problems), reused)


def _ordered(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: p.severity != "error")


@dataclass
class _Existing:
    """The definitions already in the output folder, and which file holds which."""

    files: list[Path]
    holders: dict[tuple[str, str], list[Path]]
    shared: set[Path]
    matrix: MatrixDoc | None
    matrix_file: Path | None

    @classmethod
    def scan(cls, folder: Path) -> _Existing:
        """Read every definition file below ``folder`` (none if it does not exist)."""
        files = (
            sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file())
            if folder.is_dir()
            else []
        )
        holders: dict[tuple[str, str], list[Path]] = {}
        shared: set[Path] = set()
        matrix: MatrixDoc | None = None
        matrix_file: Path | None = None
        for path in files:
            documents, _ = read_documents(path, display_name(path))
            if len(documents) > 1:
                shared.add(path)
            for document in documents:
                data = document.data if isinstance(document.data, dict) else {}
                kind = str(data.get("kind", ""))
                key = "matrix" if kind == "matrix" else str(data.get("id", ""))
                holders.setdefault((kind, key), []).append(path)
                if kind == "matrix" and matrix is None:
                    model, _ = check_document(document)
                    if isinstance(model, MatrixDoc):
                        matrix, matrix_file = model, path
        return cls(files, holders, shared, matrix, matrix_file)

    def target(self, draft: Draft, folder: Path, sheet: str, problems: list[Problem]) -> Path:
        """The file a document goes to: the one that holds it now, or ``<id>.yaml``."""
        held = self.holders.get((draft.kind, draft.key), [])
        if not held:
            try:
                return folder / check_file_name(f"{draft.key}.yaml")
            except ValueError as exc:  # the id is refused again by the flow's own check
                origin = draft.origin_of(("id",))
                problems.append(
                    sheet_problem(
                        "X003",
                        f"'{draft.key}' cannot be the id of category '{draft.data.get('name')}'"
                        f" ({exc}); an id is lowercase letters, digits and dashes, e.g."
                        " 'order-status'",
                        sheet,
                        origin.cell if origin else None,
                    )
                )
                return folder / "-"  # never written: the problem stops the import
        path = held[0]
        if path in self.shared:
            what = "the matrix" if draft.kind == "matrix" else f"the flow '{draft.key}'"
            problems.append(
                sheet_problem(
                    "X002",
                    f"{display_name(path)} holds {what} among other documents; import writes"
                    " one file per document: move it to a file of its own, or import into"
                    " another folder",
                    sheet,
                )
            )
        return path


def _validate(
    folder: Path,
    existing: _Existing,
    targets: dict[Path, Draft],
    texts: dict[Path, str],
    sheet: str,
) -> list[Problem]:
    """Check the folder as it would be after the import; problems located in the sheet."""
    with tempfile.TemporaryDirectory(prefix="escflow-import-") as temporary:
        root = Path(temporary)
        real: dict[str, Path] = {}
        for path in existing.files:
            if path not in texts:
                copy = root / path.relative_to(folder)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, copy)
                real[display_name(copy.resolve())] = path
        drafts: dict[str, Draft] = {}
        for target, text in texts.items():
            copy = root / target.relative_to(folder)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(text, encoding="utf-8")
            drafts[display_name(copy.resolve())] = targets[target]
        report = check_paths([root])
    shared = _shared_cells(list(targets.values()))
    # A matrix that does not load (a bad value in the Contacts or Calendars sheet) leaves
    # every flow checked without one: "no matrix document found", "no calendar applies"
    # for each. Those follow from the matrix's own problem; only that one is reported.
    matrix_files = {file for file, draft in drafts.items() if draft.kind == "matrix"}
    broken = any(
        p.file in matrix_files and p.severity == "error" and p.code[0] in "LS"
        for p in report.problems
    )
    located: list[Problem] = []
    for problem in report.problems:
        if broken and problem.file not in matrix_files and problem.code[0] in "EW":
            continue
        draft = drafts.get(problem.file)
        if draft is None:
            original = real.get(problem.file)
            file = display_name(original) if original else problem.file
            located.append(
                Problem(
                    problem.code,
                    problem.severity,
                    problem.message,
                    file,
                    problem.line,
                    problem.column,
                    problem.path,
                )
            )
            continue
        origin = draft.origin_of(problem.path)
        message = problem.message + _SHEET_HINTS.get(problem.code, "")
        if origin is not None and origin.line is not None:
            message += f" (line {origin.line} of the cell)"
        if origin is None or origin.cell in shared:
            what = "the matrix" if draft.kind == "matrix" else f"category '{draft.data['name']}'"
            where = f", {format_path(problem.path)}" if problem.path else ""
            message += f" (in {what}{where})"
        located.append(
            Problem(
                problem.code,
                problem.severity,
                message,
                sheet,
                0,
                0,
                (origin.cell,) if origin else (),
            )
        )
    return located


def _shared_cells(drafts: list[Draft]) -> set[str]:
    """Cells that several documents read (the matrix table's headers)."""
    seen: dict[str, int] = {}
    for draft in drafts:
        for cell in {origin.cell for origin in draft.origins.values()}:
            seen[cell] = seen.get(cell, 0) + 1
    return {cell for cell, count in seen.items() if count > 1}
