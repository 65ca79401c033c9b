"""Commands that draw: ``render`` (one flowchart per flow, the overview, a ticket's path)."""

from __future__ import annotations

import argparse
from pathlib import Path

from escflow.cli._common import (
    EXIT_OK,
    Commands,
    add_paths,
    load_or_explain,
    plural,
    say,
    say_json,
)
from escflow.cli._store import add_db
from escflow.compile import compile_source
from escflow.errors import RenderError, StoreError, UnknownTicket
from escflow.render import (
    DIRECTIONS,
    FORMATS,
    parse_formats,
    path_of,
    write_diagrams,
    write_ticket_path,
)
from escflow.store import check_text, open_store, shown_url, store_url

REPORT = "json"  # in --format, not a file: the command's own report as JSON


def _formats(text: str) -> tuple[str, ...]:
    # A bad format is a usage error (exit 2, with the usage line), like a bad option.
    names = [name.strip().lower() for name in text.split(",")]
    files = ",".join(name for name in names if name != REPORT)
    try:
        return (*parse_formats(files or "svg"), *([REPORT] if REPORT in names else []))
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
        help=f"comma-separated, from {', '.join(FORMATS)} (default: svg); add {REPORT} to"
        " print what was written as JSON, errors too",
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
    formats = tuple(f for f in args.format if f != REPORT)
    args.format = "json" if REPORT in args.format else "text"  # how errors are said too
    if args.ticket:
        text, report = _render_ticket(args.ticket, args.db, args.output, formats, args.direction)
    else:
        text, report = _render(args.paths, args.output, formats, args.direction)
    if args.format == "json":
        say_json(report)
    else:
        say(text)
    return EXIT_OK


def _render_ticket(
    ticket_id: str, url: str | None, output: Path, formats: tuple[str, ...], direction: str
) -> tuple[str, dict[str, object]]:
    check_text(ticket_id=ticket_id)
    # A mistyped --db must not leave a database; reading writes nothing (read-only media).
    store = open_store(url, create=False, readonly=True)
    ticket = store.get(ticket_id)
    if ticket is None:
        raise UnknownTicket(
            f"no ticket '{ticket_id}' in {shown_url(store_url(url))}", ticket_id=ticket_id
        )
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
    text = f"{output}: ticket {ticket_id} on flow {flow.id} ({', '.join(map(str, written))})"
    files = [str(p) for p in written]
    return text, {"output": str(output), "ticket": ticket_id, "flow": flow.id, "files": files}


def _render(
    paths: list[Path], output: Path, formats: tuple[str, ...], direction: str
) -> tuple[str, dict[str, object]]:
    matrix = load_or_explain(paths)
    written = write_diagrams(matrix, output, formats, direction)
    text = (
        f"{output}: {plural(len(matrix.flows), 'flow')} and the matrix overview"
        f" as {', '.join(formats)} ({plural(len(written), 'file')} written)"
    )
    files = [str(p) for p in written]
    return text, {"output": str(output), "flows": sorted(matrix.flows), "files": files}
