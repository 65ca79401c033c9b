"""What every command shares: exit codes and the definitions-loading preamble."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from escflow.compile import Matrix, Report, check_paths
from escflow.errors import EscflowError
from escflow.timing import ensure_aware

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
Commands = Any  # argparse's _SubParsersAction is private; its type is not worth the import


def add_paths(parser: argparse.ArgumentParser) -> None:
    """The definitions to read: files or folders, ``flows/`` by default."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path("flows")],
        metavar="PATH",
        help="flow files or folders (default: flows/)",
    )


def instant(text: str) -> datetime:
    """An argument that is an instant with its offset (an argparse type: a usage error
    otherwise)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an instant; write e.g. 2026-11-23T10:00+01:00"
        ) from None
    if value.tzinfo is None:
        # A date alone parses as midnight: the example must show the time it needs.
        shown = text if "T" in text or " " in text.strip() else f"{text}T00:00"
        raise argparse.ArgumentTypeError(
            f"'{text}' has no offset; write e.g. {shown}+01:00 or {shown}Z"
        )
    try:
        return ensure_aware(value, "the instant")
    except EscflowError as exc:  # out of the years escflow schedules: a usage error too
        raise argparse.ArgumentTypeError(f"'{text}': {exc}") from None


def plural(count: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(report: Report) -> str:
    """The one-line outcome of a check: files read, flows that compiled without error,
    and the problems."""
    return (
        f"{plural(report.files, 'file')} checked, {plural(len(report.compiled), 'flow')} compiled:"
        f" {plural(len(report.errors), 'error')}, {plural(len(report.warnings), 'warning')}"
    )


def load_or_explain(paths: list[Path]) -> Matrix | None:
    """The compiled matrix, or None after printing why not (to stderr)."""
    report = check_paths(paths)
    if report.matrix is None:
        for problem in report.errors:
            print(problem.format(), file=sys.stderr)
        print(
            f"escflow: the definitions have errors; run 'escflow validate' ({summary(report)})",
            file=sys.stderr,
        )
    return report.matrix
