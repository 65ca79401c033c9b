"""The HTML report: self-contained, its charts inlined, and it prints on A4 (real Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from escflow.cli import main
from tests.report.conftest import Made

A4_POINTS = (595.92, 842.88)  # 210 x 297 mm, as Chromium writes the page box
PRINTED_WIDTH = 182 * 96 / 25.4  # the page's width inside its 14 mm margins, in CSS pixels


@pytest.fixture(scope="module")
def page(fortnight: Made, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    args = ["report", "--db", fortnight.url, "--until", "2026-11-16T00:00Z"]
    assert main([*args, "--format", "html", "-o", str(out)]) == 0
    return out


def test_the_page_holds_everything_it_shows(page: Path, fortnight: Made) -> None:
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "nothing fetched"
    assert "<script" not in html
    flows = {r.flow for r in fortnight.history.tickets.values()}
    assert html.count("<svg") == 2 * len(flows) + 1  # a funnel and a dwell chart each, SLA
    assert all(f"<h3>{flow}</h3>" in html for flow in flows)


def test_it_prints_on_a4_and_nothing_is_wider_than_the_page(page: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            tab = browser.new_page(viewport={"width": round(PRINTED_WIDTH), "height": 1000})
            tab.goto(page.as_uri())
            tab.emulate_media(media="print")
            widest = tab.evaluate("document.documentElement.scrollWidth")
            tab.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    assert widest <= round(PRINTED_WIDTH)
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert len(boxes) > 3, "several pages"
    for width, height in boxes:
        assert (float(width), float(height)) == pytest.approx(A4_POINTS, abs=1)
