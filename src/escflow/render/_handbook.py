"""The training handbook: one self-contained, printable HTML page.

The matrix table first (as the first sheet shows it: :mod:`escflow.io` hands it over as
plain rows), then one section per flow with its flowchart (inline SVG; Graphviz's ``dot``
must be on the PATH, or no page is made) and, level by level, who acts, how long they
have, what they do and what moves the ticket on. Nothing is loaded from elsewhere: the
page works offline and prints one flow per page.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape

from escflow.compile import CompiledFlow, CompiledLevel, CompiledTrigger, Matrix
from escflow.errors import EscflowError, RenderError
from escflow.render._dot import check_dot, run_dot
from escflow.render._flow import legend_source
from escflow.render._print import MARGIN_MM, PAPERS, Paper, PrintedChart, printed_charts
from escflow.spec._models import (
    CUSTOMER,
    RESOLVED,
    HandlerAction,
    NotifyAction,
    Response,
    WebhookAction,
)

ABSENT_MARK = "—"
"""The text of a matrix cell whose flow has no such level."""


@dataclass(frozen=True)
class MatrixBlock:
    """One block of the matrix table, as the matrix sheet shows it.

    ``header``, ``contacts`` and ``timelines`` are the block's first three rows, each
    starting with its row title; ``flows`` are the block's categories, each with its
    cells (after the title) as text, :data:`ABSENT_MARK` where the flow has no such level.
    """

    header: tuple[str, ...]
    contacts: tuple[str, ...]
    timelines: tuple[str, ...]
    flows: tuple[tuple[CompiledFlow, tuple[str, ...]], ...]


def level_label(number: int) -> str:
    """The name of a rung in the handbook's tables: ``Level 2``."""
    return f"Level {number}"


_RTL = frozenset({"ar", "fa", "he", "ur", "ps", "yi"})
_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, "Segoe UI", "Noto Sans", sans-serif; font-size: 10.5pt;
       color: #1a1a1a; margin: 24px; line-height: 1.35; }
