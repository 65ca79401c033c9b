"""One flow file with errors stops only new tickets of its flow: the ticket verbs and the
worker go on for every other flow, and for the running tickets of the broken one on the
version each started on (the command line in-process and the worker as a real process,
on a real SQLite file)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.errors import DefinitionError, FlowUnavailable
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from escflow.timing import ManualClock
from tests.conftest import MATRIX

MONDAY = "2026-01-05T09:00+01:00"  # a Monday in the office hours of Paris


def flow(flow_id: str, contact: str = "lead") -> str:
    """A two-level flow; level 2's contact on line 14, its value at column 14."""
    return f"""\
escflow: 1
kind: flow
id: {flow_id}
name: {flow_id}
issue_type: support
levels:
  - level: 1
    contact: agent
    window: 15-30 minutes
    triggers:
      - {{id: up, label: Up}}
      - {{id: done, label: Done, to: resolved}}
  - level: 2
    contact: {contact}
    window: until resolution
    triggers:
      - {{id: done, label: Done, to: resolved}}
"""


# Each way of breaking other.yaml, and where its error is: the flow sequence opened on line
# 6 meets the block sequence's dash on line 7, column 3; 'boss' is on line 14, column 14.
BREAKS = {
    "syntax": (flow("other").replace("levels:\n", "levels: [\n"), "other.yaml:7:3: L004"),
    "check": (flow("other", contact="boss"), "other.yaml:14:14: E108"),
}


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def setup(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, list[str]]:
    """A matrix with the flows 'good' and 'other', a ticket of each opened on Monday at
    9:00 (G-1, O-1); the options of a ticket verb on them."""
    flows = folder / "flows"
    flows.mkdir()
    (flows / "matrix.yaml").write_text(MATRIX)
    (flows / "good.yaml").write_text(flow("good"))
    (flows / "other.yaml").write_text(flow("other"))
    options = ["--db", f"sqlite:///{folder / 't.db'}", "--flows", str(flows)]
    for category, ticket_id in (("good", "G-1"), ("other", "O-1")):
        code, _, err = call(
            capsys, "ticket", "open", category, "--id", ticket_id, "--at", MONDAY, *options
        )
        assert code == 0, err
    return flows, options


def warned(err: str, flows: Path) -> bool:
    """Whether standard error says that other.yaml is broken and its new tickets refused."""
    return f"escflow: {flows / 'other.yaml'} has 1 error: new tickets of 'other' are refused" in err


