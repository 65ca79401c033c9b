"""Presses that race each other and the timer, as real processes on both durable stores: a
press moves a ticket one level at most, whoever gets there first."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from escflow import load_matrix
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from escflow.timing import ManualClock
from tests.conftest import MATRIX
from tests.runtime.test_guards import UP_FLOW


def _flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (folder / "up.yaml").write_text(UP_FLOW, encoding="utf-8")
    return folder


def _escflow(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "escflow", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_eight_presses_of_up_for_one_step_move_the_ticket_once(url: str, tmp_path: Path) -> None:
    flows = _flows(tmp_path)
    matrix = load_matrix(flows)
    opened = datetime.now(UTC)
    store = open_store(url)
    Engine(matrix, store, clock=ManualClock(opened), actions=Actions(notify=print)).open(
        "up", ticket_id="UP-1"
    )
    store.close()
    common = ("--db", url, "--flows", str(flows))
    presses = [
        _escflow("ticket", "fire", "UP-1", "up", "--from-step", "level-1", *common)
        for _ in range(8)
    ]
    results: list[tuple[int, str, str]] = []
    for press in presses:
        out, err = press.communicate(timeout=120)
        results.append((press.returncode, out, err))
    applied = [r for r in results if r[0] == 0]
    refused = [r for r in results if r[0] != 0]
    assert len(applied) == 1, results
    for code, _, err in refused:
        assert code == 1, err
        assert "UP-1" in err, err
        assert "Traceback" not in err, err
        assert "not 'level-1' as the call says" in err or "while the call was applied" in err
    store = open_store(url)
    history = store.history("UP-1")
    store.close()
    assert [(e.kind, e.to_step) for e in history] == [("opened", "level-1"), ("moved", "level-2")]


def test_presses_racing_the_worker_never_move_a_ticket_two_levels(url: str, tmp_path: Path) -> None:
    flows = _flows(tmp_path)
    matrix = load_matrix(flows)
    now = datetime.now(UTC)
    ids = [f"R-{n:02}" for n in range(10)]
    store = open_store(url)
    seeder = Engine(matrix, store, clock=ManualClock(now), actions=Actions(notify=print))
    # Each window (30 minutes) ends between 2 and 4 seconds from now, a little apart.
    for n, ticket_id in enumerate(ids):
        seeder.open(
            "up",
            ticket_id=ticket_id,
            at=now - timedelta(minutes=30) + timedelta(seconds=2 + n * 0.2),
        )
    store.close()
    common = ("--db", url, "--flows", str(flows))
    log = tmp_path / "actions.jsonl"
    worker = _escflow("worker", "--poll", "0.05", "--actions-log", str(log), *common)
    try:
        time.sleep(max(0.0, (now + timedelta(seconds=2.5) - datetime.now(UTC)).total_seconds()))
        presses = [_escflow("ticket", "fire", t, "up", *common) for t in ids]
        results = {}
        for ticket_id, press in zip(ids, presses, strict=True):
            out, err = press.communicate(timeout=120)
            results[ticket_id] = (press.returncode, out, err)
        time.sleep(3)  # the worker escalates what the presses left
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    store = open_store(url)
    try:
        for ticket_id in ids:
            history = store.history(ticket_id)
            into_two = [e for e in history if e.to_step == "level-2"]
            assert len(into_two) == 1, (ticket_id, history)
            assert not any(e.to_step == "level-3" for e in history), (ticket_id, history)
            code, _, err = results[ticket_id]
            if into_two[0].kind == "moved":
                assert code == 0, err
            else:  # the timer got there first: the press was refused, and said why
                assert into_two[0].kind == "escalated"
                assert code == 1, err
                assert "the timer moved it from 'level-1'" in err, err
    finally:
        store.close()
