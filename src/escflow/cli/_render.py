"""Commands that draw: ``render`` (one flowchart per flow, plus the matrix overview)."""

from __future__ import annotations

import argparse
from pathlib import Path

from escflow.cli._common import EXIT_OK, EXIT_PROBLEMS, Commands, add_paths, load_or_explain, plural
from escflow.render import DIRECTIONS, FORMATS, RenderError, parse_formats, write_diagrams


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
    render.set_defaults(run=lambda a: _render(a.paths, a.output, a.format, a.direction))


def _render(paths: list[Path], output: Path, formats: tuple[str, ...], direction: str) -> int:
    matrix = load_or_explain(paths)
    if matrix is None:
        return EXIT_PROBLEMS
    written = write_diagrams(matrix, output, formats, direction)
    print(
        f"{output}: {plural(len(matrix.flows), 'flow')} and the matrix overview"
        f" as {', '.join(formats)} ({plural(len(written), 'file')} written)"
    )
    return EXIT_OK
