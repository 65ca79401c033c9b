"""Commands that run tickets: ``simulate`` (a dry run of one flow)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime

from escflow.cli._common import (
    EXIT_OK,
    Commands,
    add_paths,
    instant,
    load_or_explain,
    say_json,
)
from escflow.errors import EscflowError
from escflow.runtime import simulate
from escflow.runtime._simulate import parse_event, parse_when


def register(commands: Commands) -> None:
    """Add ``simulate``."""
    dry = commands.add_parser(
        "simulate",
        help="dry-run one ticket through a flow and print its timeline",
        description="Run one ticket of FLOW on a simulated clock: who is contacted when, and why."
        " Nothing is stored or sent.",
    )
    dry.add_argument("flow", metavar="FLOW", help="the flow id (issue category), e.g. complaint")
    add_paths(dry)
    dry.add_argument(
        "--start",
        type=instant,
        help="start instant with its offset, e.g. 2026-11-23T10:00+01:00 (default: now)",
    )
    dry.add_argument("--priority", help="the ticket's priority (default: the matrix's)")
    dry.add_argument(
        "--event",
        action="append",
        default=[],
        type=_scripted(parse_event),
        metavar="'WHEN TRIGGER'",
        help="a scripted event: '+45m asks-for-manager', '+2h ack', '+1 business"
        " day resolve' (commands: ack, pause, resume, resolve, reopen); repeatable",
    )
    dry.add_argument(
        "--until",
        type=_scripted(parse_when),
        help="how long to run, e.g. '+5 business days' (default: the last event)",
    )
    dry.add_argument("--format", choices=("text", "json"), default="text")
    dry.set_defaults(run=_simulate)


def _scripted(parse: Callable[[str], object]) -> Callable[[str], str]:
    """An argparse type that keeps the text once ``parse`` reads it: a misspelt time is a
    usage error, said before the definitions are read (the flow, which the text needs to
    become an instant, checks the rest)."""

    def check(text: str) -> str:
        try:
            parse(text)
        except EscflowError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    return check


def _simulate(args: argparse.Namespace) -> int:
    matrix = load_or_explain(args.paths)
    start: datetime = args.start or datetime.now(UTC).replace(second=0, microsecond=0)
    result = simulate(
        matrix,
        args.flow,
        start,
        priority=args.priority,
        events=args.event,
        until=args.until,
    )
    if args.format == "json":
        say_json(
            {
                "flow": result.flow.id,
                "priority": result.priority,
                "timezone": result.timezone,
                "status": result.status,
                "sla": [target.as_dict() for target in result.targets],
                "timeline": [row.as_dict() for row in result.rows],
            },
        )
        return EXIT_OK
    from escflow._console import print_timeline

    print_timeline(result)
    return EXIT_OK
