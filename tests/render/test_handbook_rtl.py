"""A right-to-left flow in the handbook, as Chromium lays it out: the charts stay drawn
left to right with every text inside its box, and English durations keep their order."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from escflow import load_matrix
from escflow.io import export_matrix
from tests.conftest import FLOWS, ROOT
from tests.render.browser import browser, needs_chromium

__all__ = ["browser"]  # the fixture, imported for the tests below

ARABIC_FLOW = ROOT / "tests" / "fixtures" / "arabic" / "shakwa-ar.yaml"
pytestmark = [
    needs_chromium,
    pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot"),
]


@pytest.fixture(scope="module")
def page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The handbook of flows/ plus an Arabic flow, open in Chromium."""
    folder = tmp_path_factory.mktemp("flows")
    for path in FLOWS.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    shutil.copy(ARABIC_FLOW, folder / ARABIC_FLOW.name)
    handbook: Path = folder / "handbook.html"
    handbook.write_bytes(export_matrix(load_matrix(folder), "html"))
    opened = browser.new_page(viewport={"width": 1200, "height": 900})
    opened.goto(handbook.as_uri())
    yield opened
    opened.close()


# Every text of every node against the node's own outline (its first shape), in the page.
_OUTSIDE = """
(section) => {
  const out = [];
  const svgs = [...document.querySelectorAll(`section#flow-${section} figure.diagram svg`)];
  for (const svg of svgs) {
    for (const node of svg.querySelectorAll("g.node")) {
      const shape = node.querySelector("path, polygon, ellipse");
      // Titles and the legend are tables without an outline of their own.
      if (!shape || node.id.includes("title.") || node.id.includes("legend")) continue;
      const box = shape.getBoundingClientRect();
      for (const text of node.querySelectorAll("text")) {
        if (!text.textContent.trim()) continue;
        const r = text.getBoundingClientRect();
        if (r.left < box.left - 1.5 || r.right > box.right + 1.5)
          out.push(`${node.id}: ${text.textContent}`);
      }
    }
  }
  return { charts: svgs.length, direction: svgs.map((s) => getComputedStyle(s).direction),
           outside: out };
}
"""


@pytest.mark.parametrize("section", ["shakwa-ar", "reclamation-fr", "bantuan-id"])
def test_chart_texts_stay_in_their_boxes(page: Any, section: str) -> None:
    found = page.evaluate(_OUTSIDE, section)
    assert found["charts"] >= 1
    assert set(found["direction"]) == {"ltr"}
    assert found["outside"] == []


def test_the_arabic_section_reads_right_to_left(page: Any) -> None:
    direction = page.evaluate(
        "getComputedStyle(document.querySelector('section#flow-shakwa-ar')).direction"
    )
    assert direction == "rtl"


# Where two pieces of one cell's text are drawn: left edges of their ranges.
_ORDER = """
([selector, first, second]) => {
  const cell = document.querySelector(selector);
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  const left = (word) => {
    walker.currentNode = cell;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const at = n.data.indexOf(word);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(n, at);
      range.setEnd(n, at + word.length);
      return range.getBoundingClientRect().left;
    }
    return null;
  };
  return [left(first), left(second)];
}
"""


def test_a_window_keeps_its_order_in_a_right_to_left_table(page: Any) -> None:
    # Level 1's window is "15-30 minutes": the number stays before (left of) the unit.
    cell = "section#flow-shakwa-ar table.levels tbody tr:first-child td:nth-child(3)"
    number, unit = page.evaluate(_ORDER, [cell, "15-30", "minutes"])
    assert number is not None
    assert unit is not None
    assert number < unit


def test_what_the_customer_is_told_reads_in_order(page: Any) -> None:
    # The trigger "yatlub-mudir" has a reason; its English lead-in reads left to right.
    cell = "section#flow-shakwa-ar table.levels tbody tr:first-child td:nth-child(5)"
    lead, told = page.evaluate(_ORDER, [cell, "The customer", "told:"])
    assert lead is not None
    assert told is not None
    assert lead < told
