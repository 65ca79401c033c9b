"""``escflow render -o DIR``: every file is checked before any is written, and a failure
names the exact path and leaves the folder as it was. The ``dot`` format needs no
Graphviz, so these run everywhere."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.render import MATRIX_FILE
from tests.conftest import FLOWS

REAL_REPLACE = os.replace


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def render(out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run(["render", str(FLOWS), "-o", str(out), "--format", "dot"], capsys)


def listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry of ``folder``: a file's content, or its kind (``p`` a FIFO, ``d`` a folder)."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.iterdir()):
        mode = path.lstat().st_mode
        found[path.name] = path.read_bytes() if stat.S_ISREG(mode) else stat.filemode(mode)[0]
    return found


def test_a_folder_in_place_of_a_diagram_is_named_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d"
    (out / "logistics.dot").mkdir(parents=True)
    code, stdout, err = render(out, capsys)
    assert code == 1 and stdout == ""
    assert err == (
        f"escflow: cannot write {out / 'logistics.dot'}: it is a folder; move it away or"
        " write to another file; nothing was written\n"
    )
    assert [p.name for p in out.iterdir()] == ["logistics.dot"]


def test_a_fifo_in_place_of_a_diagram_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d"
    out.mkdir()
    os.mkfifo(out / f"{MATRIX_FILE}.dot")
    code, _, err = render(out, capsys)
    assert code == 1
    assert f"cannot write {out / (MATRIX_FILE + '.dot')}: it is a FIFO (named pipe)" in err
    assert listing(out) == {f"{MATRIX_FILE}.dot": "p"}


def test_a_failed_rename_leaves_the_old_diagrams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d"
    out.mkdir()
    for flow_id in load_matrix(FLOWS).flows:
        (out / f"{flow_id}.dot").write_text("digraph old {}\n")
    (out / "complaint.dot").unlink()  # a new file for this run
    before = listing(out)

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        if Path(target).name == f"{MATRIX_FILE}.dot":  # the last file written
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        REAL_REPLACE(source, target)

    monkeypatch.setattr(os, "replace", replace)
    code, _, err = render(out, capsys)
    assert code == 1
    assert err.startswith(
        f"escflow: cannot write {out / (MATRIX_FILE + '.dot')}: No space left on device"
    )
    assert err.rstrip().endswith("nothing was written")
    assert listing(out) == before


def test_a_diagram_that_is_a_link_is_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d"
    out.mkdir()
    shared = tmp_path / "shared-complaint.dot"
    shared.write_text("old")
    (out / "complaint.dot").symlink_to(shared)
    code, stdout, _ = render(out, capsys)
    assert code == 0 and "written" in stdout
    assert (out / "complaint.dot").is_symlink()
    assert shared.read_text(encoding="utf-8").startswith("digraph complaint {")


def test_an_output_path_that_is_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "d"
    afile.write_text("mine")
    code, _, err = render(afile, capsys)
    assert code == 1
    assert err.startswith(f"escflow: {afile} is not a folder")
    assert afile.read_text() == "mine"
