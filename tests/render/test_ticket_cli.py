"""``escflow render --ticket``: a real ticket in a real SQLite file, drawn with its path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.runtime import Actions, Engine
from escflow.store import open_store, upgrade_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS


def test_a_ticket_path_is_drawn_from_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    engine = Engine(
        matrix, open_store(url), clock=clock, actions=Actions(notify=print, handlers=handlers)
    )
    engine.open("complaint", priority="medium", ticket_id="T-42")
    clock.advance(timedelta(minutes=10))
    engine.fire("T-42", "asks-for-manager")
    clock.advance(timedelta(minutes=5))
    engine.fire("T-42", "needs-specialist")
    assert (
        main(
            [
                "render",
                "--ticket",
                "T-42",
                "--db",
                url,
                "-o",
                str(tmp_path / "out"),
                "--format",
                "dot,svg",
            ]
        )
        == 0
    )
    dot = (tmp_path / "out" / "T-42.dot").read_text(encoding="utf-8")
    # complaint counts in Europe/Paris, one hour ahead of UTC in November.
    assert "2026-11-23 10:10 +01:00" in dot
    assert "2026-11-23 10:15 +01:00" in dot
    assert (tmp_path / "out" / "T-42.svg").read_bytes().startswith(b"<?xml")
    assert "ticket T-42 on flow complaint" in capsys.readouterr().out


def test_an_unknown_ticket(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    args = ["render", "--ticket", "T-404", "--db", url, "-o", str(tmp_path / "o")]
    assert main(args) == 1
    assert "no escflow database at" in capsys.readouterr().err, "a mistyped --db makes none"
    upgrade_store(url)
    assert main(args) == 1
    assert "no ticket 'T-404'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_ticket_id_with_a_slash_is_drawn_inside_the_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    for ticket_id in ("../escaped", "a/b", "a_b"):
        opened = ["ticket", "open", "complaint", "--id", ticket_id, "--flows", str(FLOWS)]
        assert main([*opened, "--db", url]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    for ticket_id, name in (("../escaped", "%2E.%2Fescaped"), ("a/b", "a%2Fb"), ("a_b", "a_b")):
        args = ["render", "--ticket", ticket_id, "--db", url, "-o", str(out), "--format", "dot"]
        assert main(args) == 0
        shown = capsys.readouterr().out
        assert shown == f"{out}: ticket {ticket_id} on flow complaint ({out / name}.dot)\n"
    assert sorted(p.name for p in out.iterdir()) == ["%2E.%2Fescaped.dot", "a%2Fb.dot", "a_b.dot"]
    assert not (tmp_path / "escaped.dot").exists()
    assert {p.name for p in tmp_path.iterdir()} <= {
        "out",
        "tickets.db",
        "tickets.db-wal",
        "tickets.db-shm",
    }
