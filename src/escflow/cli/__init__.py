"""The ``escflow`` command: parse arguments, call the library, print. No logic of its own.

Each module of this package registers a group of subcommands; they share the exit
codes: 0 done, 1 problems found (or the operation was refused, or the output could not
be written), 2 usage error, 75 try again later (the store is locked, busy or unreachable:
``EX_TEMPFAIL`` in sysexits), 130 interrupted, 141 the reader of the output went away (a
closed pipe, e.g. ``| head``: said nothing, as other Unix tools do).

With ``--format json`` an error is one JSON object on standard error (the error's
:meth:`~escflow.errors.EscflowError.details`), so that a program reads fields, not text.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO, cast

from escflow.cli import (
    _definitions,
    _outbox,
    _render,
    _report,
    _runtime,
    _serve,
    _sheets,
    _store,
    _tickets,
    _whatif,
    _worker,
)
from escflow.cli._common import EXIT_PROBLEMS, EXIT_USAGE, BrokenDefinitions, say
from escflow.errors import DefinitionError, EscflowError, FlowUnavailable, RetryLater
from escflow.spec._chars import visible, visible_json

__all__ = ["main", "parser", "run"]

GROUPS = [
    _definitions,
    _render,
    _runtime,
    _store,
    _tickets,
    _worker,
    _outbox,
    _sheets,
    _report,
    _whatif,
    _serve,
]
EXIT_RETRY_LATER, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 75, 130, 141


class _OutputFailed(Exception):
    """Writing to standard output failed; ``error`` says why."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


class _GuardedOutput:
    """Standard output whose write errors are told apart from every other OSError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise _OutputFailed(exc) from None

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise _OutputFailed(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its usage errors and help shown as :func:`say` shows text: an
    error quotes the argument given, which may hold a terminal escape."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            shown = "\n".join(visible(line) for line in message.split("\n"))
            super()._print_message(shown, file)


def parser() -> argparse.ArgumentParser:
    """The whole command line, every group registered."""
    top = _Parser(
        prog="escflow",
        description="Escalation matrices as code: check, run and draw escalation flows.",
    )
    top.add_argument("--version", action="version", version=f"escflow {_version()}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return top


def _version() -> str:
    """The installed distribution's version (the one ``pip`` shows)."""
    try:
        return importlib.metadata.version("escflow")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "(not installed)"


class _Said(logging.Handler):
    """What the library says while it goes on (a row it quarantined, a flow file left
    out), on standard error: a line of text, or with ``--format json`` a JSON object of
    its own (``{"warning": ...}``), so that a program reads every line of standard
    error as JSON."""

    as_json = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.as_json:
            shown = {"warning": record.getMessage(), "logger": record.name}
            print(visible_json(shown, indent=None), file=sys.stderr, flush=True)
        else:
            say(f"escflow: {record.getMessage()}", err=True, flush=True)


@contextmanager
def _saying() -> Iterator[_Said]:
    """escflow's warnings printed for the command's run."""
    said, logger = _Said(logging.WARNING), logging.getLogger("escflow")
    logger.addHandler(said)
    try:
        yield said
    finally:
        logger.removeHandler(said)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 problems, 2 usage)."""
    with _saying() as said:
        return _main(argv, said)


def _main(argv: Sequence[str] | None, said: _Said) -> int:
    stdout = sys.stdout
    if stdout is not None:
        sys.stdout = cast(TextIO, _GuardedOutput(stdout))
    args: argparse.Namespace | None = None
    try:
        args = parser().parse_args(argv)
        said.as_json = getattr(args, "format", "text") == "json"
        status: int = args.run(args)
        sys.stdout.flush()  # a full disk shows here, not in the interpreter's last flush
    except SystemExit as exc:  # argparse stops at --help (0) and at a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except EscflowError as exc:
        _say_error(exc, as_json=getattr(args, "format", "text") == "json")
        return EXIT_RETRY_LATER if isinstance(exc, RetryLater) else EXIT_PROBLEMS
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except _OutputFailed as failed:
        _drop_output(stdout)
        if isinstance(failed.error, BrokenPipeError):
            return EXIT_BROKEN_PIPE
        reason = failed.error.strerror or str(failed.error)
        say(
            f"escflow: cannot write the output to standard output: {reason};"
            " the output is incomplete",
            err=True,
        )
        return EXIT_PROBLEMS
    finally:
        sys.stdout = stdout
    return status


def _say_error(error: EscflowError, *, as_json: bool) -> None:
    """An error on standard error: its details as one JSON object, or its message (a
    definitions error gives a line per problem, each quoting what it found)."""
    if as_json:
        print(visible_json(error.details(), indent=None), file=sys.stderr)
    elif isinstance(error, BrokenDefinitions):
        for problem in error.problems:
            say(problem.format(), err=True)
        say(f"escflow: {error.hint}", err=True)
    elif isinstance(error, FlowUnavailable):  # the reason first, each problem, then the fix
        say(f"escflow: {error.head}", err=True)
        for problem in error.problems:
            say(problem.format(), err=True)
        say(f"escflow: {error.hint}", err=True)
    elif isinstance(error, DefinitionError):
        say(f"escflow: {str(error).splitlines()[0]}", err=True)
        for problem in error.problems:
            say(problem.format(), err=True)
    else:
        say(f"escflow: {error}", err=True)


def _drop_output(stdout: TextIO) -> None:
    """Send what is left of standard output nowhere, so that the interpreter's own flush
    at exit does not fail again (Python's advice for a closed pipe)."""
    try:
        descriptor = stdout.fileno()
    except (OSError, ValueError):
        return  # not a file (a test's capture): nothing will be flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
