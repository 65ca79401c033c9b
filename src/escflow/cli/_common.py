"""What every command shares: exit codes, printing, and the definitions-loading preamble."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from escflow.compile import Matrix, Report, check_paths
from escflow.errors import DefinitionError, EscflowError, InputError
from escflow.problems import Problem
from escflow.spec._chars import visible, visible_json
from escflow.spec._load import did_you_mean
from escflow.timing import ensure_aware

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
Commands = Any  # argparse's _SubParsersAction is private; its type is not worth the import


def say(line: str, *, err: bool = False, flush: bool = False) -> None:
    """Print one line (on standard error with ``err``) with every character a terminal
    would act on shown as an escape (``\\x1b``, ``\\u202e``, ``\\n``): a ticket's notes,
    actors and ids, a server's errors, a file's name may hold anything, and must neither
    rewrite the screen nor break the line. Every text printer of the command line prints
    through this."""
    print(visible(line), file=sys.stderr if err else sys.stdout, flush=flush)


def say_json(data: Any) -> None:
    """Print ``data`` as indented JSON: the same values, exactly, with the characters a
    terminal would act on written as ``\\u`` escapes (see :func:`say`)."""
    print(visible_json(data))


def add_format(parser: argparse.ArgumentParser) -> None:
    """``--format text|json``: how the command reports what it did (and its errors)."""
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default); json for programs, errors too (on standard error)",
    )


DEFAULT_FLOWS = Path("flows")
FLOWS_VARIABLE = "ESCFLOW_FLOWS"


def add_flows(parser: argparse.ArgumentParser) -> None:
    """``--flows PATH``: the definitions a command that works on a store reads."""
    parser.add_argument(
        "--flows",
        type=Path,
        default=default_flows(),
        metavar="PATH",
        help=f"the definitions (default: ${FLOWS_VARIABLE}, else flows/)",
    )


def default_flows() -> Path:
    """Where the definitions are read from when a command is not told (``PATH``,
    ``--flows``): ``$ESCFLOW_FLOWS``, else ``flows/`` (as ``--db`` has ``$ESCFLOW_DB``)."""
    return Path(os.environ.get(FLOWS_VARIABLE) or DEFAULT_FLOWS)


class PathArguments(list[Path]):
    """The ``PATH`` arguments of a command (see :func:`add_paths`).

    A list, marked so that :func:`load_or_explain` can tell the user to give ``PATH``
    rather than ``--flows PATH`` (the ticket commands' option), and whether the default
    was used.
    """

    def __init__(self, paths: Iterable[Path], *, defaulted: bool = False) -> None:
        super().__init__(paths)
        self.defaulted = defaulted


class _PathsAction(argparse.Action):
    """Keeps the ``PATH`` arguments as :class:`PathArguments`."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        # argparse passes the default itself when no PATH is given.
        given = values if isinstance(values, PathArguments) else PathArguments(values)
        setattr(namespace, self.dest, given)


def add_paths(parser: argparse.ArgumentParser) -> None:
    """The definitions to read: files or folders, ``flows/`` by default."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        action=_PathsAction,
        default=PathArguments([default_flows()], defaulted=True),
        metavar="PATH",
        help=f"flow files or folders (default: ${FLOWS_VARIABLE}, else flows/)",
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


class BrokenDefinitions(DefinitionError):
    """The definitions a command needs have errors: every problem, then how to check them
    again (``hint``) as the last line, where the eye lands."""

    def __init__(self, problems: list[Problem], hint: str) -> None:
        super().__init__(problems)
        self.hint = hint

    def details(self) -> dict[str, object]:
        """The problems, with the hint as the message."""
        return {**super().details(), "message": self.hint}


def load_or_explain(paths: list[Path]) -> Matrix:
    """The compiled matrix; :class:`BrokenDefinitions` (every problem, and how to check
    again) when it has errors, :class:`~escflow.errors.InputError` when a path is not
    there.

    ``paths`` are a command's ``PATH`` arguments (:class:`PathArguments`) or, in any
    other list, its ``--flows`` option: a path that is not there is said in those terms.
    """
    missing = nowhere(paths)
    if missing is not None:
        raise InputError(missing)
    report = check_paths(paths)
    if report.matrix is None:
        raise _broken(paths, report)
    return report.matrix


def load_running(paths: list[Path]) -> Matrix:
    """The matrix for the commands that run tickets (``ticket``, ``worker``): as
    :func:`load_or_explain`, but flow files with errors are left out rather than stop
    every flow (the engine warns of each, and refuses only new tickets of the flows they
    concern). Only an error of the matrix document, which every flow depends on, raises
    :class:`BrokenDefinitions`."""
    missing = nowhere(paths)
    if missing is not None:
        raise InputError(missing)
    report = check_paths(paths)
    if report.partial is None:
        raise _broken(paths, report)
    return report.partial


def _broken(paths: list[Path], report: Report) -> BrokenDefinitions:
    again = shlex.join(["escflow", "validate", *map(str, paths)])
    return BrokenDefinitions(
        list(report.errors),
        f"the definitions have errors; fix them, then '{again}' checks them again"
        f" ({summary(report)})",
    )


def nowhere(paths: list[Path]) -> str | None:
    """What to say when a definitions path is not there: which, and how to give another
    (None when every path is there).

    Run from another folder, the default ``flows`` is not there; the checker's own
    "no such file or folder" would not say how to point a command at the definitions.
    """
    missing = [p for p in paths if not p.exists()]
    if not missing:
        return None
    if isinstance(paths, PathArguments):
        option, how, defaulted = (
            "the PATH argument",
            "the folder (or files) as PATH",
            paths.defaulted,
        )
    else:
        option, how, defaulted = "--flows", "--flows PATH", paths == [default_flows()]
    if defaulted and os.environ.get(FLOWS_VARIABLE):
        return (
            f"no definitions at {paths[0]} (from ${FLOWS_VARIABLE}): no such file or folder;"
            f" set ${FLOWS_VARIABLE} to the folder that holds the matrix and flows, or give {how}"
        )
    if defaulted:
        return (
            f"no definitions at {DEFAULT_FLOWS} (the default): {Path.cwd()} has no"
            f" {DEFAULT_FLOWS}/; run from the folder that holds {DEFAULT_FLOWS}/, or give {how}"
        )
    shown = ", ".join(f"{p}{_close_name(p)}" for p in missing)
    return (
        f"no definitions at {shown}: no such file or folder; check {option}: it names the"
        " folder (or files) that hold the matrix and flows"
    )


def _close_name(path: Path) -> str:
    """`` (did you mean 'flows'?)`` when a name beside a misspelt path is close."""
    try:
        beside = [p.name for p in path.parent.iterdir()]
    except OSError:
        return ""
    close = did_you_mean(path.name, beside).removeprefix("; ")
    return f" ({close})" if close else ""


def json_fields(record: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a record as JSON values: instants in ISO 8601."""
    values = {name: getattr(record, name) for name in names}
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}


def iso(value: object) -> str:
    """An instant in ISO 8601 (anything else as text)."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def local_time(at: datetime, zone: tzinfo | None) -> str:
    """An instant as people read it: in the calendar's time, with its offset (``zone``
    None: UTC, as stored). JSON output keeps UTC, for programs."""
    return (at if zone is None else at.astimezone(zone)).isoformat()


def jsonable(data: Mapping[str, Any]) -> Any:
    """Event data or an action's payload as JSON values (instants in ISO 8601)."""
    return json.loads(json.dumps(dict(data), default=iso))
