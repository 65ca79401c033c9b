"""``render --paper`` and ``--dpi``, ``export --paper``: drawings sized for paper.

A4 landscape is 297 x 210 mm: 841.9 x 595.3 pt at 72 pt to 25.4 mm, 11.69 x 8.27 in;
letter landscape is 792 x 612 pt. A PNG at N dpi is N pixels per inch of the drawing.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
from pypdf import PdfReader

from escflow.cli import main
from tests.conftest import FLOWS

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (bytes 16-24)."""
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_every_drawing_fits_the_paper(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "a4"
    args = ["render", str(FLOWS), "-o", str(out), "--format", "pdf,png,svg", "--paper", "A4"]
    assert main([*args, "--dpi", "150"]) == 0
    capsys.readouterr()
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == len(list(FLOWS.glob("*.yaml")))  # the flows and the overview
    for pdf in pdfs:
        box = PdfReader(pdf).pages[0].mediabox
        assert float(box.width) <= 841.9 + 0.5, pdf.name
        assert float(box.height) <= 595.3 + 0.5, pdf.name
    for png in out.glob("*.png"):
        width, height = png_size(png)
        assert width <= round(11.69 * 150) + 1, png.name
        assert height <= round(8.27 * 150) + 1, png.name
    # complaint is larger than the paper: scaled down until one side fills it.
    width, height = png_size(out / "complaint.png")
    assert max(width / (11.69 * 150), height / (8.27 * 150)) >= 0.99


def test_letter_is_smaller(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "letter"
    args = ["render", str(FLOWS), "-o", str(out), "--format", "pdf", "--paper", "letter"]
    assert main(args) == 0
    capsys.readouterr()
    box = PdfReader(out / "complaint.pdf").pages[0].mediabox
    assert float(box.width) <= 792 + 0.5
    assert float(box.height) <= 612 + 0.5


def test_dpi_sets_the_pixels_per_inch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sizes = {}
    for dpi in (72, 144):
        out = tmp_path / str(dpi)
        assert (
            main(["render", str(FLOWS), "-o", str(out), "--format", "png", "--dpi", str(dpi)]) == 0
        )
        sizes[dpi] = png_size(out / "helpdesk.png")
    capsys.readouterr()
    assert abs(sizes[144][0] - 2 * sizes[72][0]) <= 2
    assert abs(sizes[144][1] - 2 * sizes[72][1]) <= 2


def test_charts_too_small_on_paper_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "named"
    args = ["render", str(FLOWS), "-o", str(out), "--format", "svg,json", "--paper", "A4"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    # complaint is 1.8 times too tall for A4 at full size and its smallest text is 9 pt.
    assert "complaint" in report["small_text"]
    assert report["small_text"]["complaint"] < 7
    assert main(["render", str(FLOWS), "-o", str(out), "--paper", "A4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("fitted to A4, these charts print with text under 7 pt: ")
    assert "splits them by levels" in lines[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--paper", "A3"], "unknown paper 'A3'; choose A4 or letter"),
        (["--dpi", "5"], "--dpi 5 is out of range; give 36 to 1200 pixels per inch"),
        (["--dpi", "high"], "--dpi takes a whole number of pixels per inch, not 'high'"),
    ],
)
def test_bad_paper_or_dpi_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["render", str(FLOWS), "-o", str(tmp_path / "x"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_export_paper_is_for_the_handbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(FLOWS), "-o", str(tmp_path / "m.csv"), "--paper", "letter"]) == 2
    assert "--paper is for the .html handbook" in capsys.readouterr().err
    assert main(["export", str(FLOWS), "-o", str(tmp_path / "h.html"), "--paper", "letter"]) == 0
    assert "@page { size: letter landscape;" in (tmp_path / "h.html").read_text()
