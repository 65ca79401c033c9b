"""Files that hold customer data are their owner's only: the files real commands make are
0600 and their folders 0700 (less when the umask takes more away), and a file replaced
keeps its mode."""

from __future__ import annotations

import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import FLOWS, escflow, worker_command


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A store that ``ticket open`` made, under the usual umask (022)."""
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    done = escflow(
        "ticket", "open", "complaint", "--id", "T-1", "--flows", str(FLOWS), "--db", url,
        umask=0o022,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return url


def test_the_database_and_its_journal_files_are_private(database: str, tmp_path: Path) -> None:
    assert mode(tmp_path / "tickets.db") == 0o600
    # A running worker holds the database open: its -wal and -shm files exist meanwhile.
    log = tmp_path / "actions.log"
    worker = subprocess.Popen(
        [*worker_command(database, "--poll", "0.2", "--actions-log", str(log))],
        stderr=subprocess.PIPE,
        text=True,
        umask=0o022,
    )
    try:
        assert worker.stderr is not None
        assert "worker: started" in worker.stderr.readline()
        deadline = time.monotonic() + 60
        journal = [tmp_path / "tickets.db-wal", tmp_path / "tickets.db-shm"]
        while not all(p.exists() for p in [*journal, log]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {p.name: mode(p) for p in [*journal, log]} == {
            "tickets.db-wal": 0o600,
            "tickets.db-shm": 0o600,
            "actions.log": 0o600,
        }
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert worker.returncode == 0


def test_an_actions_log_that_exists_keeps_its_mode(database: str, tmp_path: Path) -> None:
    log = tmp_path / "shared.log"
    log.write_text("")
    log.chmod(0o640)
    fired = escflow(
        "ticket", "fire", "T-1", "asks-for-manager", "--flows", str(FLOWS), "--db", database
    )
    assert fired.returncode == 0, fired.stderr  # a notice to deliver
    done = escflow(
        "worker",
        "--once",
        "--log-unhandled",
        "--flows",
        str(FLOWS),
        "--db",
        database,
        "--actions-log",
        str(log),
    )
    assert done.returncode == 0
    assert log.read_text()
    assert mode(log) == 0o640


def test_diagrams_of_a_ticket_are_private(database: str, tmp_path: Path) -> None:
    out = tmp_path / "new" / "diagrams"
    done = escflow(
        "render", "--ticket", "T-1", "--db", database, "-o", str(out), "--format", "dot",
        umask=0o022,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (mode(tmp_path / "new"), mode(out), mode(out / "T-1.dot")) == (0o700, 0o700, 0o600)


SHEET = """\
Escalation level,Level 1,Level 2
Contact point,Agent,Lead
Timeline,15-30 minutes,until resolution
Order status,,
"""


def test_imports_and_exports_are_private(tmp_path: Path) -> None:
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    flows = tmp_path / "flows"
    assert escflow("import", str(sheet), "-o", str(flows), umask=0o022).returncode == 0
    assert mode(flows) == 0o700
    assert {p.name: mode(p) for p in flows.iterdir()} == {
        "matrix.yaml": 0o600,
        "order-status.yaml": 0o600,
        "escflow.schema.json": 0o600,
    }
    for name in ("matrix.xlsx", "export.csv", "matrix.md"):
        done = escflow("export", str(flows), "-o", str(tmp_path / name), umask=0o022)
        assert done.returncode == 0, done.stderr
        assert mode(tmp_path / name) == 0o600, name


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "matrix.md"
    shared.write_text("old")
    shared.chmod(0o644)  # the user chose to share it
    assert escflow("export", str(FLOWS), "-o", str(shared), umask=0o077).returncode == 0
    assert mode(shared) == 0o644
    assert shared.read_text() != "old"


@pytest.mark.parametrize("umask", [0o077, 0o027, 0o007])
def test_a_umask_that_leaves_the_owner_alone_gives_the_same_modes(
    tmp_path: Path, umask: int
) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    opened = escflow("ticket", "open", "complaint", "--flows", str(FLOWS), "--db", url, umask=umask)
    assert opened.returncode == 0, opened.stderr
    out = tmp_path / "out"
    drawn = escflow("render", str(FLOWS), "-o", str(out), "--format", "dot", umask=umask)
    assert drawn.returncode == 0, drawn.stderr
    assert (mode(tmp_path / "t.db"), mode(out)) == (0o600, 0o700)
    assert {mode(p) for p in out.iterdir()} == {0o600}


def test_a_stricter_umask_takes_more_away(tmp_path: Path) -> None:
    done = escflow("export", str(FLOWS), "-o", str(tmp_path / "matrix.md"), umask=0o277)
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "matrix.md") == 0o400
