"""The flowchart's structure, read back from the DOT: lanes, steps, one edge per trigger."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from escflow import CompiledFlow, Matrix, load_matrix
from escflow.errors import RenderError
from escflow.render import category_name, edge_id, flow_source, resolved_node
from escflow.render._text import (
    ACTION_FILL,
    FUNCTIONAL,
    HIERARCHICAL,
    LOOP,
    RESOLUTION,
    TEAM_FILL,
    wrap,
)
from tests.conftest import FLOW, FLOWS, MATRIX
from tests.render.dotgraph import DotGraph, parse


def chart(matrix: Matrix, flow_id: str, direction: str = "TB") -> tuple[CompiledFlow, DotGraph]:
    flow = matrix.flow(flow_id)
    source = flow_source(flow, direction, category=category_name(matrix, flow))
    return flow, parse(source)


def trigger_edges(graph: DotGraph) -> list[str]:
    return [e.id for e in graph.edges if e.id.startswith("trigger.")]


@pytest.mark.parametrize("flow_id", ["complaint", "helpdesk", "it-project", "logistics"])
def test_every_level_and_team_is_a_cluster_holding_its_steps(matrix: Matrix, flow_id: str) -> None:
    flow, graph = chart(matrix, flow_id)
    assert set(graph.clusters) == {f"cluster_{level.id}" for level in flow.levels}
    for level in flow.levels:
        assert set(level.steps) <= graph.cluster_nodes(f"cluster_{level.id}")


def lane_title(graph: DotGraph, level_id: str) -> str:
    """The label of a lane's title node (a node, so that edges are routed around it)."""
    assert f"title.{level_id}" in graph.cluster_nodes(f"cluster_{level_id}")
    assert not graph.clusters[f"cluster_{level_id}"].get("label")
    label = graph.nodes[f"title.{level_id}"]["label"]
    return " ".join(re.sub(r"<[^>]+>", " ", label).split())  # the text, lines joined


def test_lane_titles_give_number_contact_kind_and_window(matrix: Matrix) -> None:
    _, graph = chart(matrix, "complaint")
    assert "Level 1 · Call centre representative" in lane_title(graph, "level-1")
    assert "team · window 15-30 min" in lane_title(graph, "level-1")
    assert "person · window 30 min - 1 h" in lane_title(graph, "level-2")
    assert "window 1-2 business days" in lane_title(graph, "level-5")
    assert "window until resolution" in lane_title(graph, "level-7")
    assert "Functional team · Accounts &amp; billing team" in lane_title(graph, "billing")
    assert "beside level 2" in lane_title(graph, "billing")


def test_functional_teams_are_visibly_apart(matrix: Matrix) -> None:
    _, graph = chart(matrix, "complaint")
    team = graph.clusters["cluster_billing"]
    assert team["fillcolor"] == TEAM_FILL
    assert "dashed" in team["style"]
    for name, lane in graph.clusters.items():
        if name != "cluster_billing":
            assert lane["fillcolor"] != TEAM_FILL
            assert "dashed" not in lane["style"]


@pytest.mark.parametrize("flow_id", sorted(load_matrix(FLOWS).flows))
def test_one_edge_per_trigger_between_the_right_nodes(matrix: Matrix, flow_id: str) -> None:
    flow, graph = chart(matrix, flow_id)
    ids = trigger_edges(graph)
    assert len(ids) == len(flow.triggers) == len(set(ids))
    for trigger in flow.triggers:
        edge = graph.edge(edge_id(trigger))
        head = resolved_node(trigger.source) if trigger.resolves else trigger.target
        assert (edge.tail, edge.head) == (trigger.source, head)


def test_the_functional_edge_goes_from_level_2_to_billing(matrix: Matrix) -> None:
    _, graph = chart(matrix, "complaint")
    edge = graph.edge("trigger.level-2.needs-specialist")
    assert (edge.tail, edge.head) == ("level-2", "billing")
    assert "Requires a specific" in edge.attrs["label"]
    hierarchical = graph.edge("trigger.level-2.solution-unsuccessful")
    assert edge.attrs["color"] == FUNCTIONAL != hierarchical.attrs["color"] == HIERARCHICAL
    assert float(edge.attrs["penwidth"]) > float(hierarchical.attrs["penwidth"])


def test_edge_kinds_look_different(matrix: Matrix) -> None:
    _, graph = chart(matrix, "it-project")
    _, complaint = chart(matrix, "complaint")
    colours = {
        "hierarchical": graph.edge("trigger.replan.still-blocked").attrs["color"],
        "functional": complaint.edge("trigger.level-2.needs-specialist").attrs["color"],
        "loop": graph.edge("trigger.replan.new-facts").attrs["color"],
        "resolution": graph.edge("trigger.assess.solved-in-team").attrs["color"],
    }
    assert colours == {
        "hierarchical": HIERARCHICAL,
        "functional": FUNCTIONAL,
        "loop": LOOP,
        "resolution": RESOLUTION,
    }


