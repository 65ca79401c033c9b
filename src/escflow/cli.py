"""The ``escflow`` command: parse arguments, call the library, print. No logic of its own."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from escflow.compile import Report, check_paths
from escflow.errors import EscflowError
from escflow.io import schema_text
from escflow.views import matrix_table

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="escflow",
        description="Escalation matrices as code: check, run and draw escalation flows.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check flow files and print every problem",
        description="Check the matrix and flows; print file:line:col: CODE message lines.",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path("flows")],
        metavar="PATH",
        help="files or folders (default: flows/)",
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")

    schema = commands.add_parser("schema", help="print the JSON Schema of the YAML format")
    schema.add_argument("-o", "--output", type=Path, help="write to this file instead")

    matrix = commands.add_parser("matrix", help="print the matrix: categories x levels")
    matrix.add_argument("paths", nargs="*", type=Path, default=[Path("flows")], metavar="PATH")
    matrix.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 problems, 2 usage)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.paths, args.format)
        if args.command == "schema":
            return _schema(args.output)
        return _matrix(args.paths, args.format)
    except EscflowError as exc:
        print(f"escflow: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130


def _summary(report: Report) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    flows = len(report.matrix.flows) if report.matrix else 0
    return (
        f"{plural(report.files, 'file')} checked, {plural(flows, 'flow')} compiled:"
        f" {plural(len(report.errors), 'error')}, {plural(len(report.warnings), 'warning')}"
    )


def _validate(paths: list[Path], fmt: str) -> int:
    report = check_paths(paths)
    if fmt == "json":
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "files": report.files,
                    "flows": sorted(report.matrix.flows) if report.matrix else [],
                    "errors": len(report.errors),
                    "warnings": len(report.warnings),
                    "problems": [p.as_dict() for p in report.problems],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for problem in report.problems:
            print(problem.format())
        print(_summary(report))
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _schema(output: Path | None) -> int:
    text = schema_text()
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    from escflow.fileio import write_atomic

    write_atomic(output, text.encode("utf-8"))
    return EXIT_OK


def _matrix(paths: list[Path], fmt: str) -> int:
    report = check_paths(paths)
    if report.matrix is None:
        for problem in report.errors:
            print(problem.format(), file=sys.stderr)
        print(
            f"escflow: the definitions have errors; run 'escflow validate' ({_summary(report)})",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    table = matrix_table(report.matrix)
    if fmt == "json":
        print(
            json.dumps(
                {
                    "levels": list(table.levels),
                    "rows": [
                        {
                            "issue_type": row.issue_type,
                            "flow": row.flow_id,
                            "name": row.flow_name,
                            "levels": {str(n): vars(c) for n, c in row.cells.items()},
                            "teams": list(row.teams),
                        }
                        for row in table.rows
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    from escflow._console import print_matrix

    print_matrix(table)
    return EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
