"""What ``escflow worker`` logs, as a real process: the ``escflow.worker`` and
``escflow.store`` records, ``--log-level`` and ``--log-format``, and never a password."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from escflow import load_matrix
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from tests.conftest import worker_command
from tests.reliability.endpoints import definitions, worker
from tests.store.test_postgres import sql
from tests.store.test_worker import Lines, seed, wait_until_escalated
from tests.store.test_worker_handlers import run, setup

PASSWORD = "s3cret-pass-77"


def with_password(url: str) -> str:
    """The URL with a password (the test server trusts its clients: it is never checked)."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)


def records(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines()]


def test_the_worker_logs_json_records_of_both_parts_and_never_the_password(
    pg_url: str, tmp_path: Path
) -> None:
    name = f"escflow-{uuid.uuid4().hex[:8]}"  # to find the worker's connections on the server
    url = with_password(f"{pg_url}&application_name={name}")
    seed(url, 3)
    process = subprocess.Popen(
        worker_command(
            url,
            "--poll",
            "0.2",
            "--log-format",
            "json",
            "--log-level",
            "debug",
            "--actions-log",
            str(tmp_path / "log.jsonl"),
        ),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = Lines(process.stderr)
    wait_until_escalated(pg_url, [f"T-{n}" for n in range(3)], process)
    sql(
        pg_url,
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'",
    )
    err.wait_for("trying again in")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    said = err.rest()
    assert PASSWORD not in said
    found = records(said)
    assert {r["logger"] for r in found} == {"escflow.worker", "escflow.store"}
    assert all(set(r) >= {"time", "level", "logger", "message"} for r in found)
    assert all(
        r["time"].endswith("Z") and r["level"] in ("debug", "info", "warning") for r in found
    )
    assert found[0]["message"].endswith(": connected (1 of the pool open)"), "the first one"
    [started] = [r for r in found if r["message"].startswith("started on ")]
    assert started["message"].startswith("started on postgresql://postgres@127.0.0.1")
    moved = [r for r in found if r["message"].startswith("3 tickets moved")]
    assert moved
    assert {"tickets", "events", "delivered", "retried", "failed"} <= set(moved[0])
    dropped = [
        r for r in found if r["logger"] == "escflow.store" and "a connection failed" in r["message"]
    ]
    assert dropped
    assert dropped[0]["level"] == "warning"
    retried = [r for r in found if "trying again in" in r["message"]]
    assert retried
    assert retried[0]["retry_in"] == 1
    assert "the connection failed" in retried[0]["message"]
    assert found[-1]["message"].startswith("stopped: 3 tickets moved")
    assert {"tickets", "events", "delivered", "retried", "failed"} <= set(found[-1])


def test_the_log_level_keeps_what_is_less_severe_out(tmp_path: Path) -> None:
    url = setup(tmp_path)
    done = run(tmp_path, url, "--log-unhandled", "--log-level", "warning")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines, lines
    assert all(" WARNING escflow.worker: " in line for line in lines), lines
    done = run(tmp_path, url, "--log-unhandled", "--log-level", "error")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr


def test_a_webhook_address_is_said_without_its_password(tmp_path: Path) -> None:
    flows = definitions(tmp_path, f"http://hooks:{PASSWORD}@127.0.0.1:9/hook?token={PASSWORD}")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    seed_hooks(flows, url)
    process = worker(tmp_path, url, "--poll", "0.2")
    assert process.stderr is not None
    assert "started on" in process.stderr.readline()
    time.sleep(2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert "cannot deliver webhook to http://127.0.0.1:9/hook (action H-0:1:0" in err, err
    assert PASSWORD not in err


def seed_hooks(flows: Path, url: str) -> None:
    actions = Actions(notify=print, handlers={"slow-report": print})
    Engine(load_matrix(flows), open_store(url), actions=actions).open("hooks", ticket_id="H-0")