def test_a_jump_up_the_ladder_is_drawn_as_going_up(matrix: Matrix) -> None:
    # it-project's level 1 sends a budget overrun straight to level 3 (the sponsor): a
    # rung of the ladder, not a team, so the legend's "up the ladder" colour.
    flow, graph = chart(matrix, "it-project")
    trigger = next(t for t in flow.triggers if t.id == "budget-overrun")
    assert flow.level_of(trigger.source).number == 1
    assert flow.level_of(trigger.target).number == 3
    assert not flow.level_of(trigger.target).team
    edge = graph.edge(edge_id(trigger))
    assert edge.attrs["color"] == HIERARCHICAL
    assert float(edge.attrs["penwidth"]) < 2
    assert f'color="{HIERARCHICAL}"' in edge.attrs["label"]


def test_a_team_handing_back_to_its_rung_is_drawn_as_a_loop(matrix: Matrix) -> None:
    # logistics' warehouse lead stands beside level 1 and hands the ticket back to it.
    flow, graph = chart(matrix, "logistics")
    assert flow.level("warehouse").team
    assert flow.level("warehouse").number == flow.level("level-1").number
    edge = graph.edge("trigger.warehouse.back-to-dispatch")
    assert edge.head == "level-1"
    assert edge.attrs["color"] == LOOP
    assert f'color="{LOOP}"' in edge.attrs["label"]
    assert graph.edge("trigger.level-1.stock-out").attrs["color"] == FUNCTIONAL
    assert graph.edge("trigger.warehouse.no-replenishment").attrs["color"] == HIERARCHICAL


def test_timer_edges_are_dashed_and_say_when_they_fire(matrix: Matrix) -> None:
    flow, graph = chart(matrix, "complaint")
    for trigger in flow.triggers:
        edge = graph.edge(edge_id(trigger))
        assert ("dashed" in edge.attrs.get("style", "")) == trigger.automatic
    implicit = graph.edge("trigger.level-1.timeout").attrs["label"]
    assert "after 30 min" in implicit
    assert "Unresolved" not in implicit
    named = graph.edge("trigger.level-3.unresolved").attrs["label"]
    assert "Problem remains" in named
    assert "after 2 h" in named
    assert "after 2 business days" in graph.edge("trigger.level-5.timeout").attrs["label"]


def test_repeats_show_on_the_lane_and_the_timer(matrix: Matrix) -> None:
    _, graph = chart(matrix, "follow-up-call")
    assert "repeats 1x" in lane_title(graph, "level-1")
    assert "repeats 1x" in graph.edge("trigger.level-1.timeout").attrs["label"]
    assert "repeats" not in lane_title(graph, "level-2")


def test_loops_go_back_to_the_earlier_step(matrix: Matrix) -> None:
    _, graph = chart(matrix, "it-project")
    for source, trigger in [("replan", "new-facts"), ("level-3", "change-approved")]:
        edge = graph.edge(f"trigger.{source}.{trigger}")
        assert edge.attrs["color"] == LOOP
        assert edge.head in {"assess", "replan"}


def test_entry_arrows_where_priorities_enter(matrix: Matrix) -> None:
    _, graph = chart(matrix, "complaint")
    entries = {
        e.head: graph.nodes[e.tail]["label"] for e in graph.edges if e.id.startswith("entry.")
    }
    assert set(entries) == {"level-1", "level-2", "level-3"}
    assert "Low" in entries["level-1"]
    assert "Medium" in entries["level-1"]
    assert "High · windows ×0.5" in entries["level-2"]
    assert "Critical · windows" in entries["level-3"]
    assert "New ticket" in entries["level-1"]


def test_an_entry_shows_the_windows_a_priority_writes_out(matrix: Matrix) -> None:
    # flows/sla-violation.yaml gives critical 5-15 min at level 1 and 15-30 min at
    # level 2; the matrix's factor 0.25 scales only the levels after them.
    flow, graph = chart(matrix, "sla-violation")
    assert flow.priorities["critical"].window(flow.level("level-1"))[1] == 1.0
    label = graph.nodes["entry.level-1"]["label"]
    critical = label[label.index("Critical") :]
    assert "Critical · windows ×0.25" not in critical
    lines = re.findall(r'<font point-size="10">([^<]*)</font>', critical)
    assert lines == ["level 1: 5-15 min", "level 2: 15-30 min", "other levels ×0.25"]


