"""The training handbook: one self-contained, printable HTML page.

The matrix table first (as the first sheet shows it: :mod:`escflow.io` hands it over as
plain rows), then one section per flow with its flowchart (inline SVG; Graphviz's ``dot``
must be on the PATH, or no page is made) and, level by level, who acts, how long they
have, what they do and what moves the ticket on. Nothing is loaded from elsewhere: the
page works offline and prints one flow per page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from escflow.compile import CompiledFlow, CompiledLevel, CompiledTrigger, Matrix
from escflow.errors import EscflowError, RenderError
from escflow.render._dot import check_dot, run_dot
from escflow.render._flow import flow_source
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
figure.diagram svg { max-width: 100%; height: auto; }
nav ol { columns: 2; }
section.flow { margin-top: 28px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; }
  section.flow { break-before: page; margin-top: 0; }
  tr, li, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def handbook(matrix: Matrix, blocks: Sequence[MatrixBlock]) -> str:
    """The handbook page for ``matrix``; ``blocks`` are its matrix table's rows."""
    _check_renderer()
    doc = matrix.doc
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="escflow">',
        f"<title>{escape(doc.name)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f'<header><h1 dir="auto">{escape(doc.name)}</h1>',
    ]
    if doc.description:
        parts.append(f'<p dir="auto">{escape(doc.description.strip())}</p>')
    parts.append("</header>")
    parts.append(_matrix_tables(matrix, blocks))
    flows = [flow for block in blocks for flow, _ in block.flows]
    parts.append("<nav><h3>Categories</h3><ol>")
    parts += [
        f'<li><a href="#flow-{escape(f.id)}" dir="auto">{escape(f.name)}</a></li>' for f in flows
    ]
    parts.append("</ol></nav>")
    for flow in flows:
        parts.append(_flow_section(matrix, flow))
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


def _draw(flow: CompiledFlow, category: str) -> str:
    """The flow's diagram as inline SVG."""
    try:
        svg = run_dot(flow_source(flow, category=category), "svg")
    except EscflowError as exc:
        raise RenderError(
            f"cannot draw the flowchart of flow '{flow.id}' ({flow.name}): {exc}"
        ) from None
    return _inline_svg(svg.decode("utf-8"), f"f-{flow.id}-")


def _inline_svg(svg: str, prefix: str) -> str:
    """An SVG file's ``<svg>`` element, its ids prefixed so several fit in one page."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    body = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m[1]}"', body)
    body = re.sub(r'(href|xlink:href)="#([^"]+)"', lambda m: f'{m[1]}="#{prefix}{m[2]}"', body)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m[1]})", body)


def _flow_section(matrix: Matrix, flow: CompiledFlow) -> str:
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
    svg = _draw(flow, category)
    out.append(f'<figure class="diagram" data-flow="{escape(flow.id)}">{svg}</figure>')
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
            window = escape(str(level.window))
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
        return f"{what}: <q>{escape(response.message)}</q>"
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
    parts = [escape(trigger.label)]
    parts.append(f'<span class="target" dir="auto">→ {_target(flow, trigger)}</span>')
    if trigger.automatic:
        parts.append('<span class="auto">(automatic when the time is up)</span>')
    if trigger.reason:
        parts.append(
            f'<span class="reason">The customer is told: “{escape(trigger.reason)}”</span>'
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
            f'<tr><th scope="row">{escape(name)}</th><td>{escape(str(target.first_response))}</td>'
            f"<td>{escape(str(target.resolution))}</td><td>{escape(entry)}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


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
