"""Flowcharts for training, drawn from the same compiled flows the runner uses.

The only package that imports ``graphviz``; Graphviz's ``dot`` program does the layout::

    from escflow import load_matrix
    from escflow.render import render_flow, write_diagrams

    matrix = load_matrix("flows")
    svg = render_flow(matrix.flow("complaint"), format="svg", direction="TB")
    write_diagrams(matrix, "diagrams", formats=("svg", "dot"))

Every function is deterministic: the same definitions give byte-identical DOT and SVG
(with the same Graphviz version), so rendered diagrams can be committed and checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from escflow._names import escaped_file_name
from escflow.compile import CompiledFlow, Matrix
from escflow.errors import EscflowError, RenderError
from escflow.fileio import check_folder, write_all
from escflow.render._dot import FORMATS, check_dot, parse_formats
from escflow.render._dot import run_dot as _run_dot
from escflow.render._flow import DIRECTIONS, edge_id, flow_source, resolved_node
from escflow.render._handbook import ABSENT_MARK, MatrixBlock, handbook
from escflow.render._matrix import matrix_source
from escflow.render._path import TicketPath, path_of
from escflow.render._print import (
    MIN_TEXT_PT,
    PAPERS,
    Paper,
    check_dpi,
    paper_named,
)
from escflow.render._print import print_scale as _print_scale
from escflow.render._print import with_page as _with_page

MATRIX_FILE = "_matrix"
"""The overview's file name without extension; ``_`` keeps it apart from any flow id."""


def render_flow(
    flow: CompiledFlow,
    format: str = "svg",
    direction: str = "TB",
    *,
    path: TicketPath | None = None,
    category: str | None = None,
    paper: Paper | None = None,
    dpi: int | None = None,
) -> bytes:
    """The flowchart of ``flow`` as ``svg``, ``png``, ``pdf`` or ``dot`` bytes.

    ``path`` draws a ticket's path over it; ``category`` is the issue type's name for
    the title (see :func:`flow_source`); ``paper`` and ``dpi`` as in :func:`render_all`.
    """
    source = flow_source(flow, direction, path, category=category)
    return _run_dot(_with_page(source, paper, dpi if format == "png" else None), format)


def render_matrix(matrix: Matrix, format: str = "svg") -> bytes:
    """The matrix overview (categories x levels) as ``svg``, ``png``, ``pdf`` or ``dot``."""
    return _run_dot(matrix_source(matrix), format)


def print_scales(matrix: Matrix, paper: Paper) -> dict[str, tuple[float, float]]:
    """Flow id -> (scale, smallest text in points) of its flowchart fitted to ``paper``.

    The scale is at most 1; a flow whose smallest text comes out under
    :data:`MIN_TEXT_PT` prints legibly only split by levels, as the handbook does.
    """
    check_dot()
    flows = sorted(matrix.flows)

    def measure(flow_id: str) -> tuple[float, float]:
        flow = matrix.flows[flow_id]
        svg = _run_dot(flow_source(flow, category=category_name(matrix, flow)), "svg")
        return _print_scale(svg.decode("utf-8"), paper)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(flows, pool.map(measure, flows), strict=True))


def category_name(matrix: Matrix, flow: CompiledFlow) -> str:
    """The display name of ``flow``'s issue type (its id if the matrix lacks it)."""
    issue = matrix.doc.issue_types.get(flow.issue_type)
    return issue.name if issue is not None else flow.issue_type


