"""A disk that fills up: a clear message, and nothing half-written."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.errors import StoreError
from escflow.runtime import Actions, Engine, replay
from escflow.store import open_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs: a real file system that really fills up (needs root to mount)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_reported_and_nothing_is_half_written(small_disk: Path) -> None:
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    engine = Engine(
        matrix,
        open_store(f"sqlite:///{small_disk / 'tickets.db'}"),
        clock=clock,
        actions=Actions(notify=print, handlers=handlers),
    )
    engine.open("complaint", priority="medium", ticket_id="T-1")
    filler = small_disk / "filler"
    with filler.open("wb") as out:  # take every free byte
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    with pytest.raises(StoreError, match="disk is full"):
        for n in range(2, 5000):
            clock.advance(timedelta(seconds=1))
            engine.open(
                "complaint", priority="medium", ticket_id=f"T-{n}", attrs={"note": "x" * 2000}
            )
    filler.unlink()
    store = open_store(f"sqlite:///{small_disk / 'tickets.db'}")
    last = None
    for n in range(1, 5000):
        ticket = store.get(f"T-{n}")
        if ticket is None:
            last = n
            break
        assert ticket == replay(store.history(f"T-{n}"))
    assert last is not None and store.history(f"T-{last}") == [], "the failed call left nothing"
    clock.advance(timedelta(minutes=1))
    engine = Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))
    assert engine.fire("T-1", "asks-for-manager").ticket.step == "level-2", "usable again"
