"""The command line, run in-process and (once per kind of failure) as a real process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from escflow.cli import main
from escflow.io import schema_text
from tests.conftest import FLOW, FLOWS, MATRIX, ROOT, Write


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_the_shipped_flows_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", str(FLOWS)], capsys)
    assert code == 0
    files = len(list(FLOWS.glob("*.yaml")))
    assert out.strip().splitlines()[-1].startswith(f"{files} files checked,")
    assert out.strip().endswith("0 errors, 0 warnings")


def test_validate_prints_located_lines_and_exits_1(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    write("matrix.yaml", MATRIX)
    flow = write(
        "flow.yaml", FLOW.replace("to: resolved}\n  - level: 2", "to: resolvd}\n  - level: 2")
    )
    code, out, _ = run(["validate", str(flow.parent)], capsys)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{flow}:11:")
    assert (
        " E101 levels[0].triggers[0].to: unknown target 'resolvd'; did you mean 'resolved'?"
        in first
    )
    assert out.splitlines()[-1].endswith("1 error, 0 warnings")


def test_the_readme_validate_example_is_what_validate_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```text\n\$ escflow validate flows/\n(.*?)```", readme, re.DOTALL)
    assert example is not None, "the README shows 'escflow validate flows/' with one error"
    shown = example[1]
    # The example's one error names a line of flows/complaint.yaml; make that mistake.
    located = re.match(r"flows/complaint\.yaml:(\d+):", shown)
    assert located is not None, shown
    line = int(located[1])
    shutil.copytree(FLOWS, tmp_path / "flows")
    complaint = tmp_path / "flows" / "complaint.yaml"
    lines = complaint.read_text(encoding="utf-8").splitlines(keepends=True)
    assert "to: resolved" in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace("to: resolved", "to: resolvd")
    complaint.write_text("".join(lines), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["validate", "flows/"], capsys)
    assert code == 1
    assert out == shown


def test_validate_json(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    write("matrix.yaml", MATRIX)
    flow = write("flow.yaml", FLOW.replace("contact: lead", "contact: boss"))
    code, out, _ = run(["validate", "--format", "json", str(flow.parent)], capsys)
    data = json.loads(out)
    assert code == 1
    assert data["ok"] is False
    assert data["errors"] == 1
    assert data["warnings"] == 1
    assert data["problems"][0] == {
        "file": str(flow),
        "line": 13,
        "column": 14,
        "path": "levels[1].contact",
        "code": "E108",
        "severity": "error",
        "message": "unknown contact point 'boss'; contact points are defined in the matrix file"
        " under 'contacts'",
    }


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "xml"]) == 2
    assert "argument --format: invalid choice: 'xml'" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "usage: escflow" in capsys.readouterr().out


def test_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema"], capsys)
    assert code == 0
    assert json.loads(out)["title"].startswith("escflow definitions")
    committed = (ROOT / "schema" / "escflow.schema.json").read_text(encoding="utf-8")
    assert out == committed, (
        "schema/escflow.schema.json is stale: run 'escflow schema -o schema/escflow.schema.json'"
    )
    assert schema_text() == committed


def test_every_flow_file_points_at_the_schema() -> None:
    for path in sorted(FLOWS.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/escflow.schema.json", path.name


def test_matrix_table_lists_every_flow(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["matrix", "--format", "json", str(FLOWS)], capsys)
    assert code == 0
    data = json.loads(out)
    complaint = next(r for r in data["rows"] if r["flow"] == "complaint")
    assert complaint["levels"]["1"] == {
        "contact": "Call centre representative",
        "kind": "team",
        "window": "15-30 minutes",
    }
    assert complaint["levels"]["5"]["window"] == "1-2 business days"
    code, out, _ = run(["matrix", str(FLOWS)], capsys)
    assert code == 0
    assert "Complaint about" in out
    assert "Level 7" in out
    assert "Customer service" in out
    assert "Logistics and" in out


def test_matrix_refuses_broken_definitions(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    write("matrix.yaml", MATRIX)
    flow = write("flow.yaml", FLOW.replace("contact: lead", "contact: boss"))
    code, out, err = run(["matrix", str(flow.parent)], capsys)
    assert code == 1
    assert out == ""
    assert "E108" in err
    assert f"then 'escflow validate {flow.parent}' checks them again" in err


def test_validate_one_shipped_flow_file_gives_no_false_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The matrix found beside it defines what the other flows of flows/ use.
    code, out, err = run(["validate", str(FLOWS / "sla-violation.yaml")], capsys)
    assert (code, err) == (0, "")
    assert out == "1 file checked, 1 flow compiled: 0 errors, 0 warnings\n"


TICKETS_HOW = "--flows PATH"
PATHS_HOW = "the folder (or files) as PATH"
ELSEWHERE = {
    "ticket list": (["ticket", "list"], TICKETS_HOW),
    "ticket open": (["ticket", "open", "complaint"], TICKETS_HOW),
    "worker": (["worker", "--once"], TICKETS_HOW),
    "simulate": (["simulate", "complaint"], PATHS_HOW),
    "matrix": (["matrix"], PATHS_HOW),
    "render": (["render", "-o", "out"], PATHS_HOW),
    "export": (["export", "-o", "out.csv"], PATHS_HOW),
    "validate": (["validate"], PATHS_HOW),
}


@pytest.mark.parametrize("command", list(ELSEWHERE))
def test_run_where_there_is_no_flows_folder_says_how_to_give_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    args, how = ELSEWHERE[command]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESCFLOW_DB", raising=False)
    code, _, err = run(args, capsys)
    assert code == 1
    assert err.splitlines()[-1] == (
        f"escflow: no definitions at flows (the default): {Path.cwd()} has no flows/;"
        f" run from the folder that holds flows/, or give {how}"
    )
    assert "escflow validate" not in err, "validate, run here, would not find them either"
    assert list(tmp_path.iterdir()) == [], "nothing is made, not even a database"


@pytest.mark.parametrize(
    ("args", "option"),
    [(["ticket", "list", "--flows", "flws"], "--flows"), (["matrix", "flws"], "the PATH argument")],
)
def test_a_misspelt_definitions_path_is_named_with_the_close_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    option: str,
) -> None:
    shutil.copytree(FLOWS, tmp_path / "flows")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESCFLOW_DB", raising=False)
    code, _, err = run(args, capsys)
    assert code == 1
    assert err == (
        "escflow: no definitions at flws (did you mean 'flows'?): no such file or folder;"
        f" check {option}: it names the folder (or files) that hold the matrix and flows\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flows"]


@pytest.mark.parametrize(
    "content", [b"", b"\x00\x01binary", b"kind: [\n", "name: caf\xe9\n".encode("latin-1")]
)
def test_a_real_process_never_shows_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-m", "escflow", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.startswith("bad.yaml:1:") or done.stdout.startswith("bad.yaml:")
    assert list(tmp_path.iterdir()) == [path], "validate writes nothing"


# Names are printed through rich, which reads "[...]" as markup and ":name:" as an emoji
# code; a designer's text must come out exactly as written, whatever brackets it holds.
MARKUP_FLOW = "Flow [/bold] [red]x[/] :smile:"
BRACKETS_FLOW = "Billing [urgent] issues"
MARKUP_CONTACT = "Agent [b]x[/b] :thumbs_up:"
MARKUP_ISSUE = "Support [reverse]"
MARKUP_LABEL = "Done [i]now[/i] :smile:"


def _write_markup_flows(write: Write) -> Path:
    matrix = MATRIX.replace("{name: Support}", f"{{name: '{MARKUP_ISSUE}'}}").replace(
        "{name: Agent,", f"{{name: '{MARKUP_CONTACT}',"
    )
    write("matrix.yaml", matrix)
    write("markup.yaml", FLOW.replace("name: F\n", f"name: '{MARKUP_FLOW}'\n"))
    brackets = FLOW.replace("id: f\n", "id: g\n").replace("name: F\n", f"name: {BRACKETS_FLOW}\n")
    return write("brackets.yaml", brackets.replace("label: Done,", f"label: '{MARKUP_LABEL}',", 1))


def test_matrix_prints_names_with_brackets_as_written(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _write_markup_flows(write).parent
    code, out, err = run(["matrix", str(folder)], capsys)
    assert (code, err) == (0, "")
    for text in (MARKUP_FLOW, BRACKETS_FLOW, MARKUP_CONTACT, MARKUP_ISSUE):
        assert text in out, (text, out)
    assert "😄" not in out
    assert "👍" not in out


def test_simulate_prints_names_with_brackets_as_written(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _write_markup_flows(write).parent
    for flow_id, name in (("f", MARKUP_FLOW), ("g", BRACKETS_FLOW)):
        start = "2026-03-02T10:00+01:00"
        code, out, err = run(
            ["simulate", flow_id, str(folder), "--start", start, "--event", "+5m done"], capsys
        )
        assert (code, err) == (0, ""), err
        assert f"{name} ({flow_id}), priority normal" in out, out
        assert f"1 {MARKUP_CONTACT}" in out, out
    assert f"resolved: {MARKUP_LABEL}" in out, out
    assert "😄" not in out
    assert "👍" not in out


@pytest.mark.parametrize("command", [["render", "-o"], ["export", "-o"]])
def test_a_control_character_stops_render_and_export_at_the_file(
    write: Write, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    flow = write("defs/flow.yaml", FLOW.replace("name: F\n", 'name: "F\\x1b[31m"\n'))
    write("defs/matrix.yaml", MATRIX)
    output = tmp_path / ("out" if command[0] == "render" else "out.xlsx")
    code, out, err = run([*command, str(output), str(flow.parent)], capsys)
    assert code == 1
    assert f"{flow}:4:7: S004 name: character 2 of this text is U+001B" in err
    assert "\x1b" not in out + err
    assert not output.exists()
