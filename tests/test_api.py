"""The public API: a curated list of names, and the README's examples run as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import escflow
from escflow.compile import FLOW_RULES, MATRIX_RULES
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_public_names_are_curated() -> None:
    assert sorted(escflow.__all__) == sorted(set(escflow.__all__))
    for name in escflow.__all__:
        assert hasattr(escflow, name), name
        assert not name.startswith("_") or name == "__version__"
    public = {n for n in vars(escflow) if not n.startswith("_")}
    modules = {
        "cli",
        "compile",
        "errors",
        "io",
        "problems",
        "spec",
        "timing",
        "views",
        "runtime",
        "store",
        "render",
        "fileio",
    }
    assert public - set(escflow.__all__) <= modules


def test_every_error_derives_from_escflow_error() -> None:
    errors = [
        getattr(escflow, n)
        for n in escflow.__all__
        if n.endswith(("Error", "Ticket", "Trigger", "Closed", "Handler"))
        and isinstance(getattr(escflow, n), type)
    ]
    errors = [e for e in errors if issubclass(e, Exception)]
    assert len(errors) >= 9
    assert all(issubclass(e, escflow.EscflowError) for e in errors)


@pytest.mark.parametrize("index", range(len(re.findall(r"```python\n", README))))
def test_readme_example_runs(index: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)[index]
    # In a folder of its own beside the repository's flows: what an example writes (a
    # tickets file) starts afresh on every run.
    (tmp_path / "flows").symlink_to(ROOT / "flows")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md example {index + 1}", "exec"), {})


def test_readme_lists_every_check_code() -> None:
    codes = [r.code for r in FLOW_RULES] + [r.code for r in MATRIX_RULES]
    for code in codes:
        assert f"`{code}`" in README, code


def test_readme_commands_are_the_makefile_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make demo" in README and "make test" in README
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
    assert Path(ROOT / "scripts" / "system-packages").exists()
