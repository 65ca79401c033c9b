"""The report as one self-contained HTML page: its charts inlined as SVG, its style in the
page, nothing fetched (it works offline), laid out to print on A4."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape

from escflow.report import _charts
from escflow.report._model import HistoryReport, LevelStats, share
from escflow.report._text import duration, left_text, percent

_STYLE = """
@page { size: A4; margin: 15mm 14mm; }
* { box-sizing: border-box; }
body { font: 10pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #222; margin: 0 auto;
       max-width: 182mm; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: 5mm 0 1mm; }
p.lead { color: #555; margin: 0 0 3mm; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; margin: 1mm 0 3mm; }
th, td { text-align: left; padding: 0.6mm 1.5mm; border-bottom: 1px solid #ddd;
         vertical-align: top; }
th { background: #f0f0f0; }
td.n, th.n { text-align: right; white-space: nowrap; }
figure { margin: 1mm 0 3mm; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 8pt; color: #555; }
section.flow { break-inside: avoid-page; }
ul.findings li { margin-bottom: 1.2mm; }
ul.breaches { font-size: 8pt; padding-left: 5mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
"""


_SLA_HEAD = (
    "flow",
    "priority",
    "tickets",
    "response",
    "resolution",
    "MTTA",
    "MTTR",
    "FCR",
    "reopened",
    "esc./ticket",
)


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> str:
    def cell(tag: str, i: int, value: object) -> str:
        cls = ' class="n"' if i in numeric else ""
        return f"<{tag}{cls}>{escape(str(value))}</{tag}>"

    header = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _flow_section(flow: str, levels: list[LevelStats]) -> str:
    rows = [
        (
            f"{lv.number} {lv.name}",
            lv.contact,
            lv.entered,
            duration(lv.dwell.median),
            duration(lv.dwell.p90),
            percent(lv.timer_share),
            lv.warnings,
            lv.holds,
            left_text(lv.left),
        )
        for lv in levels
    ]
    return (
        f'<section class="flow"><h3>{escape(flow)}</h3>'
        + _figure(_charts.funnel(levels), f"{flow}: stays at each level, by how they ended")
        + _figure(_charts.dwell(levels), f"{flow}: time at each level, median and 90th percentile")
        + _table(
            (
                "level",
                "contact point",
                "entered",
                "median",
                "p90",
                "timer",
                "warned",
                "held",
                "left by",
            ),
            rows,
            {2, 3, 4, 5, 6, 7},
        )
        + "</section>"
    )


def as_html(report: HistoryReport) -> str:
    """The whole report as an HTML page."""
    since = report.since.isoformat() if report.since else "the first event"
    scope = "".join(
        f", {name} {escape(value)}"
        for name, value in (("flow", report.flow), ("priority", report.priority))
        if value
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>escflow report to {escape(report.until.date().isoformat())}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Escalation history</h1>",
        f"<p class='lead'>{escape(since)} to {escape(report.until.isoformat())}{scope}:"
        f" {report.tickets} tickets opened. Times are wall-clock; weeks begin on Monday"
        " (UTC).</p>",
        "<h2>Findings</h2>",
    ]
    if report.findings:
        parts.append(
            "<ul class='findings'>"
            + "".join(f"<li>{escape(f.text)}</li>" for f in report.findings)
            + "</ul>"
        )
    else:
        parts.append("<p>No rule applies to this period.</p>")
    parts.append("<h2>Service levels</h2>")
    if report.weeks:
        parts.append(_figure(_charts.attainment(report.weeks), "SLA attainment by week"))
    parts.append(
        _table(
            _SLA_HEAD,
            [
                (
                    s.flow,
                    s.priority,
                    s.tickets,
                    f"{percent(s.response_attainment)} ({s.response_met}/{s.response_judged})",
                    f"{percent(s.resolution_attainment)}"
                    f" ({s.resolution_met}/{s.resolution_judged})",
                    duration(s.mtta),
                    duration(s.mttr),
                    percent(s.first_contact_rate),
                    percent(s.reopen_rate),
                    "-" if s.escalations_per_ticket is None else f"{s.escalations_per_ticket:.1f}",
                )
                for s in report.sla
            ],
            {2, 3, 4, 5, 6, 7, 8, 9},
        )
    )
    missed = [
        f"<li><b>{escape(s.flow)} {escape(s.priority)}</b>: "
        + "; ".join(
            f"{escape(target)}: {escape(', '.join(ids))}" for target, ids in s.breaches.items()
        )
        + "</li>"
        for s in report.sla
        if s.breaches
    ]
    if missed:
        parts.append(
            "<h3>Breaches (the first tickets of each, by id)</h3>"
            f"<ul class='breaches'>{''.join(missed)}</ul>"
        )
    parts.append("<h2>Levels</h2>")
    by_flow: dict[str, list[LevelStats]] = defaultdict(list)
    for lv in report.levels:
        by_flow[lv.flow].append(lv)
    if not by_flow:
        parts.append("<p>No tickets in the period.</p>")
    parts += [_flow_section(flow, levels) for flow, levels in by_flow.items()]
    parts.append("<h2>Load by contact point</h2>")
    load: dict[tuple[str, str | None], int] = defaultdict(int)
    for row in report.load:
        load[(row.contact, row.person)] += row.stays
    parts.append(
        _table(
            ("contact point", "person on duty", "stays"),
            [(c, p or "-", n) for (c, p), n in sorted(load.items(), key=lambda i: -i[1])],
            {2},
        )
    )
    parts.append("<h2>Weeks</h2>")
    parts.append(
        _table(
            ("week", "flow", "opened", "FCR", "resolution met", "timer share"),
            [
                (
                    w.week.date().isoformat(),
                    w.flow,
                    w.opened,
                    percent(share(w.first_contact, w.resolved)),
                    percent(share(w.resolution_met, w.resolution_judged)),
                    percent(share(w.timer_exits, w.exits)),
                )
                for w in report.weeks
            ],
            {2, 3, 4, 5},
        )
    )
    parts.append("</body></html>\n")
    return "".join(parts)
