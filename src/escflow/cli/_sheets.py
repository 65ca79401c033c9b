"""Commands between spreadsheets and definitions: ``import`` and ``export``."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

from escflow.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    add_format,
    add_paths,
    load_or_explain,
    plural,
    say,
    say_json,
)
from escflow.errors import EscflowError, InputError, RenderError, SheetError
from escflow.fileio import check_folder, write_atomic
from escflow.io import (
    SHEET_SUFFIXES,
    export_format,
    export_matrix,
    import_sheet,
    template_bytes,
)
from escflow.spec._load import display_name


def register(commands: Commands) -> None:
    """Add ``import`` and ``export``."""
    sheet = commands.add_parser(
        "import",
        help="turn a spreadsheet (.xlsx, .csv) into flow files",
        description=(
            "Read an escalation matrix sheet (layout: docs/sheets.md) and write the matrix"
            " and one flow file per category into a folder. Nothing is written unless the"
            " whole sheet is valid."
        ),
    )
    sheet.add_argument("sheet", nargs="?", type=Path, metavar="SHEET", help=".xlsx or .csv file")
    sheet.add_argument(
        "-o", "--output", type=Path, default=Path("flows"), help="folder (default: flows/)"
    )
    sheet.add_argument(
        "--dry-run", action="store_true", help="check and list the files, write nothing"
    )
    sheet.add_argument(
        "--template",
        type=Path,
        metavar="FILE",
        help="write a starter sheet (.xlsx or .csv) to fill in, instead of importing",
    )
    add_format(sheet)
    sheet.set_defaults(run=lambda a: _import(sheet, a))

    export = commands.add_parser(
        "export",
        help="write the matrix to a spreadsheet (.xlsx, .csv), .md or an .html handbook",
        description=(
            "Write the definitions in the sheet layout (.xlsx, .csv: they import back"
            " unchanged; .md: tables for reading) or as a printable training handbook"
            " (.html, with every flowchart)."
        ),
    )
    add_paths(export)
    export.add_argument(
        "-o", "--output", type=_export_path, required=True, help="file: .xlsx, .csv, .md or .html"
    )
    add_format(export)
    export.set_defaults(run=lambda a: _export(a.paths, a.output, as_json=a.format == "json"))


def _import(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.template is not None:
        if args.sheet is not None:
            parser.error("give either SHEET or --template FILE, not both")
        fmt = args.template.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "csv"):
            parser.error("the template is a .xlsx or .csv file")
        write_atomic(args.template, template_bytes(fmt))
        if args.format == "json":
            say_json({"template": str(args.template)})
        else:
            say(f"wrote {args.template}: fill it in, then run 'escflow import {args.template}'")
        return EXIT_OK
    if args.sheet is None:
        parser.error("give the SHEET to import (or --template FILE to start one)")
    _check_sheet(args.sheet)
    check_folder(args.output)
    try:
        result = import_sheet(args.sheet, args.output, dry_run=args.dry_run)
    except SheetError as error:
        if args.format == "json":
            raise  # said as one JSON object on standard error, as every command's errors are
        for problem in error.problems:
            say(problem.format(), err=True)
        errors = sum(p.severity == "error" for p in error.problems)
        warnings = len(error.problems) - errors
        say(
            f"escflow: nothing was written ({plural(errors, 'error')},"
            f" {plural(warnings, 'warning')})",
            err=True,
        )
        return EXIT_PROBLEMS
    flows = len(result.files) - (result.reused_matrix is None)
    if args.format == "json":
        say_json(
            {
                "sheet": str(args.sheet),
                "output": str(args.output),
                "dry_run": args.dry_run,
                "files": [str(path) for path in result.files],
                "written": [str(path) for path in result.written],
                "kept_matrix": None if result.reused_matrix is None else str(result.reused_matrix),
                "categories": flows,
                "warnings": [problem.as_dict() for problem in result.warnings],
            }
        )
        return EXIT_OK
    for problem in result.warnings:
        say(problem.format())
    verb = "would write" if args.dry_run else "wrote"
    for path in result.files:
        say(f"{verb} {display_name(path)}")
    if result.reused_matrix is not None:
        say(f"kept {display_name(result.reused_matrix)}: the sheet has no matrix sheets")
    say(f"{_categories(flows)} imported from {display_name(args.sheet)}")
    return EXIT_OK


def _check_sheet(sheet: Path) -> None:
    """Refuse a folder, or a sheet that cannot be looked at, before reading anything."""
    try:
        status = sheet.stat()
    except (FileNotFoundError, NotADirectoryError):
        return  # the reader says there is no such file
    except OSError as exc:
        raise InputError(
            f"cannot read {sheet}: {exc.strerror or exc} (check the permissions of the file"
            " and of its folders)"
        ) from None
    if stat.S_ISDIR(status.st_mode):
        raise InputError(_folder_given(sheet))


def _folder_given(folder: Path) -> str:
    """The message for a folder given where a sheet is expected, naming the sheets in it."""
    try:
        sheets = sorted(
            p.name for p in folder.iterdir() if p.suffix.lower() in SHEET_SUFFIXES and p.is_file()
        )
    except OSError:
        sheets = []
    more = f" and {len(sheets) - 3} more" if len(sheets) > 3 else ""
    found = f" (it holds {', '.join(sheets[:3])}{more})" if sheets else ""
    return (
        f"{folder} is a folder; import reads a spreadsheet file: give a .xlsx or .csv file{found}"
    )


def _export_path(text: str) -> Path:
    """An argparse type: a file name whose suffix names an export format (a usage error
    otherwise, said before the definitions are read)."""
    path = Path(text)
    try:
        export_format(path)
    except EscflowError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return path


def _export(paths: list[Path], output: Path, *, as_json: bool) -> int:
    fmt = export_format(output)
    matrix = load_or_explain(paths)
    try:
        data = export_matrix(matrix, fmt)
    except RenderError as exc:  # the handbook's flowcharts could not be drawn
        raise RenderError(f"{output} was not written: {exc}") from None
    write_atomic(output, data)
    if as_json:
        say_json(
            {
                "output": str(output),
                "format": fmt,
                "flows": sorted(matrix.flows),
                "bytes": len(data),
            }
        )
    else:
        say(f"wrote {output} ({_categories(len(matrix.flows))})")
    return EXIT_OK


def _categories(count: int) -> str:
    return f"{count} {'category' if count == 1 else 'categories'}"
