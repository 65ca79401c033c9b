"""Commands on definitions: ``validate``, ``matrix``, ``schema``."""

from __future__ import annotations

import sys
from pathlib import Path

from escflow.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    add_paths,
    load_or_explain,
    nowhere,
    say,
    say_json,
    summary,
)
from escflow.compile import check_paths
from escflow.fileio import write_atomic
from escflow.io import schema_text
from escflow.views import matrix_table


def register(commands: Commands) -> None:
    """Add ``validate``, ``matrix`` and ``schema``."""
    validate = commands.add_parser(
        "validate",
        help="check flow files and print every problem",
        description="Check the matrix and flows; print file:line:col: CODE message lines.",
    )
    add_paths(validate)
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.set_defaults(run=lambda a: _validate(a.paths, a.format))

    matrix = commands.add_parser("matrix", help="print the matrix: categories x levels")
    add_paths(matrix)
    matrix.add_argument("--format", choices=("text", "json"), default="text")
    matrix.set_defaults(run=lambda a: _matrix(a.paths, a.format))

    schema = commands.add_parser("schema", help="print the JSON Schema of the YAML format")
    schema.add_argument("-o", "--output", type=Path, help="write to this file instead")
    schema.set_defaults(run=lambda a: _schema(a.output))


def _validate(paths: list[Path], fmt: str) -> int:
    report = check_paths(paths)
    if fmt == "json":
        say_json(
            {
                "ok": report.ok,
                "files": report.files,
                "flows": sorted(report.compiled),
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "problems": [p.as_dict() for p in report.problems],
            },
        )
    else:
        for problem in report.problems:
            say(problem.format())
        say(summary(report))
    missing = nowhere(paths)
    if missing is not None:  # L010 says what; this says how to point validate elsewhere
        say(f"escflow: {missing}", err=True)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _schema(output: Path | None) -> int:
    text = schema_text()
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    write_atomic(output, text.encode("utf-8"))
    return EXIT_OK


def _matrix(paths: list[Path], fmt: str) -> int:
    matrix = load_or_explain(paths)
    table = matrix_table(matrix)
    if fmt == "json":
        say_json(
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
        )
        return EXIT_OK
    from escflow._console import print_matrix  # rich loads only when a table is printed

    print_matrix(table)
    return EXIT_OK