def test_windows_written_for_every_level_show_no_factor(tmp_path: Path) -> None:
    (tmp_path / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    windows = "priorities:\n  urgent: {windows: {1: 5-10 minutes, 2: 1-2 hours}}\nlevels:\n"
    flow_text = FLOW.replace("levels:\n", windows)
    (tmp_path / "flow.yaml").write_text(flow_text, encoding="utf-8")
    graph = parse(flow_source(load_matrix(tmp_path).flow("f")))
    label = graph.nodes["entry.level-2"]["label"]
    assert "urgent · windows" in label
    assert re.findall(r'<font point-size="10">([^<]*)</font>', label) == [
        "level 1: 5-10 min",
        "level 2: 1-2 h",
    ]


def test_a_flow_whose_priorities_all_enter_at_one_level_has_one_entry(matrix: Matrix) -> None:
    _, graph = chart(matrix, "sla-violation")
    assert [e.head for e in graph.edges if e.id.startswith("entry.")] == ["level-1"]


def test_steps_list_responses_with_actions_marked_apart(matrix: Matrix) -> None:
    _, graph = chart(matrix, "complaint")
    label = graph.nodes["level-2"]["label"]
    for line in ["Attempt a solution", "Collect contact details", "Follow up after internal"]:
        assert f"• {line}" in label
    action = re.search(rf'<td[^>]*bgcolor="{ACTION_FILL}"[^>]*>(.*?)</td>', label)
    assert action is not None
    assert "AUTO" in action.group(1)
    assert "notify Call centre support manager" in action.group(1)
    assert "AUTO" in graph.nodes["level-3"]["label"]  # the incident-report handler
    assert "Create an incident" in graph.nodes["level-3"]["label"]


def test_multi_step_levels_name_their_steps(matrix: Matrix) -> None:
    _, graph = chart(matrix, "it-project")
    assert "<b>Assess the issue</b>" in graph.nodes["assess"]["label"]
    assert {"assess", "replan"} <= graph.cluster_nodes("cluster_level-1")


def test_title_legend_and_direction(matrix: Matrix) -> None:
    flow, graph = chart(matrix, "complaint", "LR")
    assert graph.attrs["rankdir"] == "LR"
    title = graph.attrs["label"]
    assert flow.name in title
    assert "Customer service requests" in title
    assert f"version {flow.digest[:12]}" in title
    assert "Legend" in graph.nodes["legend."]["label"]
    assert chart(matrix, "complaint")[1].attrs["rankdir"] == "TB"


def test_an_unknown_direction_is_refused(matrix: Matrix) -> None:
    with pytest.raises(RenderError, match="unknown direction 'BT'; choose TB or LR"):
        flow_source(matrix.flow("complaint"), "BT")


def test_long_labels_are_wrapped_by_display_width() -> None:
    assert wrap("Customer asks to speak to the director", 24) == [
        "Customer asks to speak",
        "to the director",
    ]
    # Hangul counts two columns a character: 13 columns, then a new line.
    assert wrap("고객이 문제를 설명합니다", 14) == ["고객이 문제를", "설명합니다"]
    assert wrap("x" * 30, 12) == ["x" * 12, "x" * 12, "x" * 6]


HOSTILE = """\
escflow: 1
kind: flow
id: hostile
name: "Q&A <b>bold</b> \\"quoted\\" 'single' \\\\N"
issue_type: support
levels:
  - level: 1
    contact: agent
    window: 15-30 minutes
    responses: ["Check <script> & 'quotes' \\"double\\""]
    triggers:
      - {id: done, label: "Done > 5 & < 10", to: resolved}
  - level: 2
    contact: lead
    window: until resolution
    triggers:
      - {id: done, label: "]]> --> <!-- end", to: resolved}
"""


def test_user_text_is_escaped_in_html_labels(tmp_path: Path) -> None:
    (tmp_path / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (tmp_path / "flow.yaml").write_text(HOSTILE, encoding="utf-8")
    flow = load_matrix(tmp_path).flow("hostile")
    graph = parse(flow_source(flow))  # dot itself accepts the labels
    assert (
        "Q&amp;A &lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot; &#39;single&#39;"
        in (graph.attrs["label"])
    )
    assert "&lt;script&gt; &amp; &#39;quotes&#39;" in graph.nodes["level-1"]["label"]
    assert "Done &gt; 5 &amp; &lt; 10" in graph.edge("trigger.level-1.done").attrs["label"]
    assert "]]&gt; --&gt; &lt;!-- end" in graph.edge("trigger.level-2.done").attrs["label"]
