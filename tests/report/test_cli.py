"""``escflow report`` and ``escflow demo-history`` through the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from escflow.cli import main
from tests.report import expected
from tests.report.conftest import Made

UNTIL = "2026-11-16T00:00Z"  # the fortnight's end


def test_json_report(fortnight: Made, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", fortnight.url, "--until", UNTIL, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tickets"] == len(fortnight.history.tickets)
    want = expected.levels(fortnight.history)
    got = {(row["flow"], row["level"]): row for row in data["levels"]}
    assert {k: v["entered"] for k, v in got.items()} == {k: v["entered"] for k, v in want.items()}
    assert data["since"] is None
    assert data["until"] == "2026-11-16T00:00:00+00:00"


def test_csv_report(fortnight: Made, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", fortnight.url, "--until", UNTIL, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["section", "flow", "key", "measure", "value"]
    entered = {(r[1], r[2]): int(r[4]) for r in rows if r[0] == "level" and r[3] == "entered"}
    want = expected.levels(fortnight.history)
    assert entered == {k: v["entered"] for k, v in want.items()}


def test_table_report_of_one_flow(fortnight: Made, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["report", "--db", fortnight.url, "--until", UNTIL, "--flow", "complaint"]
    assert main(args) == 0
    out = capsys.readouterr().out
    complaint = [r for r in fortnight.history.tickets.values() if r.flow == "complaint"]
    assert f"{len(complaint)} tickets opened in the period" in out
    for section in ("Levels", "SLA", "Load", "Weeks", "Findings"):
        assert f"\n{section}" in out
    assert "billing-payment" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--since", "2026-11-10T00:00Z", "--until", "2026-11-09T00:00Z"],
            "the period begins (2026-11-10T00:00:00+00:00) after it ends",
        ),
        (["--flow", "complaints"], "no ticket of flow 'complaints' in the store"),
        (["--priority", "urgent"], "no ticket of priority 'urgent' in the store"),
        (["--since", "last tuesday"], "'last tuesday' is not an instant"),
        (["--until", "2026-11-09T10:00"], "has no offset"),
        (["--at", "2026-11-09T10:00Z", "--since", "2026-11-02T00:00Z"], "give it alone"),
        (["--at", "2026-11-09T10:00Z", "--format", "html"], "--at prints a table, JSON or CSV"),
    ],
)
def test_bad_input_is_a_usage_error(
    fortnight: Made, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["report", "--db", fortnight.url, *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_an_unknown_flow_says_the_close_name(
    fortnight: Made, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--db", fortnight.url, "--flow", "complaints"]) == 2
    assert "did you mean 'complaint'?" in capsys.readouterr().err


def test_an_empty_store_gives_an_empty_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    capsys.readouterr()
    assert main(["report", "--db", url, "--until", UNTIL]) == 0
    assert "no tickets in the period" in capsys.readouterr().out
    assert main(["report", "--db", url, "--until", UNTIL, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["tickets"], data["levels"], data["sla"], data["findings"]) == (0, [], [], [])
    out = tmp_path / "empty.html"
    assert main(["report", "--db", url, "--until", UNTIL, "--format", "html", "-o", str(out)]) == 0
    assert "No tickets in the period." in out.read_text(encoding="utf-8")


def test_a_missing_store_is_not_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", f"sqlite:///{tmp_path / 'none.db'}"]) == 1
    assert "no escflow database" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_demo_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo-history", "--db", url, "--start", "2026-11-02T00:00Z", "--days", "1"]
    assert main([*args, "--per-day", "10", "--seed", "3"]) == 0
    said = capsys.readouterr().out
    assert said.endswith("from 2026-11-02T00:00:00+00:00 to 2026-11-03T00:00:00+00:00 (seed 3)\n")
    tickets = int(said.split(" tickets")[0])
    assert main(["report", "--db", url, "--until", "2026-11-03T00:00Z", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tickets"] == tickets > 0