def render_all(
    matrix: Matrix,
    formats: Iterable[str] | str = ("svg",),
    direction: str = "TB",
    *,
    paper: Paper | None = None,
    dpi: int | None = None,
) -> dict[str, bytes]:
    """Every diagram of ``matrix`` in memory: file name -> content.

    One ``<flow id>.<format>`` per flow and format, plus ``_matrix.<format>``, in a
    stable order (flows sorted by id). ``paper`` scales each drawing down to fit the
    paper's printable area in landscape (see :func:`print_scales` for how small its
    text then is); ``dpi`` sets the pixels per inch of PNG files (Graphviz's 96 without).
    """
    chosen = parse_formats(formats)
    if direction not in DIRECTIONS:
        raise RenderError(f"unknown direction '{direction}'; choose TB or LR")
    if any(fmt != "dot" for fmt in chosen):
        check_dot()
    jobs: list[tuple[str, str, str]] = []  # (file name, DOT source, format)
    sources = {
        flow_id: flow_source(
            matrix.flows[flow_id], direction, category=category_name(matrix, matrix.flows[flow_id])
        )
        for flow_id in sorted(matrix.flows)
    }
    sources[MATRIX_FILE] = matrix_source(matrix)
    for name, source in sources.items():
        jobs.extend(
            (f"{name}.{fmt}", _with_page(source, paper, dpi if fmt == "png" else None), fmt)
            for fmt in chosen
        )
    # Each job is one ``dot`` process, so threads run them side by side; map() keeps
    # the results in job order, so the output does not depend on which finishes first.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda job: _run_dot(job[1], job[2]), jobs))
    return {name: data for (name, _, _), data in zip(jobs, results, strict=True)}


def write_diagrams(
    matrix: Matrix,
    folder: str | os.PathLike[str],
    formats: Iterable[str] | str = ("svg",),
    direction: str = "TB",
    *,
    paper: Paper | None = None,
    dpi: int | None = None,
) -> list[Path]:
    """Render every diagram of ``matrix`` and write them into ``folder``; returns the paths.

    Everything is drawn in memory first, so a failure (no ``dot``, a bad format) writes
    nothing; the files are then written all together or not at all: a
    :class:`RenderError` names the file that could not be written, and the folder is as
    it was. Files already in the folder that this call does not produce are left alone.
    """
    target = Path(folder)
    _check_folder(target)
    files = render_all(matrix, formats, direction, paper=paper, dpi=dpi)
    return _write_files(target, files)


def write_ticket_path(
    flow: CompiledFlow,
    path: TicketPath,
    folder: str | os.PathLike[str],
    formats: Iterable[str] | str = ("svg",),
    direction: str = "TB",
    *,
    paper: Paper | None = None,
    dpi: int | None = None,
) -> list[Path]:
    """Draw ``flow`` with a ticket's path highlighted into ``folder/<ticket id>.<format>``.

    The id is made a safe file name first (``a/b`` -> ``a%2Fb.svg``, ``CON`` ->
    ``%43ON.svg``, see :func:`~escflow._names.escaped_file_name`): the files stay in
    ``folder``, one name per id. Like :func:`write_diagrams`: drawn first, then every
    file written or none.
    """
    target = Path(folder)
    _check_folder(target)
    chosen = parse_formats(formats)
    stem = escaped_file_name(path.ticket_id)
    files = {
        f"{stem}.{fmt}": render_flow(flow, fmt, direction, path=path, paper=paper, dpi=dpi)
        for fmt in chosen
    }
    return _write_files(target, files)


__all__ = [
    "ABSENT_MARK",
    "DIRECTIONS",
    "FORMATS",
    "MATRIX_FILE",
    "MIN_TEXT_PT",
    "PAPERS",
    "MatrixBlock",
    "Paper",
    "TicketPath",
    "category_name",
    "check_dot",
    "check_dpi",
    "edge_id",
    "flow_source",
    "handbook",
    "matrix_source",
    "paper_named",
    "parse_formats",
    "path_of",
    "print_scales",
    "render_all",
    "render_flow",
    "render_matrix",
    "resolved_node",
    "write_diagrams",
    "write_ticket_path",
]


def _check_folder(folder: Path) -> None:
    """Refuse, before any drawing, a folder that cannot be created or written."""
    try:
        check_folder(folder)
    except EscflowError as exc:  # render raises RenderError for a bad path too (errors.py)
        raise RenderError(str(exc)) from None


def _write_files(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write the drawn files into ``folder``, every one or none; the paths written."""
    paths = {folder / name: data for name, data in files.items()}
    try:
        write_all(paths, folder)
    except EscflowError as exc:  # its message names the file and says nothing was written
        raise RenderError(str(exc)) from None
    return list(paths)
