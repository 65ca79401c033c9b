"""Where ``escflow import`` and ``escflow export`` write: every file or none, the file
that failed named, and a clear word for a folder given as a file (and the reverse), a
link, a FIFO, and a handbook whose flowcharts cannot be drawn."""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.errors import EscflowError, ExportError
from escflow.io import export_format, export_matrix, import_sheet, template_bytes
from tests.conftest import FLOWS, ROOT, escflow

SHEET = ROOT / "examples" / "escalation-matrix.xlsx"
REAL_REPLACE = os.replace
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A folder imported from the example sheet, then edited: each file ends with a
    comment the next import drops, and one flow file is gone (the next import adds it)."""
    out = tmp_path / "flows"
    assert run(["import", str(SHEET), "-o", str(out)], capsys)[0] == 0
    for path in out.iterdir():
        path.write_text(path.read_text(encoding="utf-8") + "# kept\n", encoding="utf-8")
    (out / "complaint.yaml").unlink()
    return out


# --- import: all or nothing -------------------------------------------------------------


def test_a_failed_import_leaves_the_folder_as_it_was(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = listing(imported)

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        if Path(target).name == "logistics.yaml":  # written last: the others are in place
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))
        REAL_REPLACE(source, target)

    monkeypatch.setattr(os, "replace", replace)
    code, out, err = run(["import", str(SHEET), "-o", str(imported)], capsys)
    assert code == 1
    assert out == ""
    assert err.startswith(
        f"escflow: cannot write {imported / 'logistics.yaml'}: Operation not permitted"
    )
    assert err.rstrip().endswith("nothing was written")
    assert listing(imported) == before


def test_the_same_import_succeeds_when_it_can_write(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The counterpart of the test above: the import does replace the files.
    assert run(["import", str(SHEET), "-o", str(imported)], capsys)[0] == 0
    files = listing(imported)
    assert "complaint.yaml" in files
    assert not any(content.endswith(b"# kept\n") for content in files.values())


@pytest.fixture
def reachable() -> Iterator[Path]:
    """A fresh folder in /tmp that every user can reach (pytest's own is private)."""
    folder = Path(tempfile.mkdtemp(prefix="escflow-test-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to act as another user",
)
def test_a_shared_folder_with_a_file_of_another_user(reachable: Path) -> None:
    # The sticky bit (as in /tmp): 'nobody' may add files, but not replace root's.
    tmp_path = reachable
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o1777)
    shared.chmod(0o1777)
    sheet = tmp_path / "book.xlsx"
    shutil.copyfile(SHEET, sheet)
    sheet.chmod(0o644)
    assert escflow("import", str(sheet), "-o", str(tmp_path / "full"), cwd=tmp_path).returncode == 0
    shutil.copyfile(tmp_path / "full" / "logistics.yaml", shared / "logistics.yaml")
    before = listing(shared)
    done = subprocess.run(
        [*AS_NOBODY, sys.executable, "-m", "escflow", "import", str(sheet), "-o", str(shared)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert f"cannot write {shared / 'logistics.yaml'}: Operation not permitted" in done.stderr
    assert "Traceback" not in done.stderr
    assert listing(shared) == before  # no matrix.yaml, no other flow, no temporary file


def test_import_into_a_file_says_it_is_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine")
    code, out, err = run(["import", str(SHEET), "-o", str(afile)], capsys)
    assert code == 1
    assert out == ""
    assert err == (
        f"escflow: {afile} is not a folder; give a folder to write into (it is created if"
        " missing)\n"
    )
    assert afile.read_text() == "mine"


def test_import_of_a_folder_asks_for_a_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "sheets"
    folder.mkdir()
    shutil.copyfile(SHEET, folder / "matrix.xlsx")
    code, _, err = run(["import", str(folder), "-o", str(tmp_path / "out")], capsys)
    assert code == 1
    assert err == (
        f"escflow: {folder} is a folder; import reads a spreadsheet file: give a .xlsx or"
        " .csv file (it holds matrix.xlsx)\n"
    )
    assert not (tmp_path / "out").exists()


def test_import_of_the_parent_folder_names_it(tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    done = escflow("import", "..", cwd=tmp_path / "here")
    assert done.returncode == 1
    assert done.stderr.startswith("escflow: .. is a folder; import reads a spreadsheet file")
    assert not (tmp_path / "here" / "flows").exists()


# --- export: links, FIFOs, the handbook's flowcharts ------------------------------------


def test_export_writes_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "real.csv").write_text("old")
    link = tmp_path / "matrix.csv"
    link.symlink_to("real.csv")
    assert run(["export", str(FLOWS), "-o", str(link)], capsys)[0] == 0
    assert link.is_symlink()
    assert (tmp_path / "real.csv").read_text(encoding="utf-8") != "old"


def test_export_refuses_a_fifo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "matrix.csv"
    os.mkfifo(fifo)
    code, _, err = run(["export", str(FLOWS), "-o", str(fifo)], capsys)
    assert code == 1
    assert f"escflow: cannot write {fifo}: it is a FIFO (named pipe)" in err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_handbook_without_dot_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = escflow("export", str(FLOWS), "-o", "h.html", cwd=tmp_path, path=str(empty))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("escflow: h.html was not written: the handbook's flowcharts")
    assert "'dot' program is not installed" in done.stderr
    assert ".md" in done.stderr
    assert not (tmp_path / "h.html").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_a_flow_dot_cannot_draw_is_named(tmp_path: Path) -> None:
    # A 'dot' that fails on one flow only, and hands the others to the real one.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text(
        "#!/bin/sh\n"
        'input=$(cat)\ncase "$input" in *"digraph logistics {"*)\n'
        '  echo "Error: out of memory" >&2; exit 1;;\nesac\n'
        f'printf "%s" "$input" | exec {shutil.which("dot")} "$@"\n'
    )
    (fake / "dot").chmod(0o755)
    path = f"{fake}{os.pathsep}{os.environ.get('PATH', '')}"
    done = escflow("export", str(FLOWS), "-o", "h.html", cwd=tmp_path, path=path)
    assert done.returncode == 1
    assert done.stderr.startswith(
        "escflow: h.html was not written: cannot draw the flowchart of flow 'logistics'"
    )
    assert "out of memory" in done.stderr
    assert not (tmp_path / "h.html").exists()


# --- import from Python: the same guarantee as the command ------------------------------


@pytest.fixture
def imported_in_python(tmp_path: Path) -> Path:
    """Like ``imported``, made through the Python API."""
    out = tmp_path / "flows"
    import_sheet(SHEET, out)
    for path in out.iterdir():
        path.write_text(path.read_text(encoding="utf-8") + "# kept\n", encoding="utf-8")
    (out / "complaint.yaml").unlink()
    return out


def test_import_sheet_with_a_folder_in_the_way_writes_nothing(imported_in_python: Path) -> None:
    blocker = imported_in_python / "complaint.yaml"
    blocker.mkdir()
    before = listing_with_kinds(imported_in_python)
    with pytest.raises(EscflowError) as caught:
        import_sheet(SHEET, imported_in_python)
    assert str(caught.value) == (
        f"cannot write {blocker}: it is a folder; move it away or write to another file;"
        " nothing was written"
    )
    assert listing_with_kinds(imported_in_python) == before
    assert before["complaint.yaml"] == "d"


def test_import_sheet_puts_back_the_first_file_when_the_second_fails(
    imported_in_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = listing(imported_in_python)
    order = list(import_sheet(SHEET, imported_in_python, dry_run=True).files)
    first, second = order[0].name, order[1].name
    assert first in before
    assert second in before
    renamed: list[str] = []

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        renamed.append(Path(target).name)
        if Path(target).name == second and Path(source).name.startswith(f".{second}."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        REAL_REPLACE(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(EscflowError) as caught:
        import_sheet(SHEET, imported_in_python)
    message = str(caught.value)
    assert message.startswith(
        f"cannot write {imported_in_python / second}: No space left on device"
    )
    assert message.endswith("nothing was written")
    assert renamed[:2] == [first, second]  # the first was in place when the second failed
    assert listing(imported_in_python) == before  # the first put back, no temporary left
    assert before[first].endswith(b"# kept\n")


def test_import_sheet_writes_every_file_when_it_can(imported_in_python: Path) -> None:
    result = import_sheet(SHEET, imported_in_python)
    files = listing(imported_in_python)
    assert set(files) == {path.name for path in result.written}
    assert not any(content.endswith(b"# kept\n") for content in files.values())


def listing_with_kinds(folder: Path) -> dict[str, bytes | str]:
    """Every entry of ``folder``: a file's content, or ``d`` for a folder."""
    return {p.name: "d" if p.is_dir() else p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: export_format(Path("matrix.txt")), "use a .xlsx, .csv, .md or .html file name"),
        (lambda: export_matrix(load_matrix(FLOWS), "pdf"), "choose one of xlsx, csv, md, html"),
        (lambda: template_bytes("md"), "the template is written as xlsx or csv, not 'md'"),
    ],
)
def test_an_unknown_export_format_is_an_export_error(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ExportError, match=re.escape(message)):
        call()
