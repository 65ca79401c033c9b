"""One flow as a training flowchart, in DOT.

Layout choices, each made for a trainer reading a printed page:

- every level (and every functional team) is a cluster, a swimlane whose title says
  who owns it and how long they have; teams are tinted orange with a dashed border,
  and left where their edges place them (just below the rung they stand beside), since
  pinning them level with it bent the functional edge over the lane titles;
- priorities enter by an arrow inside the lane they start in, beside the step;
- a step is one node listing its responses; automated actions sit on a tinted row with
  an ``AUTO`` tag so they are not mistaken for checklist lines;
- each trigger is one edge; its colour says where it goes (up the ladder, to another
  team, back, resolved) and a dashed line says a timer fires it;
- resolution gets a small "Resolved" terminal beside each step instead of one shared
  node, so green edges do not run the length of the chart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import graphviz

from escflow._i18n import Words, pgettext_noop, words
from escflow.compile import (
    CompiledFlow,
    CompiledLevel,
    CompiledStep,
    CompiledTrigger,
    EffectivePriority,
    TriggerKind,
)
from escflow.errors import RenderError
from escflow.render._path import TicketPath, stamp
from escflow.render._text import (
    ACTION_FILL,
    BADGE_FILL,
    BADGE_INK,
    FONT,
    FUNCTIONAL,
    HIERARCHICAL,
    INK,
    LANE_FILLS,
    LOOP,
    MUTED,
    PATH,
    PATH_FILL,
    RESOLUTION,
    RESOLVED_FILL,
    STEP,
    TEAM_FILL,
    duration_text,
    escape,
    factor_text,
    right_to_left,
    tooltip,
    window_text,
    wrapped,
)
from escflow.spec import HandlerAction, NotifyAction, Response, WebhookAction

DIRECTIONS = ("TB", "LR")
# A contact point's kind, as a lane's title says it.
_KINDS = {"person": pgettext_noop("chart", "person"), "team": pgettext_noop("chart", "team")}
RESPONSE_WIDTH = 40  # columns per response line: about 7 cm at 10 pt
MESSAGE_LENGTH = 90  # a notify message is shown in full up to about three lines, then cut
TITLE_WIDTH = 24  # columns per line of a lane title (13 pt), beside the lane's first step
EDGE_WIDTH = 24  # edge labels stay narrow so parallel triggers do not collide
_KIND_COLOUR = {
    "hierarchical": HIERARCHICAL,
    "functional": FUNCTIONAL,
    "resolution": RESOLUTION,
    "loop": LOOP,
    "step": STEP,
}


def drawn_kind(flow: CompiledFlow, trigger: CompiledTrigger) -> TriggerKind:
    """The kind the chart draws a trigger as, so its colour says what the legend says.

    The runner's kinds are about routing: any move to a level that is not the next one
    is ``functional``. On the chart a move to a team is orange (the skill), a move to a
    higher rung is blue (up the ladder, a jump such as level 1 to level 3 included), and
    a move from a team back to the rung it stands beside, or lower, is a purple loop.
    """
    if trigger.kind != "functional":
        return trigger.kind
    target = flow.level_of(trigger.target)
    if target.team:
        return "functional"
    return "hierarchical" if target.number > flow.level_of(trigger.source).number else "loop"


def resolved_node(step_id: str) -> str:
    """The name of a step's "Resolved" terminal (a dot keeps it apart from step ids)."""
    return f"resolved.{step_id}"


def edge_id(trigger: CompiledTrigger) -> str:
    """A trigger edge's id in the DOT and the SVG: ``trigger.<source step>.<trigger id>``."""
    return f"trigger.{trigger.source}.{trigger.id}"


@dataclass
class _Taken:
    """A ticket path checked against the flow and indexed for drawing."""

    visits: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    moves: dict[tuple[str, str], list[datetime]] = field(default_factory=lambda: defaultdict(list))
    current: str | None = None
    ticket_id: str = ""
    timezone: str = "UTC"


