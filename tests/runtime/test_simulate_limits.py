"""``simulate`` never stops silently: it lists every event, or says where it stopped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from escflow import EscflowError, load_matrix
from escflow.cli import main
from escflow.runtime import _simulate, simulate
from tests.runtime.test_calls_in_time import LONG

START = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
# Opened, then 50 levels of 101 windows, each a warning and an end (see LONG).
EVENTS = 1 + 50 * 101 * 2


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "long.yaml").write_text(LONG, encoding="utf-8")
    return tmp_path


def test_a_run_with_more_events_than_a_tick_applies_lists_them_all(folder: Path) -> None:
    result = simulate(load_matrix(folder), "long", START, until="+15 days")
    assert len(result.rows) == EVENTS
    assert result.rows[-1].level.startswith("51 ")
    assert result.status == "open"


def test_a_run_past_its_limit_says_where_it_stopped(folder: Path) -> None:
    with pytest.raises(EscflowError) as caught:
        simulate(load_matrix(folder), "long", START, until="+15 days", limit=500)
    message = str(caught.value)
    assert message.startswith("the simulation stopped at its limit of 500 events, reached at")
    assert "give an earlier until (--until)" in message


def test_the_command_exits_non_zero_at_the_limit(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_simulate, "ROWS_LIMIT", 500)
    code = main(
        ["simulate", "long", str(folder), "--start", START.isoformat(), "--until", "+15 days"]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "the simulation stopped at its limit of 500 events" in err
