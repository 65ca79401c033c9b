"""Shared fixtures: the repository's folders and a writer of small definition files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "flows"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The tests marked slow, by where they are (`make test-fast` leaves them out): processes
# killed and raced, slow endpoints, memory at the largest batch, fuzzing.
SLOW = (
    "tests/reliability/",
    "tests/test_fuzz.py",
    "tests/store/test_worker.py",
    "tests/store/test_claims.py",
    "tests/test_install.py",
    "tests/http/test_fuzz_api.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests under :data:`SLOW` ``slow``."""
    for item in items:
        where = Path(str(item.path)).relative_to(ROOT).as_posix()
        if where.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


def flows_without_sla(folder: Path) -> Path:
    """A copy of ``flows/`` in ``folder`` whose flows set no SLA: tickets as escflow
    made them before the SLA had timers (schema 8), for the tests of older schemas."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in FLOWS.glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        # 'sla:' and its indented lines, up to the next top-level key.
        text = re.sub(r"(?m)^sla:\n(?:[ #].*\n|\n)*", "", text)
        (folder / source.name).write_text(text, encoding="utf-8")
    return folder


def escflow(
    *args: str,
    cwd: Path | None = None,
    path: str | None = None,
    umask: int = -1,
    environ: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``escflow ARGS`` as its own process (in ``cwd``, with ``PATH`` set to ``path``,
    under ``umask``, with the variables of ``environ`` added, when given) and return what
    it printed and its exit status."""
    env = {**os.environ, **(environ or {})}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "escflow", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        umask=umask,
        timeout=300,
    )


def worker_command(url: str, *options: str) -> list[str]:
    """The command line of an ``escflow worker`` process on ``url``, running ``flows/``
    (whose handlers, which no test service provides, it writes to its actions log)."""
    return [
        sys.executable,
        "-m",
        "escflow",
        "worker",
        "--db",
        url,
        "--flows",
        str(FLOWS),
        "--log-unhandled",
        *options,
    ]


def worker_once(url: str, log: Path) -> subprocess.CompletedProcess[str]:
    """One round of ``escflow worker --once`` on ``url`` (see :func:`worker_command`),
    its actions appended to ``log``."""
    command = worker_command(url, "--once", "--actions-log", str(log))
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


MATRIX = """\
escflow: 1
kind: matrix
name: Test matrix
calendar: office
issue_types: {support: {name: Support}}
priorities: {normal: {}, urgent: {entry: 2, factor: 0.5}}
calendars: {office: {timezone: Europe/Paris, hours: {mon-fri: "09:00-17:00"}}}
contacts:
  agent: {name: Agent, kind: team}
  lead: {name: Lead, kind: person}
"""

FLOW = """\
escflow: 1
kind: flow
id: f
name: F
issue_type: support
levels:
  - level: 1
    contact: agent
    window: 15-30 minutes
    triggers:
      - {id: done, label: Done, to: resolved}
  - level: 2
    contact: lead
    window: until resolution
    triggers:
      - {id: done, label: Done, to: resolved}
"""

Write = Callable[[str, str | bytes], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write a file under a fresh folder and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