@dataclass(frozen=True)
class ChartPart:
    """Some lanes of a flow, drawn as one of the charts a long flow is split into.

    ``parts`` maps every lane (level or team id) to the number of the part that draws
    it, so an edge that leaves this part can say where it continues.
    """

    number: int
    count: int
    parts: Mapping[str, int]

    @property
    def levels(self) -> frozenset[str]:
        """The ids of the lanes this part draws."""
        return frozenset(lane for lane, number in self.parts.items() if number == self.number)


def _index_path(flow: CompiledFlow, path: TicketPath) -> _Taken:
    taken = _Taken(current=path.current, ticket_id=path.ticket_id, timezone=flow.timezone)
    where = f"ticket {path.ticket_id} on flow '{flow.id}'"
    for step_id, at in path.visits:
        if step_id not in flow.steps:
            raise RenderError(f"{where}: visited step '{step_id}' is not in the flow")
        taken.visits[step_id].append(at)
    for source, trigger_id, target, at in path.moves:
        if source not in flow.steps:
            raise RenderError(f"{where}: move from unknown step '{source}'")
        trigger = next((t for t in flow.steps[source].triggers if t.id == trigger_id), None)
        if trigger is None:
            raise RenderError(f"{where}: step '{source}' has no trigger '{trigger_id}'")
        if trigger.target != target:
            raise RenderError(
                f"{where}: trigger '{trigger_id}' from '{source}' goes to"
                f" '{trigger.target}', not '{target}'"
            )
        taken.moves[source, trigger_id].append(at)
    if path.current is not None and path.current not in flow.steps:
        raise RenderError(f"{where}: current step '{path.current}' is not in the flow")
    return taken


def _contact_names(flow: CompiledFlow) -> dict[str, str]:
    return {contact_id: contact.name for contact_id, contact in flow.contacts.items()}


def _shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + " …"


def _response_row(response: Response, names: dict[str, str], said: Words) -> str:
    if isinstance(response, str):
        # Right-to-left lines start at the right, where their reader starts.
        side = "right" if right_to_left(response) else "left"
        line = wrapped(response, RESPONSE_WIDTH, side)
        return f'<tr><td align="{side}" balign="{side}">• {line}</td></tr>'
    if isinstance(response, NotifyAction):
        customer = said.pgettext("chart", "the customer")
        who = customer if response.notify == "customer" else names.get(response.notify)
        head = said.pgettext("chart", "notify {who}", who=who or response.notify)
        body = response.label or f"“{_shorten(response.message, MESSAGE_LENGTH)}”"
    elif isinstance(response, WebhookAction):
        head, body = said.pgettext("chart", "webhook"), response.label or response.webhook
    elif isinstance(response, HandlerAction):
        # A trainer needs what happens, not the handler's programming name.
        run = said.pgettext("chart", "run {handler}", handler=response.handler)
        head, body = response.label or run, ""
    text = f"{head}: {body}" if body else head
    # A no-break space: SVG drops an ordinary space at the edge of a text run.
    auto = said.pgettext("chart", "AUTO")
    tag = f'<font color="{HIERARCHICAL}" point-size="10"><b>{auto}</b></font>&#160;'
    return (
        f'<tr><td align="left" balign="left" bgcolor="{ACTION_FILL}">'
        f"{tag}{wrapped(text, RESPONSE_WIDTH - 5, 'left')}</td></tr>"
    )


