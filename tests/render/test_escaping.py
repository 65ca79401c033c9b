"""Every text a designer writes shows in the diagrams exactly as written.

Graphviz reads backslashes (``\\N`` is the node's name, ``\\G`` the graph's, ``\\L`` the
label's source), entities and ``<...>`` in what it is given; none of that may leak into
what a trainer reads. The SVG is parsed as XML, so these tests compare the text a viewer
shows, entities decoded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.render import MATRIX_FILE, render_all

SVG = "{http://www.w3.org/2000/svg}"
TOOLTIP = "{http://www.w3.org/1999/xlink}title"

# Every escape Graphviz knows, a doubled backslash, entities written out, and markup.
MATRIX_NAME = r"Matrix \G \\ &lt; &#92;"
ISSUE = r"Support \E <i>x</i>"
PRIORITY = r"Urgent \N"
AGENT = r"Agent \N \G \E \L"
FLOW_NAME = r"Share C:\Groups\Tickets &amp; \n \l"
RESPONSE = r"\\fileserver\Groups\Network\Errors"
MESSAGE = r"Ticket \T to \H: see \L"
LABEL = r"Done \T \H \L \r"
REASON = """told "\\N" &amp; <font color='red'>"""


def _quoted(text: str) -> str:
    """A YAML single-quoted scalar: backslashes stay literal, quotes are doubled."""
    return "'" + text.replace("'", "''") + "'"


MATRIX_YAML = f"""\
escflow: 1
kind: matrix
name: {_quoted(MATRIX_NAME)}
calendar: office
issue_types: {{support: {{name: {_quoted(ISSUE)}}}}}
priorities: {{normal: {{}}, urgent: {{entry: 2, factor: 0.5, name: {_quoted(PRIORITY)}}}}}
calendars: {{office: {{timezone: Europe/Paris, hours: {{mon-fri: "09:00-17:00"}}}}}}
contacts:
  agent: {{name: {_quoted(AGENT)}, kind: team}}
  lead: {{name: Lead, kind: person}}
"""

FLOW_YAML = f"""\
escflow: 1
kind: flow
id: f
name: {_quoted(FLOW_NAME)}
issue_type: support
levels:
  - level: 1
    contact: agent
    window: 15-30 minutes
    responses:
      - {_quoted(RESPONSE)}
      - {{notify: lead, message: {_quoted(MESSAGE)}}}
    triggers:
      - {{id: done, label: {_quoted(LABEL)}, reason: {_quoted(REASON)}, to: resolved}}
  - level: 2
    contact: lead
    window: until resolution
    triggers:
      - {{id: done, label: Done, to: resolved}}
"""


def _flat(text: str) -> str:
    """Whitespace runs as one space: lines are wrapped and joined, the words stay."""
    return " ".join(text.split())


class Drawing:
    """The texts of one SVG: the graph's own label, each object's texts, the tooltips."""

    def __init__(self, svg: bytes) -> None:
        root = ET.fromstring(svg)
        graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
        self.title = _flat(" ".join(t.text or "" for t in graph.findall(f"{SVG}text")))
        self.objects = [
            _flat(" ".join(t.text or "" for t in g.iter(f"{SVG}text")))
            for g in root.iter(f"{SVG}g")
            if g.get("class") in ("node", "edge", "cluster")
        ]
        self.tooltips = [_flat(a.get(TOOLTIP, "")) for a in root.iter() if a.get(TOOLTIP)]

    def shows(self, text: str) -> bool:
        """Whether one object (node, edge, lane) shows ``text`` as written."""
        return any(_flat(text) in shown for shown in self.objects)


@pytest.fixture(scope="module")
def drawings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Drawing]:
    folder: Path = tmp_path_factory.mktemp("escapes")
    (folder / "matrix.yaml").write_text(MATRIX_YAML, encoding="utf-8")
    (folder / "flow.yaml").write_text(FLOW_YAML, encoding="utf-8")
    matrix = load_matrix(folder)
    # The loader keeps the texts as written: what the diagrams must show.
    assert matrix.flow("f").name == FLOW_NAME
    files = render_all(matrix, ("svg",))
    return {"flow": Drawing(files["f.svg"]), "matrix": Drawing(files[f"{MATRIX_FILE}.svg"])}


def test_the_flowchart_title_shows_the_flow_and_category_names(
    drawings: dict[str, Drawing],
) -> None:
    title = drawings["flow"].title
    assert title.startswith(f"{FLOW_NAME} {ISSUE} · flow f · version "), title


def test_lanes_steps_and_entries_show_their_texts(drawings: dict[str, Drawing]) -> None:
    flow = drawings["flow"]
    assert flow.shows(f"Level 1 · {AGENT}"), flow.objects
    assert flow.shows(f"• {RESPONSE}"), flow.objects
    assert flow.shows(f"notify Lead: “{MESSAGE}”"), flow.objects
    assert flow.shows(f"Starts here {PRIORITY} · windows ×0.5"), flow.objects


def test_trigger_labels_show_as_written(drawings: dict[str, Drawing]) -> None:
    assert drawings["flow"].shows(LABEL), drawings["flow"].objects


def test_tooltips_hold_the_text_not_graphviz_escapes_or_label_source(
    drawings: dict[str, Drawing],
) -> None:
    tooltips = drawings["flow"].tooltips
    # Before: \T and \H became the node names, \L the label's DOT source, "&amp;" "&".
    assert f"done: {LABEL} (the customer is told: {REASON})" in tooltips, tooltips


def test_the_matrix_overview_shows_every_name_as_written(drawings: dict[str, Drawing]) -> None:
    overview = drawings["matrix"]
    assert overview.title.startswith(f"{MATRIX_NAME} 1 flow:"), overview.title
    for text in (FLOW_NAME, AGENT, ISSUE):
        assert overview.shows(text), (text, overview.objects)


@pytest.mark.parametrize(
    "text",
    [r"\G", r"\N", r"\E", r"\T", r"\H", r"\L", r"\n", r"\l", r"\r", "\\", "\\\\", r"x\\"],
)
def test_each_graphviz_escape_is_literal_in_labels_and_tooltips(tmp_path: Path, text: str) -> None:
    (tmp_path / "matrix.yaml").write_text(MATRIX_YAML, encoding="utf-8")
    label = f"Go {text} on"
    flow = FLOW_YAML.replace(_quoted(LABEL), _quoted(label)).replace(
        _quoted(FLOW_NAME), _quoted(f"Flow {text}")
    )
    (tmp_path / "flow.yaml").write_text(flow, encoding="utf-8")
    drawing = Drawing(render_all(load_matrix(tmp_path), ("svg",))["f.svg"])
    assert drawing.title.startswith(f"Flow {text} "), drawing.title
    assert drawing.shows(label), drawing.objects
    assert f"done: {label} (the customer is told: {REASON})" in drawing.tooltips
