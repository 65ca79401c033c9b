"""Commands that draw: ``render`` (one flowchart per flow, the overview, a ticket's path)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
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
    MIN_TEXT_PT,
    Paper,
    check_dpi,
    paper_named,
    parse_formats,
    path_of,
    print_scales,
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


def _paper(text: str) -> Paper:
    try:
        return paper_named(text)
    except RenderError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _dpi(text: str) -> int:
    try:
        return check_dpi(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--dpi takes a whole number of pixels per inch, not '{text}'"
        ) from None
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
        "--paper",
        type=_paper,
        metavar="A4|letter",
        help="scale each drawing down to fit this paper (landscape, 12 mm margins); says"
        " which charts then print with text under 7 pt (the .html handbook of 'export'"
        " splits those by levels)",
    )
    render.add_argument(
        "--dpi",
        type=_dpi,
        metavar="N",
        help="pixels per inch of PNG files (default 96; 300 for print)",
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
    page = _Page(args.paper, args.dpi)
    if args.ticket:
        text, report = _render_ticket(
            args.ticket, args.db, args.output, formats, args.direction, page
        )
    else:
        text, report = _render(args.paths, args.output, formats, args.direction, page)
    if args.format == "json":
        say_json(report)
    else:
        for line in text.split("\n"):  # say() shows a newline inside a line as \n
            say(line)
    return EXIT_OK


@dataclass(frozen=True)
class _Page:
    """What ``--paper`` and ``--dpi`` asked for."""

    paper: Paper | None
    dpi: int | None


def _render_ticket(
    ticket_id: str,
    url: str | None,
    output: Path,
    formats: tuple[str, ...],
    direction: str,
    page: _Page,
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
    written = write_ticket_path(
        flow, path, output, formats, direction, paper=page.paper, dpi=page.dpi
    )
    text = f"{output}: ticket {ticket_id} on flow {flow.id} ({', '.join(map(str, written))})"
    files = [str(p) for p in written]
    return text, {"output": str(output), "ticket": ticket_id, "flow": flow.id, "files": files}


def _render(
    paths: list[Path], output: Path, formats: tuple[str, ...], direction: str, page: _Page
) -> tuple[str, dict[str, object]]:
    matrix = load_or_explain(paths)
    written = write_diagrams(matrix, output, formats, direction, paper=page.paper, dpi=page.dpi)
    text = (
        f"{output}: {plural(len(matrix.flows), 'flow')} and the matrix overview"
        f" as {', '.join(formats)} ({plural(len(written), 'file')} written)"
    )
    files = [str(p) for p in written]
    report: dict[str, object] = {
        "output": str(output),
        "flows": sorted(matrix.flows),
        "files": files,
    }
    paper = page.paper
    if paper is not None:
        small = {
            flow_id: round(text_pt, 1)
            for flow_id, (_, text_pt) in print_scales(matrix, paper).items()
            if text_pt < MIN_TEXT_PT
        }
        report["small_text"] = small
        if small:
            listed = ", ".join(f"{flow_id} ({pt} pt)" for flow_id, pt in small.items())
            text += (
                f"\nfitted to {paper.name}, these charts print with text under"
                f" {MIN_TEXT_PT:g} pt: {listed}; the handbook ('escflow export -o"
                f" handbook.html --paper {paper.name}') splits them by levels"
            )
    return text, report
