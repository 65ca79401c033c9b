"""Commands that run tickets: ``simulate`` (a dry run of one flow)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from escflow.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    add_paths,
    instant,
    load_or_explain,
)
from escflow.runtime import simulate


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
        metavar="'WHEN TRIGGER'",
        help="a scripted event: '+45m asks-for-manager', '+2h ack', '+1 business"
        " day resolve' (commands: ack, pause, resume, resolve, reopen); repeatable",
    )
    dry.add_argument(
        "--until", help="how long to run, e.g. '+5 business days' (default: the last event)"
    )
    dry.add_argument("--format", choices=("text", "json"), default="text")
    dry.set_defaults(run=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    matrix = load_or_explain(args.paths)
    if matrix is None:
        return EXIT_PROBLEMS
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
        print(
            json.dumps(
                {
                    "flow": result.flow.id,
                    "priority": result.priority,
                    "timezone": result.timezone,
                    "status": result.status,
                    "timeline": [row.as_dict() for row in result.rows],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    from escflow._console import print_timeline

    print_timeline(result)
    return EXIT_OK
