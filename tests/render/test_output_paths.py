"""``escflow render -o DIR``: every file is checked before any is written, and a failure
names the exact path and leaves the folder as it was. The ``dot`` format needs no
Graphviz, so these run everywhere."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.errors import RenderError
from escflow.render import (
    MATRIX_FILE,
    TicketPath,
    write_diagrams,
    write_ticket_path,
)
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
    assert code == 1
    assert stdout == ""
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
    assert code == 0
    assert "written" in stdout
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


# --- the Python API: write_diagrams and write_ticket_path, all or none -----------------


def test_write_diagrams_with_a_folder_in_the_way_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "d"
    (out / "logistics.dot").mkdir(parents=True)
    with pytest.raises(RenderError) as caught:
        write_diagrams(load_matrix(FLOWS), out, "dot")
    assert str(caught.value) == (
        f"cannot write {out / 'logistics.dot'}: it is a folder; move it away or write to"
        " another file; nothing was written"
    )
    assert listing(out) == {"logistics.dot": "d"}


def test_write_diagrams_puts_back_the_first_file_when_the_second_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    matrix = load_matrix(FLOWS)
    first, second = (f"{flow_id}.dot" for flow_id in sorted(matrix.flows)[:2])
    out = tmp_path / "d"
    out.mkdir()
    (out / first).write_text("digraph old {}\n")
    before = listing(out)
    renamed = fail_renaming_onto(monkeypatch, second)
    with pytest.raises(RenderError) as caught:
        write_diagrams(matrix, out, "dot")
    assert renamed[:3] == [first, second, first]  # replaced, failed, put back
    assert str(caught.value).startswith(f"cannot write {out / second}: No space left on device")
    assert "not writable" not in str(caught.value)  # the folder is not to blame
    assert listing(out) == before


def test_write_ticket_path_with_a_folder_in_the_way_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "d"
    (out / "T-7.dot").mkdir(parents=True)
    flow = load_matrix(FLOWS).flow("complaint")
    with pytest.raises(RenderError) as caught:
        write_ticket_path(flow, TicketPath("T-7"), out, "dot")
    assert str(caught.value) == (
        f"cannot write {out / 'T-7.dot'}: it is a folder; move it away or write to another file"
    )
    assert listing(out) == {"T-7.dot": "d"}


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot for svg")
def test_write_ticket_path_puts_back_the_first_file_when_the_second_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "d"
    out.mkdir()
    (out / "T-7.dot").write_text("digraph old {}\n")
    before = listing(out)
    renamed = fail_renaming_onto(monkeypatch, "T-7.svg")
    flow = load_matrix(FLOWS).flow("complaint")
    with pytest.raises(RenderError) as caught:
        write_ticket_path(flow, TicketPath("T-7"), out, "dot,svg")
    assert renamed == ["T-7.dot", "T-7.svg", "T-7.dot"]  # replaced, failed, put back
    assert str(caught.value).startswith(f"cannot write {out / 'T-7.svg'}: No space left")
    assert str(caught.value).endswith("nothing was written")
    assert listing(out) == before


def test_write_ticket_path_writes_every_format(tmp_path: Path) -> None:
    flow = load_matrix(FLOWS).flow("complaint")
    written = write_ticket_path(flow, TicketPath("T-7"), tmp_path / "new" / "d", "dot")
    assert written == [tmp_path / "new" / "d" / "T-7.dot"]
    assert written[0].read_bytes().startswith(b"digraph")


UNSAFE_IDS = {
    "../escaped": "%2E.%2Fescaped",
    "a/b": "a%2Fb",
    "a_b": "a_b",
    "a%2Fb": "a%252Fb",  # '%' is escaped too, so this is not taken for 'a/b'
    "..": "%2E.",
    "C:\\x?": "C%3A%5Cx%3F",
    "Réclamation 7": "Réclamation 7",
}


def test_write_ticket_path_keeps_any_ticket_id_inside_the_folder(tmp_path: Path) -> None:
    flow = load_matrix(FLOWS).flow("complaint")
    out = tmp_path / "out"
    for ticket_id, stem in UNSAFE_IDS.items():
        written = write_ticket_path(flow, TicketPath(ticket_id), out, "dot")
        assert written == [out / f"{stem}.dot"], ticket_id
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{s}.dot" for s in UNSAFE_IDS.values())


def test_a_long_ticket_id_is_cut_to_a_name_the_file_system_takes(tmp_path: Path) -> None:
    flow = load_matrix(FLOWS).flow("complaint")
    names = set()
    for last in "ab":
        ticket_id = "/" * 199 + last  # 600 bytes escaped; 255 is the most a name may have
        (written,) = write_ticket_path(flow, TicketPath(ticket_id), tmp_path, "dot")
        assert len(written.name.encode()) <= 255
        assert written.parent == tmp_path
        assert written.name.startswith("%2F%2F")
        assert "~" in written.name
        names.add(written.name)
    assert len(names) == 2, "ids that differ only past the cut still get a file each"


def fail_renaming_onto(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Make renaming a staged file onto ``name`` fail as a full disk would; the other
    renames (the files before it, and putting them back) work. Returns the names renamed
    onto, in order, as they are tried."""
    renamed: list[str] = []

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        renamed.append(Path(target).name)
        if Path(target).name == name and Path(source).name.startswith(f".{name}."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        REAL_REPLACE(source, target)

    monkeypatch.setattr(os, "replace", replace)
    return renamed
