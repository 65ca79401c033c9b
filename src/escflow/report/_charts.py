"""The report's charts as SVG text: the only module that imports matplotlib.

Each chart is drawn on a figure of its own with the non-interactive Agg backend (no
display needed) and returned as an ``<svg>`` element to inline in the HTML report: text
stays text (``svg.fonttype: none``), so the file stays small and prints sharp.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: no window, no display

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from escflow.report._model import LevelStats, Week, share

# How a stay ended, in the order the bars stack, with its colour (colour-blind safe:
# Okabe and Ito's palette).
WAYS = (
    ("resolved", "resolved there", "#009E73"),
    ("trigger", "moved on by a person", "#0072B2"),
    ("timer", "moved on by the timer", "#D55E00"),
    ("skipped", "skipped (nobody on duty)", "#CC79A7"),
    ("open", "still there", "#BBBBBB"),
)
_STYLE: Any = {  # matplotlib types its keys as literals; these are checked by it
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "escflow",  # the same report makes the same file
}


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = out.getvalue()
    return text[text.index("<svg") :]  # inline: no XML declaration, no doctype


def _legend(axes: Any) -> None:
    """The legend above the plot, in one row: never over the bars."""
    axes.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=5,
        fontsize=7,
        frameon=False,
        borderaxespad=0.2,
    )


def funnel(levels: Sequence[LevelStats]) -> str:
    """Tickets entering each level of a flow, each bar split by how the stays ended."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6.3, 0.24 * len(levels) + 0.7))
        labels = [f"{lv.number} {lv.name}" for lv in levels]
        rows = range(len(levels))
        start = [0] * len(levels)
        for way, text, colour in WAYS:
            counts = [
                sum(n for how, n in lv.left.items() if how.split(":")[0] == way) for lv in levels
            ]
            if any(counts):
                axes.barh(rows, counts, left=start, color=colour, label=text, height=0.65)
                start = [a + b for a, b in zip(start, counts, strict=True)]
        for row, total in zip(rows, start, strict=True):
            axes.text(total, row, f" {total}", va="center", fontsize=7)
        axes.set_yticks(list(rows), labels)
        axes.invert_yaxis()  # the first level on top
        axes.set_xlabel("stays that began in the period")
        _legend(axes)
        return _svg(figure)


def dwell(levels: Sequence[LevelStats]) -> str:
    """The median and 90th-percentile dwell of each level of a flow, in hours."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6.3, 0.24 * len(levels) + 0.7))
        labels = [f"{lv.number} {lv.name}" for lv in levels]
        rows = list(range(len(levels)))
        p90 = [(lv.dwell.p90 or 0) / 3600 for lv in levels]
        median = [(lv.dwell.median or 0) / 3600 for lv in levels]
        axes.barh(rows, p90, color="#56B4E9", height=0.65, label="90th percentile")
        axes.barh(rows, median, color="#0072B2", height=0.35, label="median")
        axes.set_yticks(rows, labels)
        axes.invert_yaxis()
        axes.set_xlabel("hours at the level (wall time; the scale grows tenfold past 1 h)")
        if any(p90):
            axes.set_xscale("symlog", linthresh=1)
            axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g} h"))
        _legend(axes)
        return _svg(figure)


def attainment(weeks: Sequence[Week]) -> str:
    """SLA attainment by week, every flow together: first responses and resolutions."""
    by_week: dict[object, list[int]] = {}
    for w in weeks:
        row = by_week.setdefault(w.week, [0, 0, 0, 0])
        row[0] += w.response_met
        row[1] += w.response_judged
        row[2] += w.resolution_met
        row[3] += w.resolution_judged
    ordered = sorted(by_week.items(), key=lambda item: str(item[0]))
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6.3, 2.2))
        labels = [f"{week:%d %b}" for week, _ in ordered]
        for index, name, colour in ((0, "first response", "#0072B2"), (2, "resolution", "#009E73")):
            values = [share(row[index], row[index + 1]) for _, row in ordered]
            points = [(i, v * 100) for i, v in enumerate(values) if v is not None]
            if points:
                axes.plot(*zip(*points, strict=True), marker="o", color=colour, label=name)
        axes.set_xticks(range(len(labels)), labels)
        axes.set_ylim(0, 105)
        axes.set_ylabel("% of targets met")
        axes.set_xlabel("week opened (Monday, UTC)")
        axes.legend(loc="lower left", fontsize=7, frameon=False)
        return _svg(figure)
