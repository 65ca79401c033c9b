"""``escflow import`` and ``escflow export`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.cli import main
from tests.conftest import FLOWS, MATRIX


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_export_then_import_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "matrix.xlsx"
    code, out, _ = run(["export", str(FLOWS), "-o", str(sheet)], capsys)
    assert (code, out) == (0, f"wrote {sheet} (16 categories)\n")
    code, out, _ = run(["import", str(sheet), "-o", str(tmp_path / "flows")], capsys)
    assert code == 0
    assert f"wrote {tmp_path / 'flows' / 'matrix.yaml'}\n" in out
    assert out.endswith(f"16 categories imported from {sheet}\n")
    assert sorted(load_matrix(tmp_path / "flows").flows) == sorted(load_matrix(FLOWS).flows)


def test_a_bad_sheet_prints_located_problems_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(
        "Escalation level,Level 1\nContact point,Agent\nTimeline,soon\nOrder status,\n",
        encoding="utf-8",
    )
    code, out, err = run(["import", str(sheet), "-o", str(tmp_path / "flows")], capsys)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{sheet}: X003 Matrix!B3: expected a timeline such as '15-30 minutes', '30 minutes - 1"
        " hour', '1-2 business days' or 'Resolution', got 'soon'",
        "escflow: nothing was written (1 error, 0 warnings)",
    ]


def test_dry_run_lists_the_files_it_would_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(
        "Escalation level,Level 1\nContact point,Agent\nTimeline,Resolution\nOrder status,\n",
        encoding="utf-8",
    )
    code, out, _ = run(["import", str(sheet), "-o", str(tmp_path / "f"), "--dry-run"], capsys)
    assert code == 0
    assert out.splitlines()[:2] == [
        f"would write {tmp_path / 'f' / 'matrix.yaml'}",
        f"would write {tmp_path / 'f' / 'order-status.yaml'}",
    ]
    assert not (tmp_path / "f").exists()


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_the_template_is_written_and_imports(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / f"template.{suffix}"
    code, out, _ = run(["import", "--template", str(template)], capsys)
    assert code == 0
    assert out.startswith(f"wrote {template}")
    code, _, _ = run(["import", str(template), "-o", str(tmp_path / "flows")], capsys)
    assert code == 0


@pytest.mark.parametrize(
    "args",
    [["import"], ["import", "a.xlsx", "--template", "b.xlsx"], ["import", "--template", "t.md"]],
)
def test_import_usage_errors_exit_2(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2


def test_markdown_export_has_a_table_per_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "matrix.md"
    assert run(["export", str(FLOWS), "-o", str(target)], capsys)[0] == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Customer support escalation matrix\n")
    for heading in ("## Matrix", "## Levels", "## Contacts", "## Settings"):
        assert f"\n{heading}\n" in text
    assert "| Escalation level | Level 1 | Level 2 |" in text
    assert "Customer states their problem<br>" not in text  # one response: no break
    assert "Attempt a solution<br>Collect contact details" in text


def test_export_refuses_an_unknown_format_and_invalid_definitions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["export", str(FLOWS), "-o", str(tmp_path / "matrix.pdf")], capsys)
    assert code == 2
    assert "use a .xlsx, .csv, .md or .html file name" in err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "matrix.yaml").write_text(MATRIX.replace("kind: team", "kind: tem"))
    code, _, err = run(["export", str(tmp_path / "bad"), "-o", str(tmp_path / "x.csv")], capsys)
    assert code == 1
    assert "S003" in err
    assert not (tmp_path / "x.csv").exists()
