"""The commands that only read open the store read-only: a database on read-only media
(a copy on a share mounted read-only, a snapshot) can be looked at, and nothing is
written to it, nor beside it."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from escflow.errors import StoreError
from escflow.store import open_store
from escflow.store._migrate import latest
from escflow.store._sqlite import SQLiteStore
from tests.conftest import FLOWS, escflow
from tests.store.test_damaged import seeded
from tests.store.test_sqlite import back_to_schema

Freeze = Callable[[], None]


@pytest.fixture
def media(tmp_path: Path) -> Iterator[tuple[Path, Freeze]]:
    """A small tmpfs (a real file system), and a way to remount it read-only (root only)."""
    mount = tmp_path / "media"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8M", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")

    def freeze() -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)

    try:
        yield mount, freeze
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


READS = [
    ["ticket", "show", "T-0"],
    ["ticket", "history", "T-0"],
    ["ticket", "outbox", "T-0"],
    ["ticket", "list"],
    ["outbox", "list"],
]


def test_a_wal_database_on_read_only_media_is_read(
    media: tuple[Path, Freeze], tmp_path: Path
) -> None:
    folder, freeze = media
    url = f"sqlite:///{folder / 'tickets.db'}"
    seeded(url)
    assert sorted(p.name for p in folder.iterdir()) == ["tickets.db"], "closed cleanly"
    freeze()
    for command in READS:
        flows = ["--flows", str(FLOWS)] if command[0] == "ticket" else []
        done = escflow(*command, "--db", url, *flows)
        assert done.returncode == 0, (command, done.stderr)
    shown = escflow("ticket", "history", "T-0", "--db", url, "--flows", str(FLOWS))
    assert [line.split()[2] for line in shown.stdout.splitlines()] == ["opened", "moved"]
    drawn = escflow("render", "--ticket", "T-0", "--db", url, "-o", str(tmp_path / "out"))
    assert drawn.returncode == 0, drawn.stderr
    assert (tmp_path / "out" / "T-0.svg").is_file(), drawn.stderr
    moved = escflow("ticket", "ack", "T-0", "--db", url, "--flows", str(FLOWS))
    assert moved.returncode == 1
    assert "Traceback" not in moved.stderr
    assert f"cannot open {folder / 'tickets.db'}: " in moved.stderr, moved.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["tickets.db"]


def test_a_write_ahead_log_that_cannot_be_read_on_read_only_media_is_said(
    media: tuple[Path, Freeze], tmp_path: Path
) -> None:
    """A copy taken while a writer ran holds changes in its -wal; without a -shm, which a
    read-only folder keeps SQLite from making, they could only be missed: refused."""
    folder, freeze = media
    live = tmp_path / "live.db"
    seeded(f"sqlite:///{live}")
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # the change stays in the log
    writer.execute("UPDATE tickets SET assignee = 'someone new' WHERE id = 'T-1'")
    assert Path(f"{live}-wal").stat().st_size > 0
    shutil.copy(live, folder / "tickets.db")
    shutil.copy(f"{live}-wal", folder / "tickets.db-wal")
    writer.close()
    freeze()
    url = f"sqlite:///{folder / 'tickets.db'}"
    done = escflow("ticket", "list", "--db", url, "--flows", str(FLOWS))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "its write-ahead log tickets.db-wal holds changes that SQLite reads only through" in (
        done.stderr
    )
    assert "copy tickets.db and tickets.db-wal to a folder that can be written" in done.stderr


def test_an_older_schema_on_read_only_media_is_refused_with_the_upgrade_to_run(
    media: tuple[Path, Freeze],
) -> None:
    folder, freeze = media
    path = folder / "tickets.db"
    seeded(f"sqlite:///{path}")
    back_to_schema(path, 6)
    freeze()
    done = escflow("ticket", "list", "--db", f"sqlite:///{path}", "--flows", str(FLOWS))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"{path} has schema version 6, older than this escflow reads, and cannot be" in (
        done.stderr
    )
    assert f"run 'escflow db upgrade --db sqlite:///{path}' where it can be written" in done.stderr


def test_reading_where_the_file_can_be_written_upgrades_an_older_schema(tmp_path: Path) -> None:
    path = tmp_path / "tickets.db"
    seeded(f"sqlite:///{path}")
    back_to_schema(path, 6)
    done = escflow("ticket", "list", "--db", f"sqlite:///{path}", "--flows", str(FLOWS))
    assert done.returncode == 0, done.stderr
    reader = open_store(f"sqlite:///{path}", readonly=True)
    assert isinstance(reader, SQLiteStore)
    assert reader.schema_version() == latest("sqlite")
    with pytest.raises(
        StoreError, match=r"cannot save a flow version in .*: it was opened to read"
    ):
        reader.save_version("d" * 64, "f", "{}")
    reader.close()
