"""``escflow render``: in-process for the usual cases, as a real process without ``dot``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.render import MATRIX_FILE
from tests.conftest import FLOW, FLOWS, MATRIX, Write


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_render_writes_svg_and_dot_per_flow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "diagrams"
    code, stdout, _ = run(["render", str(FLOWS), "-o", str(out), "--format", "svg,dot"], capsys)
    flows = load_matrix(FLOWS).flows
    assert code == 0
    assert f"{len(flows)} flows and the matrix overview as svg, dot" in stdout
    assert len(list(out.iterdir())) == 2 * (len(flows) + 1)
    assert (out / "complaint.svg").read_bytes().startswith(b"<?xml")
    assert (out / f"{MATRIX_FILE}.dot").read_text().startswith("digraph matrix")


def test_render_lr_and_a_single_flow_file(
    tmp_path: Path, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    write("matrix.yaml", MATRIX)
    flow = write("flow.yaml", FLOW)
    out = tmp_path / "out"
    code, _, _ = run(
        ["render", str(flow), "-o", str(out), "--format", "dot", "--direction", "lr"], capsys
    )
    assert code == 0
    assert "rankdir=LR" in (out / "f.dot").read_text()


def test_an_unknown_format_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["render", str(FLOWS), "-o", str(tmp_path / "out"), "--format", "svg,gif"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown format 'gif'; choose from svg, png, pdf, dot" in err
    assert not (tmp_path / "out").exists()


def test_an_unwritable_output_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(["render", str(FLOWS), "-o", str(blocker / "diagrams")], capsys)
    assert code == 1
    assert err.startswith(f"escflow: output folder {blocker / 'diagrams'} is not writable")
    assert "Traceback" not in err


def test_a_flow_that_fails_validation_is_not_drawn(
    tmp_path: Path, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    write("matrix.yaml", MATRIX)
    flow = write(
        "flow.yaml", FLOW.replace("to: resolved}\n  - level: 2", "to: resolvd}\n  - level: 2")
    )
    out = tmp_path / "out"
    code, _, err = run(["render", str(flow.parent), "-o", str(out)], capsys)
    assert code == 1
    assert "E101" in err
    assert f"'escflow validate {flow.parent}'" in err
    assert not out.exists()


def test_without_dot_the_message_says_how_to_install_it(tmp_path: Path) -> None:
    # A real process whose PATH has no Graphviz at all: only an empty folder.
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "escflow", "render", str(FLOWS), "-o", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(empty)},
    )
    assert done.returncode == 1
    assert "'dot' program is not installed" in done.stderr
    assert "apt-get install graphviz" in done.stderr
    assert "make test" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
