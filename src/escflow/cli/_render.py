"""Commands that draw: ``render`` (one flowchart per flow, the overview, a ticket's path)."""

from __future__ import annotations

import argparse
from pathlib import Path

from escflow.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    add_paths,
    load_or_explain,
    plural,
    say,
)
from escflow.cli._store import add_db
from escflow.compile import compile_source
from escflow.errors import StoreError, UnknownTicket
from escflow.render import (
    DIRECTIONS,
    FORMATS,
    RenderError,
    parse_formats,
    path_of,
    write_diagrams,
    write_ticket_path,
)
from escflow.store import check_text, open_store, shown_url, store_url


def _formats(text: str) -> tuple[str, ...]:
    # A bad format is a usage error (exit 2, with the usage line), like a bad option.
    try:
        return parse_formats(text)
    except RenderError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(commands: Commands) -> None:
    """Add ``render``."""
    render = commands.add_parser(
        "render",
        help="draw the flowcharts and the matrix overview (Graphviz)",
        description=(
            "Draw one flowchart per flow and the matrix overview (_matrix.*) into a folder."
            " Needs Graphviz's 'dot' for every format but 'dot'."
        ),
    )
    add_paths(render)
    render.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("diagrams"),
        metavar="DIR",
        help="the folder to write into (default: diagrams/)",
    )
    render.add_argument(
        "--format",
        type=_formats,
        default=("svg",),
        metavar="FORMATS",
        help=f"comma-separated, from {', '.join(FORMATS)} (default: svg)",
    )
    render.add_argument(
        "--direction",
        type=str.upper,
        choices=DIRECTIONS,
        default="TB",
        help="TB: levels top to bottom (default); LR: left to right",
    )
    render.add_argument(
        "--ticket",
        metavar="ID",
        help="draw this ticket's path through its"
        " flow (the version it runs on), from the store given by --db",
    )
    add_db(render)
    render.set_defaults(run=_dispatch)


def _dispatch(args: argparse.Namespace) -> int:
    if args.ticket:
        return _render_ticket(args.ticket, args.db, args.output, args.format, args.direction)
    return _render(args.paths, args.output, args.format, args.direction)


def _render_ticket(
    ticket_id: str, url: str | None, output: Path, formats: tuple[str, ...], direction: str
) -> int:
    check_text(ticket_id=ticket_id)
    # A mistyped --db must not leave a database; reading writes nothing (read-only media).
    store = open_store(url, create=False, readonly=True)
    ticket = store.get(ticket_id)
    if ticket is None:
        raise UnknownTicket(f"no ticket '{ticket_id}' in {shown_url(store_url(url))}")
    source = store.load_version(ticket.digest)
    if source is None:
        raise StoreError(
            f"{shown_url(store_url(url))} lacks flow version {ticket.digest[:12]} of ticket"
            f" '{ticket_id}'"
        )
    flow = compile_source(source)
    events = store.history(ticket_id)
    for event in events:
        if event.kind == "damaged":  # drawn without it: the rest of the path still shows
            say(
                f"escflow: event {event.seq} of ticket '{ticket_id}' cannot be read"
                f" ({event.data.get('damage')}); the path is drawn without it",
                err=True,
            )
    path = path_of(ticket, events)
    written = write_ticket_path(flow, path, output, formats, direction)
    say(f"{output}: ticket {ticket_id} on flow {flow.id} ({', '.join(str(p) for p in written)})")
    return EXIT_OK


def _render(paths: list[Path], output: Path, formats: tuple[str, ...], direction: str) -> int:
    matrix = load_or_explain(paths)
    if matrix is None:
        return EXIT_PROBLEMS
    written = write_diagrams(matrix, output, formats, direction)
    say(
        f"{output}: {plural(len(matrix.flows), 'flow')} and the matrix overview"
        f" as {', '.join(formats)} ({plural(len(written), 'file')} written)"
    )
    return EXIT_OK
