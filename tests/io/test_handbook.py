"""The training handbook in a real browser: every flowchart present, visible and printable."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from escflow import Matrix, load_matrix
from escflow.io import export_matrix
from tests.conftest import FLOWS

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Run inside a copy of the page: report, for each diagram, whether the browser lays it
# out with a real size, inside the page, and not hidden.
PROBE = """
<script>
addEventListener("load", () => {
  const width = document.documentElement.scrollWidth;
  const figures = [...document.querySelectorAll("figure.diagram")].map((figure) => {
    const svg = figure.querySelector("svg");
    const box = svg ? svg.getBoundingClientRect() : null;
    const style = svg ? getComputedStyle(svg) : null;
    return {
      flow: figure.dataset.flow || null,
      svg: !!svg,
      width: box ? box.width : 0,
      height: box ? box.height : 0,
      inside: box ? box.left >= 0 && box.right <= width + 1 : false,
      shown: style ? style.display !== "none" && style.visibility === "visible" : false,
      nodes: svg ? svg.querySelectorAll("g.node").length : 0,
    };
  });
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({
    figures,
    sections: document.querySelectorAll("section.flow").length,
    missing: document.querySelectorAll("figure.missing").length,
  });
  document.body.appendChild(out);
});
</script>
"""

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
    pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot"),
]


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return load_matrix(FLOWS)


@pytest.fixture(scope="module")
def handbook(matrix: Matrix, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("handbook") / "handbook.html"
    path.write_bytes(export_matrix(matrix, "html"))
    return path


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=180,
        check=True,
    )


def test_every_diagram_is_present_and_visible(
    matrix: Matrix, handbook: Path, tmp_path: Path
) -> None:
    page = handbook.read_text(encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    result = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    dom = result.stdout.decode("utf-8")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, "the probe did not run"
    report = json.loads(found[1].replace("&quot;", '"').replace("&amp;", "&"))
    assert report["sections"] == len(matrix.flows)
    assert report["missing"] == 0
    # Every flow has its chart; a long one is split into parts, each a figure.
    assert sorted({f["flow"] for f in report["figures"]}) == sorted(matrix.flows)
    for figure in report["figures"]:
        assert figure["svg"], figure
        assert figure["shown"], figure
        assert figure["inside"], figure
        assert figure["width"] > 100, figure
        assert figure["height"] > 100, figure
        assert figure["nodes"] >= 2, figure


def test_the_handbook_renders_and_prints(matrix: Matrix, handbook: Path, tmp_path: Path) -> None:
    screenshot = tmp_path / "handbook.png"
    chromium(tmp_path, "--window-size=1400,2400", f"--screenshot={screenshot}", handbook.as_uri())
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # a rendered page, not a blank one
    pdf = tmp_path / "handbook.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", handbook.as_uri())
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages > len(matrix.flows)  # each flow starts on a page of its own


def test_the_page_is_self_contained(handbook: Path) -> None:
    page = handbook.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page
    assert "@import" not in page
