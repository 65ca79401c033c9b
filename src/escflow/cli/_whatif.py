"""``whatif run``: a scenario's load simulated through its flow, alone or beside another."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from escflow.cli._common import (
    EXIT_OK,
    Commands,
    add_flows,
    load_or_explain,
    say,
    say_json,
)
from escflow.errors import InputError


def register(commands: Commands) -> None:
    """Add ``whatif``."""
    whatif = commands.add_parser(
        "whatif",
        help="simulate weeks of load through a flow and compare scenarios",
        description=(
            "Simulate a scenario (arrivals, people, handling times, how tickets leave each"
            " level) through its flow, in business time, over its weeks and replications;"
            " print each level's utilisation, queue, waiting and timer escalations and each"
            " priority's SLA breach odds, with 95%% intervals."
        ),
    )
    verbs = whatif.add_subparsers(dest="verb", required=True, metavar="VERB")
    run = verbs.add_parser("run", help="run a scenario (and compare it with another: --vs)")
    run.add_argument("scenario", type=Path, metavar="SCENARIO", help="a scenario .yaml file")
    run.add_argument(
        "--vs", type=Path, metavar="OTHER", help="another scenario, shown beside it with the"
        " differences (and whether each is within the noise)"
    )  # fmt: skip
    add_flows(run)
    run.add_argument(
        "--jobs",
        type=_jobs,
        default=os.cpu_count() or 1,
        metavar="N",
        help="replications run at once, each in a process (default: the CPUs); the results"
        " do not depend on it",
    )
    run.add_argument("--format", choices=("text", "json"), default="text")
    run.set_defaults(run=_run)


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"{value} is out of range; give 1 to 256")
    return value


def _run(args: argparse.Namespace) -> int:
    # SimPy loads only for this command, not for every command line (the worker's memory).
    from escflow.whatif import compare, load_scenario, run_whatif
    from escflow.whatif._output import as_json, compared_json, compared_rows, heading

    matrix = load_or_explain([args.flows])
    for path in (args.scenario, args.vs):
        if path is not None and not path.is_file():
            raise InputError(f"no scenario file {path}: give a .yaml file (kind: whatif)")
    base = run_whatif(load_scenario(args.scenario, matrix), jobs=args.jobs)
    if args.vs is None:
        if args.format == "json":
            say_json(as_json(base))
        else:
            from escflow.whatif._output import rows

            say(heading(base))
            _table(rows(base))
        return EXIT_OK
    other = run_whatif(load_scenario(args.vs, matrix), jobs=args.jobs)
    pairs = compare(base, other)
    if args.format == "json":
        say_json(compared_json(base, other, pairs))
        return EXIT_OK
    say(heading(base))
    say(heading(other))
    _table(compared_rows(pairs, base.scenario.name, other.scenario.name))
    return EXIT_OK


def _table(table: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the last one not padded."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        say("  ".join([*cells, row[-1]]).rstrip())
