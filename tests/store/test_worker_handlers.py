"""``escflow worker`` runs the handlers the flows name from the service's own code:
``--handlers MODULE:NAME`` and the ``escflow.handlers`` entry points, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from tests.reliability.endpoints import HANDLERS, definitions, handled

NOWHERE = "http://127.0.0.1:9/hook"  # nothing answers there: the webhooks fail, and retry


def setup(folder: Path, tickets: int = 2) -> str:
    """A SQLite file with ``tickets`` of the hooks flow, each waiting on its handler."""
    flows = definitions(folder, NOWHERE)
    url = f"sqlite:///{folder / 'w.db'}"
    engine = Engine(
        load_matrix(flows),
        open_store(url),
        actions=Actions(notify=print, handlers={"slow-report": print}),
    )
    for n in range(tickets):
        engine.open("hooks", ticket_id=f"H-{n}")
    return url


def run(
    folder: Path, url: str, *options: str, path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "escflow",
            "worker",
            "--once",
            "--db",
            url,
            "--flows",
            str(folder / "flows"),
            "--actions-log",
            str(folder / "actions.jsonl"),
            *options,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def handler_actions(url: str, tickets: int = 2) -> list[tuple[str, str]]:
    store = open_store(url)
    return [
        (a.key, a.status)
        for n in range(tickets)
        for a in store.actions(f"H-{n}")
        if a.kind == "handler"
    ]


def test_the_worker_runs_the_handlers_a_service_names(tmp_path: Path) -> None:
    url = setup(tmp_path)
    done = run(tmp_path, url, "--handlers", "slow_handlers:HANDLERS")
    assert done.returncode == 0, done.stderr
    assert sorted(str(c["key"]) for c in handled(tmp_path)) == ["H-0:1:1", "H-1:1:1"]
    assert handler_actions(url) == [("H-0:1:1", "delivered"), ("H-1:1:1", "delivered")]
    logged = (tmp_path / "actions.jsonl").read_text(encoding="utf-8")
    assert "slow-report" not in logged, "run, not written to the actions log"


def test_a_flow_calling_a_handler_nobody_provides_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    url = setup(tmp_path)
    done = run(tmp_path, url)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr == (
        "escflow: the flows call handlers nobody provides: 'slow-report' (hooks/level-1);"
        " give them with --handlers MODULE:NAME (a mapping of handler names to callables) or as"
        " 'escflow.handlers' entry points, or --log-unhandled to write their calls to the"
        " actions log instead\n"
    )
    assert handler_actions(url) == [("H-0:1:1", "pending"), ("H-1:1:1", "pending")]
    assert handled(tmp_path) == []
    logged = run(tmp_path, url, "--log-unhandled")  # a dry run: written down instead
    assert logged.returncode == 0, logged.stderr
    lines = (tmp_path / "actions.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["key"] for line in lines) == ["H-0:1:1", "H-1:1:1"]


@pytest.mark.parametrize(
    ("module", "spec", "said"),
    [
        (
            None,
            "nosuch_module:HANDLERS",
            "--handlers nosuch_module:HANDLERS: no module"
            " 'nosuch_module' (looked for in the current folder and the installed packages)",
        ),
        ("HANDLERS = {}\n", "svc:NOPE", "--handlers svc:NOPE: module 'svc' has no 'NOPE'"),
        (
            "HANDLERS = [print]\n",
            "svc:HANDLERS",
            "--handlers svc:HANDLERS: 'HANDLERS' is a list, not a mapping",
        ),
        (
            "HANDLERS = {'slow-report': 42}\n",
            "svc:HANDLERS",
            "--handlers svc:HANDLERS: the entry"
            " 'slow-report': 42 is not a name (text) and a callable",
        ),
        (
            "import json\nraise RuntimeError('no config')\n",
            "svc:HANDLERS",
            "--handlers"
            " svc:HANDLERS: importing it failed: RuntimeError: no config at {folder}/svc.py:2",
        ),
        (
            "def broken(:\n",
            "svc:HANDLERS",
            "--handlers svc:HANDLERS: importing it failed:"
            " SyntaxError: invalid syntax (svc.py, line 1) at {folder}/svc.py:1:12",
        ),
    ],
)
def test_handlers_that_cannot_be_loaded_are_said_where_and_why(
    tmp_path: Path, module: str | None, spec: str, said: str
) -> None:
    url = setup(tmp_path)
    if module is not None:
        (tmp_path / "svc.py").write_text(module, encoding="utf-8")
    done = run(tmp_path, url, "--handlers", spec)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert said.format(folder=tmp_path) in done.stderr, done.stderr
    assert handler_actions(url) == [("H-0:1:1", "pending"), ("H-1:1:1", "pending")]


def test_a_handler_given_twice_is_refused(tmp_path: Path) -> None:
    url = setup(tmp_path)
    (tmp_path / "other.py").write_text(HANDLERS, encoding="utf-8")
    done = run(
        tmp_path, url, "--handlers", "slow_handlers:HANDLERS", "--handlers", "other:HANDLERS"
    )
    assert done.returncode == 1
    assert (
        "--handlers other:HANDLERS and --handlers slow_handlers:HANDLERS both give handler"
        " 'slow-report'; give each handler once"
    ) in done.stderr


def installed(site: Path, name: str, points: str) -> None:
    """A distribution ``name`` in ``site`` (a folder on the path) with these entry points."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[escflow.handlers]\n{points}\n")


def test_handlers_come_from_the_entry_points_a_service_installs(tmp_path: Path) -> None:
    url = setup(tmp_path)
    site = tmp_path / "site"
    installed(site, "acme_service", "slow-report = acme_handlers:slow_report")
    (site / "acme_handlers.py").write_text(
        HANDLERS.replace('"handled.jsonl"', '"from-entry-point.jsonl"'), encoding="utf-8"
    )
    done = run(tmp_path, url, path=site)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "from-entry-point.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["key"] for line in calls) == ["H-0:1:1", "H-1:1:1"]
    assert handler_actions(url) == [("H-0:1:1", "delivered"), ("H-1:1:1", "delivered")]


def test_an_entry_point_that_cannot_be_loaded_is_said(tmp_path: Path) -> None:
    url = setup(tmp_path)
    site = tmp_path / "site"
    installed(site, "acme_service", "slow-report = acme_gone:slow_report")
    done = run(tmp_path, url, path=site)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        "the 'escflow.handlers' entry point 'slow-report' (acme_gone:slow_report) cannot be"
        " loaded: ModuleNotFoundError: No module named 'acme_gone'"
    ) in done.stderr


def test_handlers_given_on_the_command_line_go_before_an_entry_point(tmp_path: Path) -> None:
    url = setup(tmp_path)
    site = tmp_path / "site"
    installed(site, "acme_service", "slow-report = acme_gone:slow_report")
    done = run(tmp_path, url, "--handlers", "slow_handlers:HANDLERS", path=site)
    assert done.returncode == 1, "an entry point that cannot be loaded is said all the same"
    installed(site, "acme_other", "other-report = builtins:print")
    (site / "acme_service-1.0.dist-info" / "entry_points.txt").write_text(
        "[escflow.handlers]\nslow-report = builtins:print\n"
    )
    done = run(tmp_path, url, "--handlers", "slow_handlers:HANDLERS", path=site)
    assert done.returncode == 0, done.stderr
    assert sorted(str(c["key"]) for c in handled(tmp_path)) == ["H-0:1:1", "H-1:1:1"]