def _step_label(
    step: CompiledStep,
    level: CompiledLevel,
    names: dict[str, str],
    taken: _Taken | None,
    said: Words,
) -> str:
    rows: list[str] = []
    if len(level.steps) > 1:
        rows.append(f"<tr><td><b>{wrapped(step.name, RESPONSE_WIDTH)}</b></td></tr>")
    rows.extend(_response_row(r, names, said) for r in step.responses)
    if not rows:
        none = said.pgettext("chart", "no listed responses")
        rows.append(f'<tr><td><font color="{MUTED}"><i>{none}</i></font></td></tr>')
    if taken is not None:
        rows.extend(
            f'<tr><td bgcolor="{PATH_FILL}"><font color="{PATH}"><b>'
            f"{_entered(said, at, taken.timezone)}</b></font></td></tr>"
            for at in taken.visits.get(step.id, ())
        )
    body = "".join(rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="2">{body}</table>>'


def _entered(said: Words, at: datetime, zone: str) -> str:
    return said.pgettext("chart", "entered {at}", at=stamp(at, zone))


def _taken(said: Words, at: datetime, zone: str) -> str:
    return said.pgettext("chart", "taken {at}", at=stamp(at, zone))


def _lane_name(level: CompiledLevel, said: Words) -> str:
    """A lane as its title and the continuation marks name it (escaped by ``wrapped``)."""
    if level.team:
        team = said.pgettext("chart", "Functional team")
        return f"{team} · {level.name}"
    number = said.pgettext("chart", "Level {number}", number=level.number)
    return f"{number} · {level.name}"


def _level_title(flow: CompiledFlow, level: CompiledLevel) -> str:
    said = words(flow.language)
    kind = said.pgettext("chart", _KINDS[level.contact.kind])
    window = said.pgettext("chart", "window {window}", window=window_text(level.window, said))
    head, sub = _lane_name(level, said), f"{kind} · {window}"
    if level.team:
        beside = next((lv for lv in flow.ladder if lv.number == level.number), None)
        if beside:
            sub += " · " + said.pgettext("chart", "beside level {number}", number=beside.number)
    if level.repeat:
        sub += " · " + said.pgettext("chart", "repeats {count}x", count=level.repeat)
    # Narrow, as the title stands beside the lane's first step.
    return (
        f'<<font point-size="13"><b>{wrapped(head, TITLE_WIDTH, "left")}</b></font>'
        f'<font point-size="10">{wrapped(sub, TITLE_WIDTH + 6, "left")}</font>>'
    )


def _edge_label(flow: CompiledFlow, trigger: CompiledTrigger, taken: _Taken | None) -> str:
    said = words(flow.language)
    colour = _KIND_COLOUR[drawn_kind(flow, trigger)]
    lines: list[str] = []
    if not (trigger.automatic and trigger.implicit):
        lines.append(wrapped(trigger.label, EDGE_WIDTH))
    if trigger.automatic:
        level = flow.level_of(trigger.source)
        timer = said.pgettext("chart", "timer")
        if level.window.max is not None:
            after = duration_text(level.window.max, said)
            timer = said.pgettext("chart", "after {duration}", duration=after)
        if level.repeat:
            timer += ", " + said.pgettext("chart", "repeats {count}x", count=level.repeat)
        lines.append(f"<i>{escape(timer)}</i>")
    if taken is not None:
        lines.extend(
            f'<font color="{PATH}"><b>{_taken(said, at, taken.timezone)}</b></font>'
            for at in taken.moves.get((trigger.source, trigger.id), ())
        )
    return f'<<font color="{colour}">{"<br/>".join(lines)}</font>>'


def _edge_attrs(
    flow: CompiledFlow, trigger: CompiledTrigger, taken: _Taken | None
) -> dict[str, str]:
    kind = drawn_kind(flow, trigger)
    attrs = {
        "id": edge_id(trigger),
        "color": _KIND_COLOUR[kind],
        "penwidth": "2.4" if kind == "functional" else "1.3",
    }
    if trigger.automatic:
        attrs["style"] = "dashed"
    if trigger.kind == "resolution":
        attrs["arrowhead"] = "dot"
    if taken is not None and (trigger.source, trigger.id) in taken.moves:
        attrs.update(color=PATH, penwidth="3.5")
    text = f"{trigger.id}: {trigger.label}"
    if trigger.reason:
        said = words(flow.language)
        told = said.pgettext("chart", "the customer is told: {reason}", reason=trigger.reason)
        text += f" ({told})"
    attrs["tooltip"] = tooltip(text)
    return attrs


def _title(
    flow: CompiledFlow, category: str | None, taken: _Taken | None, part: ChartPart | None
) -> str:
    said = words(flow.language)
    named = said.pgettext("chart", "flow {id}", id=escape(flow.id))
    version = said.pgettext("chart", "version {digest}", digest=flow.digest[:12])
    sub = f"{escape(category or flow.issue_type_name)} · {named} · {version}"
    if part is not None:
        shown = said.pgettext(
            "chart", "part {number} of {count}", number=part.number, count=part.count
        )
        sub += f"<br/><b>{shown}</b>"
    if taken is not None:
        path = said.pgettext("chart", "Path of ticket {ticket}", ticket=escape(taken.ticket_id))
        sub += f'<br/><font color="{PATH}"><b>{path}</b></font>'
    return (
        f'<<font point-size="18"><b>{wrapped(flow.name, 70)}</b></font><br/>'
        f'<font point-size="11" color="{MUTED}">{sub}</font><br/> >'
    )


def _legend(path: str | None, said: Words) -> str:
    """The key to the colours; ``path`` is the time zone of a ticket's path, if drawn."""

    def line(colour: str, dash: bool, text: str) -> str:
        stroke = "╌╌╌▶" if dash else "━━━▶"
        return (
            f'<tr><td align="left"><font color="{colour}"><b>{stroke}</b></font></td>'
            f'<td align="left">{text}</td></tr>'
        )

    title = said.pgettext("chart", "Legend")
    auto = said.pgettext("chart", "AUTO")
    automated = said.pgettext("chart", "automated action (notify, webhook, handler)")
    checklist = said.pgettext("chart", "checklist line for the person")
    beside = said.pgettext("chart", "functional team beside the ladder")
    windows = said.pgettext("chart", "windows: act by the first time, escalates at the second")
    rows = [
        f'<tr><td colspan="2" align="left"><b>{title}</b></td></tr>',
        line(HIERARCHICAL, False, said.pgettext("chart", "up the ladder (hierarchical)")),
        line(
            FUNCTIONAL,
            False,
            said.pgettext("chart", "to a team with the skill (functional), bold"),
        ),
        line(LOOP, False, said.pgettext("chart", "back to an earlier step (loop)")),
        line(RESOLUTION, False, said.pgettext("chart", "ticket resolved")),
        line(
            HIERARCHICAL,
            True,
            said.pgettext("chart", "automatic: the timer fires at the window's end"),
        ),
        f'<tr><td align="left" bgcolor="{ACTION_FILL}"><font point-size="9"'
        f' color="{HIERARCHICAL}"><b>{auto}</b></font></td>'
        f'<td align="left">{automated}</td></tr>',
        f'<tr><td align="left">•</td><td align="left">{checklist}</td></tr>',
        f'<tr><td align="left" bgcolor="{TEAM_FILL}">  </td><td align="left">{beside}</td></tr>',
        f'<tr><td colspan="2" align="left">{windows}</td></tr>',
    ]
    if path is not None:
        times = said.pgettext("chart", "the ticket's path, times in {zone}", zone=escape(path))
        rows.insert(6, line(PATH, False, times))
    return (
        '<<table border="1" color="#b0b8c4" cellborder="0" cellspacing="0" cellpadding="2">'
        f"{''.join(rows)}</table>>"
    )


def legend_source(language: str = "en") -> str:
    """The legend alone as DOT, for a page that gives it once for all its charts."""
    graph: Any = graphviz.Digraph(name="legend")
    graph.attr("graph", fontname=FONT, fontcolor=INK, pad="0.1")
    graph.node(
        "legend.",
        label=_legend(None, words(language)),
        shape="plain",
        fontname=FONT,
        fontsize="9",
        id="legend",
    )
    text: str = graph.source
    return text


def _priority_line(flow: CompiledFlow, priority: EffectivePriority) -> str:
    """A priority's name and the windows it gives, as the runner applies them.

    A window the flow writes out for this priority is shown as written, one level a
    line; the factor is shown for the levels it still scales (``other levels`` once some
    windows are written out).
    """
    said = words(flow.language)
    written = [
        said.pgettext(
            "chart",
            "level {number}: {window}",
            number=level.number,
            window=window_text(priority.window(level)[0], said),
        )
        for level in flow.levels
        if level.id in priority.windows
    ]
    scaled = priority.factor != 1 and any(lv.id not in priority.windows for lv in flow.levels)
    factor = factor_text(priority.factor, said)
    windows = said.pgettext("chart", "windows")
    if not written:
        return escape(f"{priority.name} · {windows} {factor}" if scaled else priority.name)
    others = said.pgettext("chart", "other levels {factor}", factor=factor)
    lines = [*written, others] if scaled else written
    detail = "".join(f'<br/><font point-size="10">{escape(line)}</font>' for line in lines)
    return f"{escape(priority.name)} · {windows}{detail}"


def _entries(flow: CompiledFlow) -> dict[str, list[str]]:
    """Entry level id -> the lines naming the priorities that start there."""
    groups: dict[str, list[str]] = {}
    for priority in sorted(flow.priorities.values(), key=lambda p: p.rank):
        groups.setdefault(priority.entry_level, []).append(_priority_line(flow, priority))
    return groups or {flow.ladder[0].id: []}


def flow_source(
    flow: CompiledFlow,
    direction: str = "TB",
    path: TicketPath | None = None,
    *,
    category: str | None = None,
    part: ChartPart | None = None,
    legend: bool = True,
) -> str:
    """The flowchart of ``flow`` as DOT text, deterministic for a given flow.

    ``direction`` is ``TB`` (levels top to bottom) or ``LR`` (left to right);
    ``path`` highlights the steps and triggers a ticket took, stamped with their times
    in the flow calendar's zone (with the offset), and marks where it is now;
    ``category`` is the issue type's display name (the matrix knows it; the compiled
    flow only has its id); ``part`` draws only some lanes, for a chart split across
    pages (edges to the other lanes end at marks naming them and their part);
    ``legend=False`` leaves the key out, for a page that gives it once for every chart.
    """
    if direction not in DIRECTIONS:
        raise RenderError(f"unknown direction '{direction}'; choose TB or LR")
    taken = _index_path(flow, path) if path is not None else None
    shown = part.levels if part is not None else frozenset(lv.id for lv in flow.levels)
    graph: Any = graphviz.Digraph(name=flow.id)
    graph.attr(
        "graph",
        rankdir=direction,
        newrank="true",  # rank=same inside lanes, and the legend level with the last one
        compound="true",
        fontname=FONT,
        fontcolor=INK,
        label=_title(flow, category, taken, part),
        labelloc="t",
        nodesep="0.25",
        ranksep="0.3",
        pad="0.3",
        outputorder="edgesfirst",  # labels and nodes are drawn over edges, never under
    )
    graph.attr("node", fontname=FONT, fontsize="10", fontcolor=INK)
    graph.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.8")

    _add_lanes(graph, flow, shown, taken)
    _add_edges(graph, flow, shown, taken, part)

    # The legend sits beside the last level, where the ladder leaves the page empty.
    last = flow.ladder[-1]
    if legend and last.id in shown:
        graph.node(
            "legend.",
            label=_legend(taken.timezone if taken is not None else None, words(flow.language)),
            shape="plain",
            fontsize="9",
            id="legend",
        )
        with graph.subgraph() as row:
            row.attr(rank="same")
            row.node(last.entry)
            row.node("legend.")
    text: str = graph.source
    return text


def _add_lanes(graph: Any, flow: CompiledFlow, shown: frozenset[str], taken: _Taken | None) -> None:
    names = _contact_names(flow)
    said = words(flow.language)
    entries = _entries(flow)
    first = flow.ladder[0].id
    for index, level in enumerate(flow.levels):
        if level.id not in shown:
            continue
        fill = TEAM_FILL if level.team else LANE_FILLS[index % 2]
        with graph.subgraph(name=f"cluster_{level.id}") as lane:
            lane.attr(
                label="",
                style="rounded,filled,dashed" if level.team else "rounded,filled",
                fillcolor=fill,
                color=FUNCTIONAL if level.team else "#9fb3c8",
                penwidth="1.8" if level.team else "1",
                labeljust="l",
                margin="8",
                id=f"level.{level.id}",
            )
            _add_title(lane, flow, level, fill)
            for step_id in level.steps:
                _add_step(lane, flow.steps[step_id], level, names, taken, said)
            if level.id in entries:
                # Inside the lane, beside the step: a short arrow that cannot be misread.
                _add_entry(lane, level, entries[level.id], said, first=level.id == first)
            if taken is not None and taken.current in level.steps:
                _add_now(lane, taken.ticket_id, taken.current, said)


def _add_edges(
    graph: Any,
    flow: CompiledFlow,
    shown: frozenset[str],
    taken: _Taken | None,
    part: ChartPart | None,
) -> None:
    """One edge per trigger; one that enters or leaves the part ends at a mark for the
    part it comes from or goes to, listing the lanes there (one mark a part keeps the
    chart narrow)."""
    marks: dict[str, list[str]] = {}  # mark node -> the lanes it stands for
    edges: list[tuple[str, str, CompiledTrigger]] = []
    for step in flow.steps.values():
        for trigger in step.triggers:
            head = resolved_node(step.id) if trigger.resolves else trigger.target
            tail = step.id
            here = step.level in shown
            there = here if trigger.resolves else flow.steps[trigger.target].level in shown
            if part is None or (here and there):
                pass
            elif here:
                lane = flow.steps[trigger.target].level
                head = continuation_node(part.parts[lane], leaving=True)
                marks.setdefault(head, []).append(lane)
            elif there:
                tail = continuation_node(part.parts[step.level], leaving=False)
                marks.setdefault(tail, []).append(step.level)
            else:
                continue
            edges.append((tail, head, trigger))
    if part is not None:
        for name, lanes in marks.items():
            _add_mark(graph, flow, part, name, lanes)
    for tail, head, trigger in edges:
        attrs = _edge_attrs(flow, trigger, taken)
        if (
            tail.startswith("continued.")
            and part is not None
            and int(tail.rsplit("-", 1)[1]) > part.number
        ):
            # A return from a later part: its mark goes below, with the other marks,
            # instead of widening the chart beside the steps (drawn reversed, so the
            # arrow still points at the step).
            tail, head = head, tail
            attrs.update(dir="back", arrowtail=attrs.pop("arrowhead", "normal"))
        graph.edge(tail, head, label=_edge_label(flow, trigger, taken), **attrs)


def continuation_node(number: int, *, leaving: bool) -> str:
    """The name (and SVG id) of the mark for part ``number`` of a split chart: where
    edges leaving this part go, or where edges entering it come from."""
    return f"{'continues' if leaving else 'continued'}.part-{number}"


def _add_mark(graph: Any, flow: CompiledFlow, part: ChartPart, name: str, lanes: list[str]) -> None:
    said = words(flow.language)
    other = int(name.rsplit("-", 1)[1])
    where = (
        said.pgettext(
            "chart", "continues in part {number} of {count}", number=other, count=part.count
        )
        if name.startswith("continues")
        else said.pgettext(
            "chart", "continued from part {number} of {count}", number=other, count=part.count
        )
    )
    rows = [f"<b>{where}</b>"]
    for lane_id in dict.fromkeys(lanes):
        lane = _lane_name(flow.level(lane_id), said)
        rows.append(f'<font point-size="10">{escape(lane)}</font>')
    graph.node(
        name,
        label=f"<{'<br/>'.join(rows)}>",
        shape="box",
        style="rounded,dashed",
        color=MUTED,
        fontcolor=INK,
        margin="0.14,0.05",
        id=name,
    )


def _add_step(
    lane: Any,
    step: CompiledStep,
    level: CompiledLevel,
    names: dict[str, str],
    taken: _Taken | None,
    said: Words,
) -> None:
    attrs = {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "white",
        "color": FUNCTIONAL if level.team else "#5b7fa6",
        "margin": "0.1,0.05",
        "id": f"step.{step.id}",
    }
    if taken is not None and step.id in taken.visits:
        attrs.update(color=PATH, penwidth="3")
    if taken is not None and step.id == taken.current:
        attrs.update(fillcolor=PATH_FILL)
    lane.node(step.id, label=_step_label(step, level, names, taken, said), **attrs)
    if any(t.resolves for t in step.triggers):
        done = taken is not None and any(
            (step.id, t.id) in taken.moves for t in step.triggers if t.resolves
        )
        lane.node(
            resolved_node(step.id),
            label=said.pgettext("chart", "Resolved"),
            shape="box",
            style="rounded,filled",
            fillcolor=PATH_FILL if done else RESOLVED_FILL,
            color=PATH if done else RESOLUTION,
            penwidth="3" if done else "1",
            fontcolor=RESOLUTION,
            fontsize="10",
            margin="0.08,0.03",
            height="0.3",
            id=resolved_node(step.id),
        )
        with lane.subgraph() as row:
            row.attr(rank="same")
            row.node(step.id)
            row.node(resolved_node(step.id))


def title_node(level_id: str) -> str:
    """The name (and SVG id) of a lane's title node."""
    return f"title.{level_id}"


def _add_title(lane: Any, flow: CompiledFlow, level: CompiledLevel, fill: str) -> None:
    """The lane's title as a node at the lane's left, level with its first step.

    A cluster's own label is painted over by any edge that enters the lane from above;
    a node is an obstacle that dot routes every edge (and edge label) around. Level
    with the step, it takes no rank of its own: a rank holding only the title would
    push the edges passing it outside the lane, and each lane sideways.
    """
    name = title_node(level.id)
    lane.node(
        name,
        label=_level_title(flow, level),
        shape="box",
        style="filled",
        fillcolor=fill,
        color=fill,
        penwidth="0",
        margin="0.02,0.02",
        id=name,
    )
    with lane.subgraph() as row:
        row.attr(rank="same")
        row.node(name)
        row.node(level.entry)
    # An edge within a rank orders its ends left to right: the title before the
    # priority badge (when the lane has one) or the step.
    lane.edge(
        name,
        f"entry.{level.id}" if level.id in _entries(flow) else level.entry,
        style="invis",
        id=f"{name}.edge",
    )


def _add_now(lane: Any, ticket_id: str, step_id: str, said: Words) -> None:
    ticket = said.pgettext("chart", "ticket {ticket}", ticket=escape(ticket_id))
    here = said.pgettext("chart", "is here now")
    lane.node(
        "now.",
        label=f"<<b>{ticket}<br/>{here}</b>>",
        shape="box",
        style="rounded,filled",
        fillcolor=PATH,
        fontcolor="white",
        color=PATH,
        id="path.now",
    )
    lane.edge("now.", step_id, color=PATH, penwidth="3.5", id="path.now.edge")
    with lane.subgraph() as row:
        row.attr(rank="same")
        row.node("now.")
        row.node(step_id)


def _add_entry(
    graph: Any, level: CompiledLevel, priorities: list[str], said: Words, *, first: bool
) -> None:
    name = f"entry.{level.id}"
    start = said.pgettext("chart", "New ticket") if first else said.pgettext("chart", "Starts here")
    lines = [f"<b>{start}</b>", *priorities]
    # One table row a line: the cell padding keeps the lines apart (plain <br/> lines
    # sit one font size apart and their letters touch on the dark fill).
    rows = "".join(f"<tr><td>{part}</td></tr>" for line in lines for part in line.split("<br/>"))
    graph.node(
        name,
        label=f'<<table border="0" cellspacing="0" cellpadding="1">{rows}</table>>',
        shape="box",
        style="rounded,filled",
        fillcolor=BADGE_FILL,
        fontcolor=BADGE_INK,
        color=BADGE_FILL,
        margin="0.08,0.04",
        id=name,
    )
    graph.edge(name, level.entry, color=BADGE_FILL, penwidth="2", id=f"{name}.edge")
    with graph.subgraph() as row:
        row.attr(rank="same")
        row.node(name)
        row.node(level.entry)
