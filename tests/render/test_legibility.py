"""What a reader of a flowchart needs: titles no arrow runs through, lines that do not
touch, text that stands out from its fill. Measured on real dot output, in real Chromium
where the fonts matter; the expected figures come from geometry and WCAG's formula."""

from __future__ import annotations

import itertools
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escflow import Matrix, load_matrix
from escflow.render import TicketPath, category_name, render_flow, render_matrix
from escflow.render._text import BADGE_FILL, BADGE_INK
from tests.conftest import FLOWS, ROOT
from tests.render.browser import browser, needs_chromium, svg_page
from tests.render.svgcolours import contrast, texts

__all__ = ["browser"]  # the fixture, imported for the tests below

ARABIC_FLOW = ROOT / "tests" / "fixtures" / "arabic" / "shakwa-ar.yaml"
pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


@pytest.fixture(scope="module")
def with_arabic(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    """flows/ plus an Arabic flow (right-to-left labels and titles)."""
    folder = tmp_path_factory.mktemp("flows")
    for path in FLOWS.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    shutil.copy(ARABIC_FLOW, folder / ARABIC_FLOW.name)
    matrix = load_matrix(folder)
    assert matrix.flow(ARABIC_FLOW.stem).language == "ar"
    return matrix


def _svg(matrix: Matrix, flow_id: str) -> bytes:
    flow = matrix.flow(flow_id)
    return render_flow(flow, "svg", category=category_name(matrix, flow))


# Every sample point of every drawn edge, and every edge label's box, against the boxes
# of the lane titles' text (a cluster's own label, or the title node that replaced it).
_CROSSINGS = """
() => {
  const inside = (x, y, r) => x > r.left + 0.5 && x < r.right - 0.5
                              && y > r.top + 0.5 && y < r.bottom - 0.5;
  const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
                            && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const titles = [...document.querySelectorAll('g.cluster > text, g.node[id^="title."] text')]
    .map((t) => ({ text: t.textContent, box: t.getBoundingClientRect() }));
  const hits = new Set();
  for (const path of document.querySelectorAll("g.edge path")) {
    const edge = path.closest("g.edge").id;
    const ctm = path.getScreenCTM();
    const length = path.getTotalLength();
    for (let at = 0; at <= length; at += 1) {
      const p = path.getPointAtLength(at).matrixTransform(ctm);
      for (const t of titles) if (inside(p.x, p.y, t.box)) hits.add(`${edge} crosses ${t.text}`);
    }
  }
  for (const label of document.querySelectorAll("g.edge text")) {
    const box = label.getBoundingClientRect();
    for (const t of titles) {
      if (overlap(box, t.box)) hits.add(`${label.closest("g.edge").id} label on ${t.text}`);
    }
  }
  return { titles: titles.length, hits: [...hits] };
}
"""


@needs_chromium
@pytest.mark.parametrize("flow_id", [*sorted(load_matrix(FLOWS).flows), ARABIC_FLOW.stem], ids=str)
def test_no_arrow_crosses_a_lane_title(browser: Any, with_arabic: Matrix, flow_id: str) -> None:
    page = svg_page(browser, _svg(with_arabic, flow_id))
    try:
        found = page.evaluate(_CROSSINGS)
    finally:
        page.close()
    lanes = len(with_arabic.flow(flow_id).levels)
    assert found["titles"] >= 2 * lanes  # per lane, its name and its details, wrapped
    assert found["hits"] == []


# Consecutive lines of Arabic text in one label: the ink of the first (its descent below
# the baseline, measured with the browser's own font) must end above the ink of the
# next (its ascent above its baseline).
_ARABIC_LINES = """
() => {
  const ctx = document.createElement("canvas").getContext("2d");
  const ink = (t) => {
    ctx.font = `${t.getAttribute("font-weight") || "normal"} ${t.getAttribute("font-size")}px `
      + t.getAttribute("font-family");
    const m = ctx.measureText(t.textContent);
    return { up: m.actualBoundingBoxAscent, down: m.actualBoundingBoxDescent };
  };
  const pairs = [];
  for (const group of document.querySelectorAll("g.node, g.edge")) {
    const lines = [...group.querySelectorAll("text")]
      .filter((t) => /[\\u0600-\\u06ff]/.test(t.textContent))
      .map((t) => ({ t, y: t.y.baseVal[0].value, box: t.getBBox(), ink: ink(t),
                    size: parseFloat(t.getAttribute("font-size")) }))
      .sort((a, b) => a.y - b.y);
    for (let i = 0; i + 1 < lines.length; i++) {
      const [a, b] = [lines[i], lines[i + 1]];
      const side = a.box.x < b.box.x + b.box.width && b.box.x < a.box.x + a.box.width;
      if (!side || b.y - a.y > 2.5 * a.size) continue;  // not one line above the next
      pairs.push({ group: group.id, first: a.t.textContent, next: b.t.textContent,
                   gap: (b.y - b.ink.up) - (a.y + a.ink.down) });
    }
  }
  return pairs;
}
"""


@needs_chromium
def test_wrapped_arabic_lines_do_not_touch(browser: Any, with_arabic: Matrix) -> None:
    page = svg_page(browser, _svg(with_arabic, ARABIC_FLOW.stem))
    try:
        pairs = page.evaluate(_ARABIC_LINES)
    finally:
        page.close()
    assert len(pairs) >= 3, "the fixture wraps several Arabic labels"
    touching = [p for p in pairs if p["gap"] < 0.5]
    assert touching == []


def _path_over() -> TicketPath:
    start = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    return TicketPath(
        "T-1",
        visits=(("level-1", start), ("level-2", start + timedelta(minutes=30))),
        moves=(("level-1", "timeout", "level-2", start + timedelta(minutes=30)),),
        current="level-2",
    )


def test_every_text_stands_out_from_its_fill(with_arabic: Matrix) -> None:
    # WCAG AA for normal text: a contrast ratio of at least 4.5:1.
    drawings = {flow_id: _svg(with_arabic, flow_id) for flow_id in sorted(with_arabic.flows)}
    drawings["_matrix"] = render_matrix(with_arabic, "svg")
    complaint = with_arabic.flow("complaint")
    drawings["ticket path"] = render_flow(complaint, "svg", path=_path_over())
    low = [
        f"{name}: {shown.group} {shown.text!r} {shown.colour} on {shown.background}"
        f" ({shown.contrast:.2f}:1)"
        for name, svg in drawings.items()
        for shown in texts(svg)
        if shown.contrast < 4.5
    ]
    assert low == []


def test_the_priority_badge_is_readable(matrix: Matrix) -> None:
    # White on the badge's slate: L(#3b4654) = 0.2126*0.0437 + 0.7152*0.0612
    # + 0.0722*0.0887 = 0.0595, so (1 + 0.05) / (0.0595 + 0.05) = 9.6:1.
    assert contrast(BADGE_INK, BADGE_FILL) == pytest.approx(9.6, abs=0.05)
    badges = [s for s in texts(_svg(matrix, "logistics")) if s.group.startswith("entry.")]
    assert {s.text for s in badges} >= {"New ticket", "Starts here", "other levels ×0.25"}
    for shown in badges:
        assert shown.background == BADGE_FILL
        assert contrast(shown.colour, shown.background) >= 4.5
    # Lines in a table of their own: baselines at least 1.2 font sizes apart.
    ys = sorted(float(y) for y in _badge_baselines(_svg(matrix, "logistics"), "entry.level-2"))
    assert len(ys) == 5
    assert min(b - a for a, b in itertools.pairwise(ys)) >= 1.2 * 10


def _badge_baselines(svg: bytes, node: str) -> list[str]:
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    group = next(g for g in root.iter(f"{ns}g") if g.get("id") == node)
    return [t.get("y", "0") for t in group.iter(f"{ns}text")]
