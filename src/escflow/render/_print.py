"""Charts laid out for paper: each fits one page at a legible size, split by levels if need be.

A chart is printed at the largest scale (never above 1) that fits the page's printable
area. If text would then be smaller than :data:`MIN_TEXT_PT`, the chart is split into
parts, each a run of consecutive rungs (a functional team goes with the rung it stands
beside); every edge that leaves a part ends at a mark naming the lane it continues in
and that lane's part. One rung that alone cannot fit is printed scaled down to fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from escflow.compile import CompiledFlow
from escflow.errors import RenderError
from escflow.render._dot import run_dot
from escflow.render._flow import ChartPart, flow_source

MIN_TEXT_PT = 7.0
"""The smallest text a printed chart may carry, in points."""
MARGIN_MM = 12.0
"""The page margin on every side (the handbook's ``@page`` says the same)."""
_PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Paper:
    """A paper size, portrait, in millimetres; charts print on it in landscape."""

    name: str
    css: str  # the name CSS @page size knows it by
    width_mm: float
    height_mm: float

    @property
    def printable_pt(self) -> tuple[float, float]:
        """Width and height inside the margins, landscape, in points."""
        long, short = max(self.width_mm, self.height_mm), min(self.width_mm, self.height_mm)
        return (long - 2 * MARGIN_MM) * _PT_PER_MM, (short - 2 * MARGIN_MM) * _PT_PER_MM


PAPERS = {"A4": Paper("A4", "A4", 210, 297), "letter": Paper("letter", "letter", 215.9, 279.4)}
"""The paper sizes ``--paper`` accepts."""


def paper_named(name: str) -> Paper:
    """The paper called ``name`` (``A4``, ``a4``, ``letter``); RenderError naming the choices."""
    for key, paper in PAPERS.items():
        if key.lower() == name.strip().lower():
            return paper
    raise RenderError(f"unknown paper '{name}'; choose {' or '.join(PAPERS)}")


DPI_RANGE = (36, 1200)
"""The pixels per inch ``--dpi`` accepts for PNG files."""


def check_dpi(dpi: int) -> int:
    """``dpi`` if PNG files can be drawn at it; RenderError saying the range otherwise."""
    low, high = DPI_RANGE
    if not low <= dpi <= high:
        raise RenderError(
            f"--dpi {dpi} is out of range; give {low} to {high} pixels per inch"
            " (96 is the screen's, 300 a printer's)"
        )
    return dpi


def with_page(source: str, paper: Paper | None, dpi: int | None) -> str:
    """DOT ``source`` scaled down to fit ``paper`` (landscape) and drawn at ``dpi``.

    Graph attributes hold for the whole graph wherever they are set, so they are added
    as a last statement; without either, the source is returned as it is.
    """
    attrs = []
    if paper is not None:
        # The drawing inside the printable area, the margins around it: a PDF page (and
        # an SVG canvas) is then at most the paper itself.
        width, height = paper.printable_pt
        attrs.append(f'size="{width / 72:.3f},{height / 72:.3f}" margin="{MARGIN_MM / 25.4:.3f}"')
    if dpi is not None:
        attrs.append(f"dpi={check_dpi(dpi)}")
    if not attrs:
        return source
    end = source.rstrip().rfind("}")
    return f"{source[:end]}\tgraph [{' '.join(attrs)}]\n{source[end:]}"


def print_scale(svg: str, paper: Paper) -> tuple[float, float]:
    """(scale, smallest text in points) of a drawing fitted to ``paper``'s printable area."""
    width, height, smallest = _measure(svg)
    room_w, room_h = paper.printable_pt
    scale = min(1.0, room_w / width, room_h / height)
    return scale, smallest * scale


@dataclass(frozen=True)
class PrintedChart:
    """One chart (a whole flow, or a part of it) drawn as SVG, with its printed scale."""

    svg: str
    width_pt: float
    height_pt: float
    smallest_pt: float  # the smallest text at full size
    scale: float  # the printed size over the drawn size, at most 1
    part: ChartPart | None

    @property
    def printed_text_pt(self) -> float:
        """The smallest text as printed."""
        return self.smallest_pt * self.scale


_SIZE = re.compile(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"')
_FONT = re.compile(r'<text [^>]*font-size="([0-9.]+)"[^>]*>([^<]*)</text>')


def _measure(svg: str) -> tuple[float, float, float]:
    """Width and height in points, and the smallest size of a visible text."""
    size = _SIZE.search(svg)
    if size is None:
        raise RenderError("dot wrote an SVG without a size in points")
    fonts = [float(pt) for pt, text in _FONT.findall(svg) if text.strip()]
    return float(size[1]), float(size[2]), min(fonts, default=MIN_TEXT_PT)


def rungs(flow: CompiledFlow) -> list[tuple[str, ...]]:
    """The lanes in the order a split chart takes them: each level, then the functional
    teams standing beside it, each alone (a part may hold several)."""
    return [
        lane
        for level in flow.ladder
        for lane in (
            (level.id,),
            *((team.id,) for team in flow.teams if team.number == level.number),
        )
    ]


Draw = Callable[[ChartPart | None], str]


def printed_charts(
    flow: CompiledFlow,
    room: Sequence[tuple[float, float]],
    *,
    category: str | None = None,
) -> list[PrintedChart]:
    """The charts that print ``flow``: one if it fits legibly, else one per run of rungs.

    The charts carry no legend: the page that prints them gives it once.
    ``room`` is the space (width, height in points) for the first chart, then for each
    later one (the last entry repeats).
    """

    def draw(part: ChartPart | None) -> str:
        source = flow_source(flow, category=category, part=part, legend=False)
        return run_dot(source, "svg").decode("utf-8")

    whole = _fit(draw(None), None, room[0])
    if whole.printed_text_pt >= MIN_TEXT_PT:
        return [whole]
    groups = _split(flow, draw, room)
    while True:
        charts = _draw_parts(groups, draw, room)
        # The final marks may name more parts than the trial ones did: a part that came
        # out too wide gives its last lane to a part of its own.
        worse = next(
            (
                i
                for i, c in enumerate(charts)
                if c.printed_text_pt < MIN_TEXT_PT and len(groups[i]) > 1
            ),
            None,
        )
        if worse is None:
            return charts
        groups[worse : worse + 1] = [groups[worse][:-1], groups[worse][-1:]]


def _draw_parts(
    groups: list[tuple[str, ...]], draw: Draw, room: Sequence[tuple[float, float]]
) -> list[PrintedChart]:
    parts = {lane: number for number, group in enumerate(groups, 1) for lane in group}
    charts = []
    for number in range(1, len(groups) + 1):
        part = ChartPart(number, len(groups), parts)
        charts.append(_fit(draw(part), part, room[min(number - 1, len(room) - 1)]))
    return charts


def _fit(svg: str, part: ChartPart | None, room: tuple[float, float]) -> PrintedChart:
    width, height, smallest = _measure(svg)
    scale = min(1.0, room[0] / width, room[1] / height)
    return PrintedChart(svg, width, height, smallest, scale, part)


def _split(
    flow: CompiledFlow, draw: Draw, room: Sequence[tuple[float, float]]
) -> list[tuple[str, ...]]:
    """Runs of consecutive rungs, each as long as still prints legibly (at least one)."""
    by_rung = rungs(flow)
    groups: list[tuple[str, ...]] = []
    start = 0
    while start < len(by_rung):
        end = start + 1
        space = room[min(len(groups), len(room) - 1)]
        number = len(groups) + 1
        while end < len(by_rung):
            trial = tuple(lane for rung in by_rung[start : end + 1] for lane in rung)
            # The parts so far as they are, this one on trial, the rest as one more part.
            parts = {lane: n for n, group in enumerate(groups, 1) for lane in group}
            parts.update(dict.fromkeys(trial, number))
            parts.update({lane: number + 1 for rung in by_rung[end + 1 :] for lane in rung})
            chart = _fit(draw(ChartPart(number, number + 1, parts)), None, space)
            if chart.printed_text_pt < MIN_TEXT_PT:
                break
            end += 1
        groups.append(tuple(lane for rung in by_rung[start:end] for lane in rung))
        start = end
    return groups
