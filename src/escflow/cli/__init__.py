"""The ``escflow`` command: parse arguments, call the library, print. No logic of its own.

Each module of this package registers a group of subcommands; they share the exit
codes: 0 done, 1 problems found (or the operation was refused), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from escflow.cli import _definitions, _render, _runtime, _sheets, _store, _tickets
from escflow.cli._common import EXIT_PROBLEMS, EXIT_USAGE
from escflow.errors import EscflowError

GROUPS = [_definitions, _render, _runtime, _store, _tickets, _sheets]


def parser() -> argparse.ArgumentParser:
    """The whole command line, every group registered."""
    top = argparse.ArgumentParser(
        prog="escflow",
        description="Escalation matrices as code: check, run and draw escalation flows.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 problems, 2 usage)."""
    try:
        args = parser().parse_args(argv)
        status: int = args.run(args)
    except SystemExit as exc:  # argparse stops at --help (0) and at a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except EscflowError as exc:
        print(f"escflow: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130
    return status


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