@pytest.mark.parametrize("broken", sorted(BREAKS))
def test_the_ticket_verbs_go_on_and_only_new_tickets_of_the_broken_flow_are_refused(
    broken: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows, options = setup(tmp_path, capsys)
    text, location = BREAKS[broken]
    (flows / "other.yaml").write_text(text)

    for verb in (["show", "G-1"], ["history", "O-1"], ["list"], ["outbox", "G-1"]):
        code, out, err = call(capsys, "ticket", *verb, *options)
        assert code == 0, err
        assert warned(err, flows), err
    code, out, _ = call(capsys, "ticket", "list", "--format", "json", *options)
    assert {t["id"] for t in json.loads(out)} == {"G-1", "O-1"}

    # The running ticket of the broken flow moves on the version it started on.
    code, out, err = call(
        capsys, "ticket", "fire", "O-1", "up", "--at", "2026-01-05T09:10+01:00", *options
    )
    assert code == 0, err
    assert "O-1: open at level-2" in out
    code, out, err = call(capsys, "ticket", "resolve", "G-1", *options)
    assert code == 0, err
    assert out.splitlines()[-1].startswith("G-1: resolved")

    code, out, err = call(capsys, "ticket", "open", "other", "--id", "O-2", *options)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert warned(lines[0], flows)
    assert lines[1].startswith("escflow: flow 'other' takes no new tickets:")
    assert lines[2].startswith(str(flows / location[:-5])), lines[2]
    assert location in lines[2]
    assert lines[-1] == (
        f"escflow: fix the file, then 'escflow validate {flows / 'other.yaml'}' checks it again"
    )
    code, _, err = call(capsys, "ticket", "show", "O-2", *options)
    assert code == 1, "nothing was opened"

    code, out, err = call(capsys, "ticket", "open", "good", "--id", "G-2", *options)
    assert code == 0, err
    code, _, _ = call(capsys, "validate", str(flows))
    assert code == 1, "validate still fails on the broken file"


def test_the_refusal_comes_as_json_with_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows, options = setup(tmp_path, capsys)
    (flows / "other.yaml").write_text(BREAKS["check"][0])
    code, out, err = call(capsys, "ticket", "open", "other", "--format", "json", *options)
    assert (code, out) == (1, "")
    warning, error = (json.loads(line) for line in err.splitlines())
    assert warning["logger"] == "escflow.engine"
    assert "new tickets of 'other' are refused" in warning["warning"]
    assert (error["error"], error["flow"]) == ("FlowUnavailable", "other")
    ((problem),) = error["problems"]
    assert (problem["code"], problem["line"], problem["column"]) == ("E108", 14, 14)
    assert problem["path"] == "levels[1].contact"
    assert "escflow validate" in error["message"]


def test_the_worker_sweeps_every_flow_and_logs_the_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows, options = setup(tmp_path, capsys)
    (flows / "other.yaml").write_text(BREAKS["syntax"][0])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "escflow",
            "worker",
            "--once",
            *options,
            "--actions-log",
            str(tmp_path / "actions.jsonl"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [logged] = [line for line in done.stderr.splitlines() if " WARNING escflow.engine: " in line]
    assert f"{flows / 'other.yaml'} has 1 error: new tickets of 'other' are refused" in logged
    store = open_store(options[1])
    # Opened at 9:00 with a 30-minute window: both were moved up at 9:30, the broken
    # flow's ticket on its pinned version.
    for ticket_id in ("G-1", "O-1"):
        ticket = store.get(ticket_id)
        assert ticket is not None
        assert ticket.step == "level-2", ticket_id
        moved = store.history(ticket_id)[-1]
        assert moved.at.isoformat() == "2026-01-05T08:30:00+00:00"


def test_the_python_api_builds_an_engine_on_the_partial_matrix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    flows, options = setup(tmp_path, capsys)
    (flows / "other.yaml").write_text(BREAKS["check"][0])
    with pytest.raises(DefinitionError):
        load_matrix(flows)
    matrix = load_matrix(flows, partial=True)
    assert sorted(matrix.flows) == ["good"]
    ((broken),) = matrix.broken
    assert (broken.file, broken.flows) == (str(flows / "other.yaml"), ("other",))
    with caplog.at_level("WARNING", logger="escflow.engine"):
        clock = ManualClock(datetime.fromisoformat("2026-01-05T09:10+01:00"))
        engine = Engine(matrix, open_store(options[1]), clock=clock, actions=Actions(notify=print))
    assert "new tickets of 'other' are refused" in caplog.text
    with pytest.raises(FlowUnavailable) as refused:
        engine.open("other")
    assert refused.value.flow == "other"
    assert [p.code for p in refused.value.problems] == ["E108"]
    assert engine.fire("O-1", "up").ticket.step == "level-2"
    assert engine.tickets(flow="other")[0].id == "O-1"
    assert engine.tickets(flow="other", status="resolved") == [], "a known flow: no error"


def test_a_broken_matrix_still_stops_the_ticket_verbs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows, options = setup(tmp_path, capsys)
    (flows / "matrix.yaml").write_text(MATRIX.replace("calendar: office", "calendar: ofice"))
    code, _, err = call(capsys, "ticket", "show", "G-1", *options)
    assert code == 1
    assert "E109" in err
    assert err.splitlines()[-1].startswith("escflow: the definitions have errors; fix them")
    with pytest.raises(DefinitionError):
        load_matrix(flows, partial=True)
