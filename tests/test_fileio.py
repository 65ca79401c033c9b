"""Output that is whole or absent: files (all of a set or none, through links, never over
a FIFO or a folder) and standard output (a full disk or a closed pipe is said, not a
traceback)."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from escflow.cli import main
from escflow.errors import EscflowError
from escflow.fileio import write_all, write_atomic
from tests.conftest import FLOWS

REAL_REPLACE = os.replace


def fail_replacing(monkeypatch: pytest.MonkeyPatch, name: str, code: int = errno.EPERM) -> None:
    """Make renaming a file onto ``name`` fail as the system would (e.g. a sticky folder)."""

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        if Path(target).name == name and Path(source).name.startswith(f".{name}."):
            raise OSError(code, os.strerror(code))
        REAL_REPLACE(source, target)

    monkeypatch.setattr(os, "replace", replace)


def listing(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden temporary files included) and its content."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --- several files: all or none ---------------------------------------------------------


@pytest.mark.parametrize("hard_links", [True, False], ids=["linked", "copied"])
def test_a_failed_rename_puts_back_the_files_already_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    (tmp_path / "a.yaml").write_text("old a\n")
    (tmp_path / "c.yaml").write_text("old c\n")
    (tmp_path / "a.yaml").chmod(0o640)
    before = listing(tmp_path)
    if not hard_links:  # e.g. protected hard links: the old files are copied aside

        def no_link(*_: object) -> None:
            raise PermissionError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_link)
    fail_replacing(monkeypatch, "c.yaml")
    files = {tmp_path / name: f"new {name}\n".encode() for name in ("a.yaml", "b.yaml", "c.yaml")}
    with pytest.raises(EscflowError) as caught:
        write_all(files, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"cannot write {tmp_path / 'c.yaml'}: Operation not permitted")
    assert "nothing was written" in message
    assert "permissions" in message
    assert listing(tmp_path) == before  # a.yaml back, b.yaml gone, no temporary left
    assert stat.S_IMODE((tmp_path / "a.yaml").stat().st_mode) == 0o640


def test_a_failed_write_changes_nothing_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.yaml").write_text("old a\n")
    before = listing(tmp_path)
    real_fsync = os.fsync
    calls: list[int] = []

    def full_disk(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == 2:  # the second file's content
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(EscflowError, match=r"cannot write .*b\.yaml: No space left.*free some"):
        write_all({tmp_path / "a.yaml": b"new a\n", tmp_path / "b.yaml": b"new b\n"}, tmp_path)
    assert listing(tmp_path) == before


def test_folders_made_for_a_failed_write_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_replacing(monkeypatch, "b.yaml", errno.EACCES)
    target = tmp_path / "new" / "deeper"
    with pytest.raises(EscflowError, match=r"b\.yaml: Permission denied"):
        write_all({target / "a.yaml": b"a", target / "b.yaml": b"b"}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_every_file_is_written_with_the_mode_of_the_one_it_replaces(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("old")
    (tmp_path / "a.yaml").chmod(0o600)
    write_all({tmp_path / "a.yaml": b"new a", tmp_path / "sub" / "b.yaml": b"new b"}, tmp_path)
    assert listing(tmp_path) == {"a.yaml": b"new a", "sub/b.yaml": b"new b"}
    assert stat.S_IMODE((tmp_path / "a.yaml").stat().st_mode) == 0o600


def test_a_file_inside_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("keep")
    with pytest.raises(EscflowError, match=r"plain/x\.yaml: .*plain is not a folder"):
        write_atomic(tmp_path / "plain" / "x.yaml", b"x")
    assert listing(tmp_path) == {"plain": b"keep"}


# --- what a path is: links, FIFOs, folders ----------------------------------------------


def test_a_symbolic_link_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert link.readlink() == Path("real.json")
    assert real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_a_dangling_link_makes_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to("made.json")
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert (tmp_path / "made.json").read_bytes() == b"new"


def test_schema_output_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "real.json").write_text("old")
    link = tmp_path / "schema.json"
    link.symlink_to(tmp_path / "real.json")
    assert main(["schema", "-o", str(link)]) == 0
    assert link.is_symlink()
    assert (tmp_path / "real.json").read_text().startswith("{")


def test_a_fifo_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(EscflowError, match=r"pipe\.json: it is a FIFO .*not a regular file"):
        write_atomic(fifo, b"data")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe.json"]


def test_a_link_to_a_fifo_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.json").symlink_to("pipe")
    assert main(["schema", "-o", str(tmp_path / "link.json")]) == 1
    err = capsys.readouterr().err
    assert f"link.json (a link to {tmp_path / 'pipe'}): it is a FIFO" in err
    assert stat.S_ISFIFO((tmp_path / "pipe").lstat().st_mode)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out.json").mkdir()
    with pytest.raises(EscflowError, match=r"out\.json: it is a folder"):
        write_atomic(tmp_path / "out.json", b"data")
    assert (tmp_path / "out.json").is_dir()


def test_one_file_named_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "link.yaml").symlink_to("a.yaml")
    with pytest.raises(EscflowError, match="same file"):
        write_all({tmp_path / "a.yaml": b"1", tmp_path / "link.yaml": b"2"}, tmp_path)
    assert not (tmp_path / "a.yaml").exists()


# --- standard output --------------------------------------------------------------------

FULL = Path("/dev/full")


def escflow(*args: str, stdout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "escflow", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [["schema"], ["matrix", str(FLOWS)], ["validate", str(FLOWS), "--format", "json"]],
    ids=["schema", "matrix", "validate"],
)
def test_a_full_standard_output_is_said_in_one_line(args: list[str]) -> None:
    # /dev/full is only the redirect target here: opening it to write replaces nothing.
    with FULL.open("w") as full:
        done = escflow(*args, stdout=full.fileno())
    assert done.returncode == 1
    assert done.stderr == (
        "escflow: cannot write the output to standard output: No space left on device;"
        " the output is incomplete\n"
    )


@pytest.mark.parametrize("args", [["schema"], ["matrix", str(FLOWS)]], ids=["schema", "matrix"])
def test_a_closed_pipe_ends_the_command_quietly(args: list[str]) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # like `| head` that has already gone
    try:
        done = escflow(*args, stdout=writer)
    finally:
        os.close(writer)
    assert done.returncode == 141
    assert done.stderr == ""