h1 { font-size: 20pt; margin: 0 0 4px; }
h2 { font-size: 15pt; margin: 0 0 4px; }
h3 { font-size: 11.5pt; margin: 18px 0 6px; }
p.meta { color: #555; margin: 0 0 10px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; }
th, td { border: 1px solid #9a9a9a; padding: 4px 6px; vertical-align: top; text-align: start; }
thead th, th[scope=row] { background: #eef1f5; }
td.absent { color: #888; text-align: center; }
ul { margin: 0; padding-inline-start: 16px; }
li { margin: 1px 0; }
.auto { color: #8a4b00; }
.reason { color: #555; font-style: italic; }
.target { color: #205493; white-space: nowrap; }
figure.diagram { margin: 8px 0 12px; text-align: center; }
figure.diagram figcaption { font-size: 10pt; color: #444; margin: 0 0 4px; text-align: start; }
/* A chart is drawn left to right whatever the page's direction: inheriting dir="rtl"
   would move its titles and labels out of their boxes. */
figure.diagram svg { max-width: 100%; height: auto; direction: ltr; unicode-bidi: isolate; }
.ltr { direction: ltr; unicode-bidi: isolate; }
.window { white-space: nowrap; }
nav ol { columns: 2; }
section.flow { margin-top: 28px; }
section.legend figure { text-align: start; }
@page { size: PAPER landscape; margin: MARGINmm; }
@media print {
  body { margin: 0; }
  section.flow { break-before: page; margin-top: 0; }
  div.contents { break-before: page; break-inside: avoid; }
  figure.diagram + figure.diagram { break-before: page; }
  tr, li, figure { break-inside: avoid; }
  figure.diagram svg { max-width: none; }
  a { color: inherit; text-decoration: none; }
}
"""
# Room for a chart on its page, in points, below what else the page holds: the flow's
# heading, category line and description on the first; a caption on the others.
_HEADING_PT = 130.0
_CAPTION_PT = 40.0


def handbook(matrix: Matrix, blocks: Sequence[MatrixBlock], paper: Paper = PAPERS["A4"]) -> str:
    """The handbook page for ``matrix``; ``blocks`` are its matrix table's rows.

    It prints on ``paper`` in landscape: each chart on one page, split by levels where
    a whole chart would print with text under 7 pt (see :mod:`escflow.render._print`).
    """
    _check_renderer()
    doc = matrix.doc
    css = _CSS.replace("PAPER", paper.css).replace("MARGIN", f"{MARGIN_MM:g}")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="escflow">',
        f"<title>{escape(doc.name)}</title>",
        f"<style>{css}</style>",
        "</head>",
        "<body>",
        f'<header><h1 dir="auto">{escape(doc.name)}</h1>',
    ]
    if doc.description:
        parts.append(f'<p dir="auto">{escape(doc.description.strip())}</p>')
    parts.append("</header>")
    parts.append(_matrix_tables(matrix, blocks))
    flows = [flow for block in blocks for flow, _ in block.flows]
    # The categories and the key to the charts start a page together, so that the key is
    # never printed alone (or its heading left at the foot of the tables' last page).
    parts.append('<div class="contents"><nav><h3>Categories</h3><ol>')
    parts += [
        f'<li><a href="#flow-{escape(f.id)}" dir="auto">{escape(f.name)}</a></li>' for f in flows
    ]
    parts.append("</ol></nav>")
    parts.append(_legend())
    parts.append("</div>")
    # Each flow's charts take several dot runs: threads run them side by side, and
    # map() keeps the sections in the flows' order.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        parts += pool.map(lambda flow: _flow_section(matrix, flow, paper), flows)
    parts.append(_contacts(matrix))
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# --- the matrix table -------------------------------------------------------------------


def _matrix_tables(matrix: Matrix, blocks: Sequence[MatrixBlock]) -> str:
    out = ["<section><h2>Escalation matrix</h2>"]
    for block in blocks:
        out.append('<table class="matrix"><thead><tr>')
        out += [f"<th>{escape(v)}</th>" for v in block.header]
        out.append("</tr></thead><tbody>")
        for cells in (block.contacts, block.timelines):
            out.append(f'<tr><th scope="row">{escape(cells[0])}</th>')
            out += [f'<td dir="auto">{escape(v)}</td>' for v in cells[1:]]
            out.append("</tr>")
        for flow, values in block.flows:
            issue = matrix.doc.issue_types.get(flow.issue_type)
            title = f' title="{escape(issue.name)}"' if issue else ""
            out.append(
                f'<tr><th scope="row"{title}><a href="#flow-{escape(flow.id)}" dir="auto">'
                f"{escape(flow.name)}</a></th>"
            )
            for value in values:
                absent = value == ABSENT_MARK
                out.append('<td class="absent">—</td>' if absent else "<td></td>")
            out.append("</tr>")
        out.append("</tbody></table>")
    out.append("</section>")
    return "\n".join(out)


# --- one flow ----------------------------------------------------------------------------


def _check_renderer() -> None:
    """A handbook is for training with the flowcharts, so one that cannot be drawn is an
    error (naming the flow), never a page with a placeholder; the ``.md`` export gives
    the tables alone."""
    try:
        check_dot()
    except EscflowError as exc:
        raise RenderError(
            f"the handbook's flowcharts need Graphviz: {exc}; or export to .md for the tables alone"
        ) from None


def _charts(flow: CompiledFlow, category: str, paper: Paper) -> list[PrintedChart]:
    """The flow's charts as they print on ``paper``."""
    width, height = paper.printable_pt
    room = [(width, height - _HEADING_PT), (width, height - _CAPTION_PT)]
    try:
        return printed_charts(flow, room, category=category)
    except EscflowError as exc:
        raise RenderError(
            f"cannot draw the flowchart of flow '{flow.id}' ({flow.name}): {exc}"
        ) from None


def _figure(flow: CompiledFlow, chart: PrintedChart) -> str:
    """One chart as a figure, sized in points to print at its scale."""
    svg = _inline_svg(chart.svg, f"f-{flow.id}-{chart.part.number if chart.part else 0}-")
    width, height = chart.width_pt * chart.scale, chart.height_pt * chart.scale
    svg = svg.replace("<svg ", f'<svg style="width: {width:.1f}pt; height: {height:.1f}pt" ', 1)
    caption, part = "", ""
    if chart.part is not None:
        part = f' data-part="{chart.part.number}"'
        levels = [lv for lv in flow.levels if lv.id in chart.part.levels]
        names = ", ".join(
            f"team {lv.name}" if lv.team else level_label(lv.number).lower() for lv in levels
        )
        caption = (
            f'<figcaption lang="en" dir="ltr">Part {chart.part.number} of {chart.part.count}'
            f" ({escape(names)}); dashed boxes show where the ticket goes on in another"
            " part.</figcaption>"
        )
    return (
        f'<figure class="diagram" data-flow="{escape(flow.id)}"{part} dir="ltr">'
        f"{caption}{svg}</figure>"
    )


def _legend() -> str:
    """The key to every chart, given once (the charts leave it out to keep their room)."""
    svg = run_dot(legend_source(), "svg").decode("utf-8")
    return (
        '<section class="legend" lang="en"><h3>How to read the flowcharts</h3>'
        f'<figure class="key" dir="ltr">{_inline_svg(svg, "key-")}</figure></section>'
    )


def _inline_svg(svg: str, prefix: str) -> str:
    """An SVG file's ``<svg>`` element, its ids prefixed so several fit in one page."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m[1]}"', body)
    body = re.sub(r'(href|xlink:href)="#([^"]+)"', lambda m: f'{m[1]}="#{prefix}{m[2]}"', body)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m[1]})", body)


def _flow_section(matrix: Matrix, flow: CompiledFlow, paper: Paper) -> str:
    issue = matrix.doc.issue_types.get(flow.issue_type)
    category = issue.name if issue else flow.issue_type
    language = flow.language.split("-")[0]
    direction = "rtl" if language in _RTL else "ltr"
    out = [
        f'<section class="flow" id="flow-{escape(flow.id)}" lang="{escape(flow.language)}"'
        f' dir="{direction}">',
        f"<h2>{escape(flow.name)}</h2>",
        f'<p class="meta" dir="ltr" lang="en">{escape(category)} · <code>{escape(flow.id)}'
        f"</code> · language: {escape(flow.language)}</p>",
    ]
    if flow.description:
        out.append(f"<p>{escape(flow.description.strip())}</p>")
    out += [_figure(flow, chart) for chart in _charts(flow, category, paper)]
    out.append(_levels_table(flow))
    out.append(_sla_table(matrix, flow))
    out.append("</section>")
    return "\n".join(part for part in out if part)


def _levels_table(flow: CompiledFlow) -> str:
    out = [
        '<table class="levels"><thead><tr lang="en"><th>Level</th><th>Contact point</th>'
        "<th>Timeline</th><th>Responses</th><th>Triggers</th></tr></thead><tbody>"
    ]
    for level in (*flow.ladder, *flow.teams):
        for position, step_id in enumerate(level.steps):
            step = flow.steps[step_id]
            title = (
                f"{escape(level_label(level.number))}"
                if not level.team
                else f"Team beside {escape(level_label(level.number))}"
            )
            if len(level.steps) > 1:
                title += f"<br><small>step {position + 1}: {escape(step.name)}</small>"
            contact = f"{escape(level.name)}" + (
                f"<br><small>{escape(level.contact.name)}</small>"
                if level.name != level.contact.name
                else ""
            )
            # Isolated: inside a right-to-left page "15-30 minutes" would read "minutes 15-30".
            window = f'<span class="ltr window" dir="ltr">{escape(str(level.window))}</span>'
            if level.repeat:
                window += f"<br><small>repeated {level.repeat}×</small>"
            responses = "".join(f"<li>{_response(flow, r)}</li>" for r in step.responses)
            triggers = "".join(f"<li>{_trigger(flow, t)}</li>" for t in step.triggers)
            out.append(
                f'<tr><th scope="row">{title}</th><td>{contact}</td><td>{window}</td>'
                f"<td><ul>{responses}</ul></td><td><ul>{triggers}</ul></td></tr>"
            )
    out.append("</tbody></table>")
    return "\n".join(out)


def _who(flow: CompiledFlow, key: str) -> str:
    if key == CUSTOMER:
        return "the customer"
    for level in flow.levels:
        if level.contact_id == key:
            return level.contact.name
    return key


def _response(flow: CompiledFlow, response: Response) -> str:
    if isinstance(response, str):
        return escape(response)
    if isinstance(response, NotifyAction):
        what = (
            escape(response.label)
            if response.label
            else f"Notify {escape(_who(flow, response.notify))}"
        )
        # Each part isolated, so a right-to-left message and the English around it
        # keep their own order.
        return f'<bdi>{what}</bdi>: <q dir="auto">{escape(response.message)}</q>'
    if isinstance(response, WebhookAction):
        return (
            escape(response.label or "Call a webhook")
            + f" <small>({escape(response.webhook)})</small>"
        )
    assert isinstance(response, HandlerAction)
    return escape(response.label or response.handler)


def _target(flow: CompiledFlow, trigger: CompiledTrigger) -> str:
    if trigger.target == RESOLVED:
        return "resolved"
    level: CompiledLevel = flow.level_of(trigger.target)
    step = flow.steps[trigger.target]
    name = level.name if not level.team else f"{level.name} (team)"
    if len(level.steps) > 1 and step.id != level.entry:
        name += f": {step.name}"
    label = level_label(level.number) if not level.team else ""
    return f"{escape(label)} {escape(name)}".strip()


def _trigger(flow: CompiledFlow, trigger: CompiledTrigger) -> str:
    parts = [f"<bdi>{escape(trigger.label)}</bdi>"]
    parts.append(f'<span class="target" dir="auto">→ {_target(flow, trigger)}</span>')
    if trigger.automatic:
        parts.append(
            '<span class="auto" dir="ltr" lang="en">(automatic when the time is up)</span>'
        )
    if trigger.reason:
        parts.append(
            '<span class="reason" dir="ltr" lang="en">The customer is told:'
            f" “<bdi>{escape(trigger.reason)}</bdi>”</span>"
        )
    return " ".join(parts)


def _sla_table(matrix: Matrix, flow: CompiledFlow) -> str:
    if not flow.sla:
        return ""
    out = [
        '<h3 lang="en">Service level targets</h3><table class="sla" lang="en"><thead><tr>'
        "<th>Priority</th><th>First response</th><th>Resolution</th><th>Starts at</th>"
        "</tr></thead><tbody>"
    ]
    for key, target in flow.sla.items():
        priority = flow.priorities.get(key)
        name = priority.name if priority else key
        entry = flow.level(priority.entry_level).name if priority else ""
        out.append(
            f'<tr><th scope="row">{escape(name)}</th><td>{_ltr(str(target.first_response))}</td>'
            f"<td>{_ltr(str(target.resolution))}</td><td>{escape(entry)}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _ltr(text: str) -> str:
    """English text (a duration) kept in its order inside a right-to-left page."""
    return f'<span class="ltr" dir="ltr">{escape(text)}</span>'


def _contacts(matrix: Matrix) -> str:
    out = [
        '<section class="contacts"><h2>Contact points</h2><table><thead><tr><th>Contact point'
        "</th><th>Kind</th><th>How to reach</th><th>Members</th></tr></thead><tbody>"
    ]
    for contact in matrix.doc.contacts.values():
        channels = contact.channels.model_dump(exclude_none=True)
        reach = "<br>".join(f"{escape(k)}: {escape(str(v))}" for k, v in channels.items())
        out.append(
            f'<tr><th scope="row" dir="auto">{escape(contact.name)}</th><td>{contact.kind}</td>'
            f'<td>{reach}</td><td dir="auto">{escape(", ".join(contact.members))}</td></tr>'
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)
