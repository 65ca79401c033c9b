"""escflow as another project's dependency: the wheel that ``python -m build`` makes
installs in a fresh virtual environment, with its extras, and works there without the
source tree (its migrations and schema travel inside it)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FLOWS, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = out.glob("escflow-*.whl")
    return found


def test_the_wheel_holds_the_package_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for store in ("sqlite", "postgres"):
        migrations = sorted(p.name for p in (ROOT / "src/escflow/store/sql" / store).glob("*.sql"))
        assert migrations
        assert all(f"escflow/store/sql/{store}/{m}" in names for m in migrations)
    assert "escflow/py.typed" in names
    assert not [n for n in names if n.startswith("tests/")]


def test_the_wheel_installs_and_runs_in_a_fresh_environment(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin/pip"), "install", "--quiet", f"{wheel}[postgres,xlsx]"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    work = tmp_path / "elsewhere"  # no source tree here: only the installed package
    work.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin/escflow"), *args], cwd=work, capture_output=True, text=True
        )

    assert run("--version").stdout.strip() == f"escflow {_version()}"
    checked = run("validate", str(FLOWS))
    assert checked.returncode == 0, checked.stderr
    upgraded = run("db", "upgrade", "--db", f"sqlite:///{work / 't.db'}", "--format", "json")
    assert upgraded.returncode == 0, upgraded.stderr
    embedded = subprocess.run(
        [
            str(venv / "bin/python"),
            "-c",
            "import escflow, psycopg, openpyxl\n"
            "from escflow import load_matrix\n"
            f"print(len(load_matrix({str(FLOWS)!r}).flows))",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert embedded.returncode == 0, embedded.stderr
    assert int(embedded.stdout) == len([p for p in FLOWS.glob("*.yaml") if p.stem != "matrix"])


def _version() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    return text.split('\nversion = "', 1)[1].split('"', 1)[0]
