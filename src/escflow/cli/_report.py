"""Commands on a store's history: ``report`` (what it tells) and ``demo-history`` (a seeded
history to try reports on)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from escflow.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    Commands,
    add_flows,
    instant,
    load_or_explain,
    say,
    say_json,
)
from escflow.cli._store import add_db
from escflow.errors import InputError, OutputError, TimeError, UnknownName
from escflow.fileio import write_atomic
from escflow.report import HistoryReport, OpenAt, build_report, check_period, open_at
from escflow.report._text import as_csv, as_json, as_table, open_table
from escflow.runtime import generate_history
from escflow.spec._chars import visible_json
from escflow.store import open_store

FORMATS = ("table", "json", "csv", "html")


def register(commands: Commands) -> None:
    """Add ``report`` and ``demo-history``."""
    report = commands.add_parser(
        "report",
        help="what the history tells: dwell, SLA, load, weeks and findings",
        description="Count a store's events: per flow and level, per flow and priority, per"
        " contact point and week, and the findings the rules make of them.",
    )
    add_db(report)
    report.add_argument(
        "--since", type=instant, metavar="WHEN", help="from this instant (default: the first)"
    )
    report.add_argument(
        "--until", type=instant, metavar="WHEN", help="up to this instant (default: now)"
    )
    report.add_argument("--flow", metavar="FLOW", help="only the tickets of this flow")
    report.add_argument("--priority", metavar="PRIORITY", help="only tickets of this priority")
    report.add_argument(
        "--at",
        type=instant,
        metavar="WHEN",
        help="instead: the tickets open at this instant, by flow and level",
    )
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument("-o", "--output", type=Path, metavar="FILE", help="write it to FILE")
    report.set_defaults(run=_report)

    demo = commands.add_parser(
        "demo-history",
        help="fill a new store with a seeded history of tickets (for demos and reports)",
        description="Run DAYS days of tickets through the flows on the real engine and a"
        " simulated clock: arrivals by hour of the week, acknowledgements, pauses, triggers,"
        " timer escalations and reopenings. The same seed gives the same history.",
    )
    add_db(demo)
    add_flows(demo)
    demo.add_argument("--start", type=instant, required=True, metavar="WHEN")
    demo.add_argument("--days", type=_count, default=30, metavar="N", help="default: 30")
    demo.add_argument("--per-day", type=_count, default=30, metavar="N", help="default: 30")
    demo.add_argument("--seed", type=int, default=1, help="default: 1")
    demo.set_defaults(run=_demo)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"{value} is out of range; give 0 to 10,000")
    return value


def _usage(args: argparse.Namespace, error: InputError) -> int:
    """A usage error: said (as JSON with --format json), exit 2."""
    if args.format == "json":
        print(visible_json(error.details(), indent=None), file=sys.stderr)
    else:
        say(f"escflow: {error}", err=True)
    return EXIT_USAGE


def _report(args: argparse.Namespace) -> int:
    until: datetime = args.until or datetime.now(UTC)
    try:
        check_period(args.since, until)
        if args.at is not None and (args.since or args.until or args.priority):
            raise InputError(
                "--at shows the tickets open at one instant: give it alone (with --flow),"
                " without --since, --until or --priority"
            )
        if args.at is not None and args.format == "html":
            raise InputError("--at prints a table, JSON or CSV: choose --format table, json or csv")
    except InputError as exc:
        return _usage(args, exc)
    with open_store(args.db, readonly=True) as store:
        try:
            if args.at is not None:
                found = open_at(store, args.at, flow=args.flow)
                return _write(args, _open_text(found, args.at, args.format))
            report = build_report(
                store, since=args.since, until=until, flow=args.flow, priority=args.priority
            )
        except (TimeError, UnknownName) as exc:
            return _usage(args, exc)
    if args.format == "json":
        text = json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        text = as_csv(report)
    elif args.format == "html":
        text = _html(report)
    else:
        text = as_table(report)
    return _write(args, text)


def _html(report: HistoryReport) -> str:
    try:  # matplotlib is an optional dependency, loaded only for HTML
        from escflow.report._html import as_html
    except ImportError as exc:
        raise OutputError(
            f"the HTML report draws its charts with matplotlib ({exc}): pip install"
            " 'escflow[report]', or choose --format table, json or csv"
        ) from None
    return as_html(report)


def _open_text(found: list[OpenAt], at: datetime, fmt: str) -> str:
    if fmt == "json":
        rows = [asdict(o) for o in found]
        return json.dumps({"at": at.isoformat(), "open": rows}, indent=2) + "\n"
    if fmt == "csv":
        lines = [
            "flow,level,open,paused",
            *(f"{o.flow},{o.level},{o.open},{o.paused}" for o in found),
        ]
        return "\n".join(lines) + "\n"
    return open_table(found, at.isoformat())


def _write(args: argparse.Namespace, text: str) -> int:
    """The output in ``-o FILE`` (written whole, or not at all), or on standard output:
    JSON and text through the printers that show escapes, HTML as it is (it escapes its
    own text)."""
    if args.output is not None:
        write_atomic(args.output, text.encode("utf-8"))
        say(f"wrote {args.output}", err=True)
    elif args.format == "json":
        say_json(json.loads(text))
    elif args.format == "html":
        sys.stdout.write(text)
    else:
        for line in text.splitlines():
            say(line)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    matrix = load_or_explain([args.flows])
    with open_store(args.db) as store:
        history = generate_history(
            matrix, store, start=args.start, days=args.days, seed=args.seed, per_day=args.per_day
        )
    say(
        f"{len(history.tickets)} tickets, {history.events} events from"
        f" {history.start.isoformat()} to {history.end.isoformat()} (seed {history.seed})"
    )
    return EXIT_OK
