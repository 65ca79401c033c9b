"""The handbook as it prints: Chromium (through Playwright) prints it to PDF, pypdf reads it.

Each chart must sit on one page at a legible size; the figures the test expects come
from the paper, not from the code: A4 landscape is 297 x 210 mm, less 12 mm margins,
273 x 186 mm of printable area, which CSS measures at 96 px to 25.4 mm; letter is
11 x 8.5 in, 792 x 612 pt.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from escflow import Matrix, load_matrix
from escflow.io import export_matrix
from tests.conftest import FLOWS
from tests.render.browser import browser, needs_chromium

__all__ = ["browser"]  # the fixture, imported for the tests below

pytestmark = [
    needs_chromium,
    pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot"),
]

PX_PER_MM = 96 / 25.4
PRINTABLE_MM = (297 - 2 * 12, 210 - 2 * 12)  # A4 landscape inside the margins


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return load_matrix(FLOWS)


@pytest.fixture(scope="module")
def handbook(matrix: Matrix, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("handbook") / "handbook.html"
    path.write_bytes(export_matrix(matrix, "html"))
    return path


@pytest.fixture(scope="module")
def printed(browser: Any, handbook: Path) -> PdfReader:
    page = browser.new_page()
    try:
        page.goto(handbook.as_uri())
        pdf = page.pdf(format="A4", landscape=True, prefer_css_page_size=True)
    finally:
        page.close()
    return PdfReader(BytesIO(pdf))


# For each chart, at print media with the page as wide as A4's printable area: its box,
# and its smallest text as printed (font size in SVG units times the drawn scale, in pt).
_CHARTS = """
() => [...document.querySelectorAll("figure.diagram svg")].map((svg) => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;  // CSS px per SVG unit
  const sizes = [...svg.querySelectorAll("text")]
    .filter((t) => t.textContent.trim())
    .map((t) => parseFloat(t.getAttribute("font-size")));
  const figure = svg.closest("figure");
  return {
    flow: figure.dataset.flow, part: figure.dataset.part || null,
    width: box.width, height: box.height,
    smallest_pt: Math.min(...sizes) * scale * 0.75,  // 1 CSS px = 0.75 pt
    // The version's digest, in the title of every chart whatever its language.
    digest: [...svg.querySelectorAll("text")].map((t) => t.textContent)
      .map((t) => (t.match(/\\b[0-9a-f]{12}\\b/) || [null])[0]).find((d) => d),
    // The lowest line of Latin text (a PDF's text of other scripts may come out in
    // another order): on the digest's page only if the chart is whole. None when the
    // chart has no such line.
    footer: ([...svg.querySelectorAll("text")]
      .filter((t) => /^[ -~]{8,}$/.test(t.textContent.trim()))
      .sort((a, b) => b.getBoundingClientRect().bottom - a.getBoundingClientRect().bottom)[0]
      || {textContent: null}).textContent,
  };
})
"""


@pytest.fixture(scope="module")
def charts(browser: Any, handbook: Path) -> list[dict[str, Any]]:
    width = round(PRINTABLE_MM[0] * PX_PER_MM)
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.emulate_media(media="print")
        page.goto(handbook.as_uri())
        found: list[dict[str, Any]] = page.evaluate(_CHARTS)
    finally:
        page.close()
    return found


def test_each_chart_fits_a_page_at_print_size(charts: list[dict[str, Any]]) -> None:
    width, height = (mm * PX_PER_MM for mm in PRINTABLE_MM)  # 1031.8 x 703.0 px
    assert charts
    too_big = [c for c in charts if c["width"] > width + 0.5 or c["height"] > height + 0.5]
    assert too_big == []


def test_printed_chart_text_is_at_least_7_pt(charts: list[dict[str, Any]]) -> None:
    small = [(c["flow"], c["part"], round(c["smallest_pt"], 2)) for c in charts]
    assert [s for s in small if s[2] < 7] == []


def test_every_flow_is_charted_and_long_ones_are_split(
    matrix: Matrix, charts: list[dict[str, Any]]
) -> None:
    assert {c["flow"] for c in charts} == set(matrix.flows)
    by_flow: dict[str, list[str | None]] = {}
    for chart in charts:
        by_flow.setdefault(chart["flow"], []).append(chart["part"])
    for flow_id, parts in by_flow.items():
        if parts != [None]:
            assert parts == [str(n) for n in range(1, len(parts) + 1)], flow_id
    # complaint has seven rungs and a team: whole, at 7 pt, it is far taller than a page.
    assert len(by_flow["complaint"]) > 1


@pytest.fixture(scope="module")
def pages(printed: PdfReader) -> list[str]:
    """Each page's text, whitespace runs made one space, ligatures (ﬂ) undone."""
    return [
        " ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split())
        for page in printed.pages
    ]


def test_each_chart_prints_on_a_page_of_its_own(
    pages: list[str], charts: list[dict[str, Any]]
) -> None:
    parts: dict[str, list[dict[str, Any]]] = {}
    for chart in charts:
        parts.setdefault(chart["digest"], []).append(chart)
    for digest, drawn in parts.items():
        # Each part of a chart on a page of its own: as many pages name the version as
        # the chart has parts, one after the other.
        holding = [n for n, text in enumerate(pages) if digest in text]
        assert len(holding) == len(drawn), (drawn[0]["flow"], holding)
        assert holding == list(range(holding[0], holding[0] + len(drawn))), holding
        for page, chart in zip(holding, drawn, strict=True):
            if chart["footer"] is not None:
                footer = " ".join(chart["footer"].split())
                assert footer in pages[page], (chart["flow"], chart["part"], footer)
    # A page per chart: no page holds two charts' versions.
    for text in pages:
        assert sum(digest in text for digest in parts) <= 1


def test_the_legend_shares_its_page(pages: list[str]) -> None:
    holding = [text for text in pages if "up the ladder (hierarchical)" in text]
    assert len(holding) == 1, "the legend is given once"
    assert "Categories" in holding[0]  # with the list of categories, not alone


def test_the_page_is_a4_landscape(printed: PdfReader) -> None:
    box = printed.pages[0].mediabox
    # 297 x 210 mm at 72 pt to 25.4 mm: 841.9 x 595.3 pt.
    assert float(box.width) == pytest.approx(841.9, abs=1)
    assert float(box.height) == pytest.approx(595.3, abs=1)
    print(f"the handbook of flows/ prints on {len(printed.pages)} A4 pages")


def test_letter_paper_sets_the_page(browser: Any, matrix: Matrix, tmp_path: Path) -> None:
    path = tmp_path / "letter.html"
    path.write_bytes(export_matrix(matrix, "html", paper="letter"))
    assert re.search(r"@page \{ size: letter landscape; margin: 12mm; \}", path.read_text())
    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        pdf = PdfReader(BytesIO(page.pdf(prefer_css_page_size=True)))
    finally:
        page.close()
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (792, 612)
