"""A disk that fills up: a clear message, and nothing half-written."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.errors import StoreError
from escflow.records import replay
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from escflow.timing import ManualClock
from tests.conftest import FLOWS, escflow, worker_command
from tests.store.test_worker import PAST


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

    def open_until_full() -> None:
        for n in range(2, 5000):
            clock.advance(timedelta(seconds=1))
            engine.open(
                "complaint", priority="medium", ticket_id=f"T-{n}", attrs={"note": "x" * 2000}
            )

    with pytest.raises(StoreError, match="disk is full"):
        open_until_full()
    filler.unlink()
    store = open_store(f"sqlite:///{small_disk / 'tickets.db'}")
    last = None
    for n in range(1, 5000):
        ticket = store.get(f"T-{n}")
        if ticket is None:
            last = n
            break
        assert ticket == replay(store.history(f"T-{n}"))
    assert last is not None, "the failed call left nothing"
    assert store.history(f"T-{last}") == [], "the failed call left nothing"
    clock.advance(timedelta(minutes=1))
    engine = Engine(matrix, store, clock=clock, actions=Actions(notify=print, handlers=handlers))
    assert engine.fire("T-1", "asks-for-manager").ticket.step == "level-2", "usable again"


def opened(url: str, prefix: str, count: int) -> None:
    """``count`` tickets opened in January: every deadline since has passed."""
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    engine = Engine(matrix, open_store(url), actions=Actions(notify=print, handlers=handlers))
    for n in range(count):
        engine.open(
            "complaint",
            priority="medium",
            ticket_id=f"{prefix}-{n}",
            at=PAST + timedelta(seconds=n),
        )


def worker(url: str, log: Path) -> subprocess.CompletedProcess[str]:
    return escflow(*worker_command(url, "--once", "--actions-log", str(log))[3:])


def read_lines(log: Path) -> list[dict[str, object]]:
    """The log as a JSON-lines reader takes it: every line must parse."""
    text = log.read_text(encoding="utf-8")
    assert text.endswith("\n"), "the last line is whole"
    return [json.loads(line) for line in text.splitlines()]


def test_an_actions_log_on_a_full_disk_keeps_every_line_whole(
    small_disk: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'tickets.db'}"  # the database has room: only the log fills
    log = small_disk / "actions.jsonl"
    # Another tool's line first: the log's last page is half used, so that the next line
    # finds room for some of its bytes, not all.
    log.write_text(json.dumps({"pad": "x" * 2030}) + "\n", encoding="utf-8")
    opened(url, "T", 20)
    filler = small_disk / "filler"
    with filler.open("wb", buffering=0) as out, suppress(OSError):  # take every free byte
        while True:
            out.write(b"\0" * 4096)
    full = worker(url, log)
    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr, full.stderr
    assert full.stderr.splitlines()[-1].startswith(
        f"escflow: cannot write the actions log {log}: No space left on device;"
    )
    written = read_lines(log)[1:]
    assert written, "some lines fitted"
    filler.unlink()
    opened(url, "U", 5)
    again = worker(url, log)
    assert again.returncode == 0, again.stderr
    keys = [str(line["key"]) for line in read_lines(log)[1:]]
    assert len(keys) > len(written)
    store = open_store(url)
    delivered = {
        a.key
        for prefix, count in (("T", 20), ("U", 5))
        for n in range(count)
        for a in store.actions(f"{prefix}-{n}")
        if a.delivered_at is not None
    }
    assert sorted(keys) == sorted(delivered), "each delivered action is one whole line"


def test_a_torn_last_line_is_ended_before_the_log_is_appended_to(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    log = tmp_path / "actions.jsonl"
    torn = '{"key": "T-9:2:0", "kind": "notify", "mess'  # what a crash left
    log.write_text(json.dumps({"key": "T-9:1:0"}) + "\n" + torn, encoding="utf-8")
    opened(url, "T", 2)
    assert worker(url, log).returncode == 0
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[1] == torn, "kept as it was, on a line of its own"
    appended = [json.loads(line) for line in lines[2:]]
    assert appended
    assert all(str(line["key"]).startswith("T-") for line in appended)
