"""``escflow ticket`` and ``escflow worker`` on a real SQLite file, as separate processes."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from tests.conftest import FLOWS, escflow, worker_command
from tests.store.conftest import read_only
from tests.store.test_postgres import sql

PAST = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday; every deadline since has passed


def seed(url: str, count: int) -> None:
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    engine = Engine(matrix, open_store(url), actions=Actions(notify=print, handlers=handlers))
    for n in range(count):
        engine.open(
            "complaint", priority="medium", ticket_id=f"T-{n}", at=PAST + timedelta(seconds=n)
        )


def test_ticket_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(FLOWS)]
    assert main(["ticket", "open", "complaint", "--id", "T-1", "--attr", "crm=77", *db]) == 0
    assert main(["ticket", "fire", "T-1", "asks-for-manager", "--note", "angry", *db]) == 0
    assert main(["ticket", "ack", "T-1", *db]) == 0
    assert main(["ticket", "show", "T-1", "--format", "json", *db]) == 0
    capsys.readouterr()
    assert main(["ticket", "show", "T-1", "--format", "json", *db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["step"], shown["attrs"], shown["status"]) == ("level-2", {"crm": 77}, "open")
    assert "needs-specialist" in shown["valid_triggers"]
    assert main(["ticket", "history", "T-1", "--format", "json", *db]) == 0
    kinds = [e["kind"] for e in json.loads(capsys.readouterr().out)]
    assert kinds[0] == "opened"
    assert kinds[-2:] == ["moved", "acknowledged"]
    assert main(["ticket", "fire", "T-1", "bad-review", *db]) == 1
    assert "valid from 'level-2'" in capsys.readouterr().err
    assert main(["ticket", "open", "complaint", "--attr", "nonsense", *db]) == 2


def test_ticket_list_shows_what_is_due_and_what_is_overdue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    seed(url, 2)  # opened in January: their windows have long passed
    db = ["--db", url, "--flows", str(FLOWS)]
    assert main(["ticket", "open", "helpdesk", "--id", "NEW-1", *db]) == 0
    assert main(["ticket", "pause", "NEW-1", *db]) == 0
    capsys.readouterr()
    assert main(["ticket", "list", *db]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = ["ID", "FLOW", "STATUS", "LEVEL", "STEP", "ASSIGNEE", "SLA", "NEXT", "DUE"]
    assert lines[0].split() == header
    assert [line.split()[0] for line in lines[1:]] == ["T-0", "T-1", "NEW-1"]
    # 09:15 UTC, shown in the complaint calendar's time (Paris, UTC+1 in January)
    assert lines[1].endswith("2026-01-05T10:15:00+01:00 (overdue)")
    assert lines[3].split()[2] == "paused"
    assert lines[3].endswith(" -")
    assert main(["ticket", "list", "--overdue", "--limit", "1", "--format", "json", *db]) == 0
    assert [t["id"] for t in json.loads(capsys.readouterr().out)] == ["T-0"]
    assert main(["ticket", "list", "--due-by", "2026-01-05T10:15:00+01:00", *db]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == ["T-0"]
    assert main(["ticket", "list", "--status", "resolved", *db]) == 0
    assert capsys.readouterr().out == "no tickets\n"
    assert main(["ticket", "list", "--flow", "complant", *db]) == 1
    assert "did you mean 'complaint'?" in capsys.readouterr().err
    for wrong, said in (
        (["--status", "opn"], "invalid choice: 'opn'"),
        (["--overdue", "--due-by", "2026-01-05T10:00Z"], "not allowed with argument"),
        (["--due-by", "2026-01-05T10:00"], "'2026-01-05T10:00' has no offset"),
        (["--limit", "0"], "0 is out of range"),
    ):
        assert main(["ticket", "list", *wrong, *db]) == 2
        assert said in capsys.readouterr().err


def test_evidence_and_the_outbox_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(FLOWS)]
    assert main(["ticket", "open", "complaint", "--id", "T-1", *db]) == 0
    attach = ["ticket", "attach", "T-1", "call", "rang about invoice 42", "--ref", "CALL-7"]
    assert main([*attach, "--occurred-at", "2026-11-23T09:30+01:00", *db]) == 0
    assert "attached [call CALL-7] (rang about invoice 42)" in capsys.readouterr().out
    assert main(["ticket", "history", "T-1", "--format", "json", *db]) == 0
    evidence = json.loads(capsys.readouterr().out)[-1]
    assert (evidence["kind"], evidence["note"]) == ("attached", "rang about invoice 42")
    assert evidence["data"] == {
        "kind": "call",
        "ref": "CALL-7",
        "occurred_at": "2026-11-23T08:30:00+00:00",
    }
    assert main(["ticket", "attach", "T-1", "fax", "x", *db]) == 2
    assert main(["ticket", "attach", "T-1", "note", " ", *db]) == 1
    assert "evidence needs a summary" in capsys.readouterr().err

    assert main(["ticket", "fire", "T-1", "asks-for-manager", *db]) == 0
    capsys.readouterr()
    assert main(["ticket", "outbox", "T-1", *db]) == 0
    queued = capsys.readouterr().out.splitlines()
    assert queued
    assert all(line.endswith("  pending") for line in queued)
    assert any("customer -> customer" in line for line in queued)
    log = tmp_path / "actions.jsonl"
    assert main(["worker", "--once", "--log-unhandled", "--actions-log", str(log), *db]) == 0
    assert main(["ticket", "outbox", "T-1", "--format", "json", *db]) == 0
    delivered = json.loads(capsys.readouterr().out)
    assert [a["key"] for a in delivered] == [line.split()[0] for line in queued]
    assert {a["status"] for a in delivered} == {"delivered"}
    assert all(a["attempts"] == 1 and a["delivered_at"] for a in delivered)
    notice = next(a for a in delivered if a["kind"] == "customer")
    assert "is moving to" in notice["payload"]["message"]
    assert main(["ticket", "outbox", "NOPE", *db]) == 1
    assert "no ticket 'NOPE'" in capsys.readouterr().err


def test_the_outbox_shows_retries_and_failures_with_their_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    matrix = load_matrix(FLOWS)

    def unreachable(action: object) -> None:
        raise ConnectionError("the mail server did not answer")

    for attempts in (8, 1):  # T-8 will retry; T-1 gives up after its only attempt
        engine = Engine(
            matrix,
            open_store(url),
            actions=Actions(
                notify=unreachable,
                handlers=dict.fromkeys(matrix.handler_names, unreachable),
                max_attempts=attempts,
            ),
        )
        engine.open("complaint", priority="medium", ticket_id=f"T-{attempts}")
        engine.fire(f"T-{attempts}", "asks-for-manager")
        engine.deliver()
    db = ["--db", url, "--flows", str(FLOWS)]
    capsys.readouterr()
    assert main(["ticket", "outbox", "T-8", *db]) == 0
    retrying = capsys.readouterr().out.splitlines()
    assert retrying, retrying
    assert all(
        "  pending, attempt 2 at " in line
        and line.endswith(": ConnectionError: the mail server did not answer")
        for line in retrying
    ), retrying
    assert main(["ticket", "outbox", "T-1", *db]) == 0
    failed = capsys.readouterr().out.splitlines()
    assert failed, failed
    assert all(
        line.endswith("failed after 1 attempt: ConnectionError: the mail server did not answer")
        for line in failed
    ), failed
    assert main(["ticket", "outbox", "T-1", "--format", "json", *db]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert {(a["status"], a["attempts"]) for a in outcome} == {("failed", 1)}
    assert all(a["failed_at"] and a["delivered_at"] is None for a in outcome)


def test_bytes_that_are_not_utf8_on_the_command_line_are_refused_cleanly(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(FLOWS)]
    assert escflow("ticket", "open", "complaint", "--id", "T-1", *db, cwd=tmp_path).returncode == 0
    before = escflow("ticket", "history", "T-1", "--format", "json", *db, cwd=tmp_path).stdout
    latin1 = "caf\udce9"  # what Python makes of the Latin-1 bytes b"caf\xe9" in argv
    for args in (
        ["ticket", "fire", "T-1", "asks-for-manager", "--note", latin1],
        ["ticket", "open", "complaint", "--id", latin1],
        ["ticket", "open", "complaint", "--attr", f"crm={latin1}"],
        ["ticket", "show", latin1],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "escflow", *args, *db],
            capture_output=True,
            check=False,
            cwd=tmp_path,
        )
        said = done.stderr.decode("utf-8", "backslashreplace")
        assert done.returncode == 1, said
        assert "Traceback" not in said
        assert "is not valid text: position 4 holds" in said
    drawn = subprocess.run(
        [sys.executable, "-m", "escflow", "render", "--ticket", latin1, db[0], db[1], "-o", "out"],
        capture_output=True,
        check=False,
        cwd=tmp_path,
    )
    said = drawn.stderr.decode("utf-8", "backslashreplace")
    assert drawn.returncode == 1, said
    assert "Traceback" not in said, said
    assert "ticket_id is not valid text" in said
    assert not (tmp_path / "out").exists()
    after = escflow("ticket", "history", "T-1", "--format", "json", *db, cwd=tmp_path).stdout
    assert json.loads(after) == json.loads(before), "nothing was written"


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--batch", "0"], "argument --batch: 0 is out of range; give 1 to 1,000 tickets"),
        (["--batch", "99999999999999999999"], "is out of range; give 1 to 1,000 tickets"),
        (["--concurrency", "65"], "argument --concurrency: 65 is out of range; give 1 to 64"),
        (["--timeout", "0"], "argument --timeout: 0 is out of range; give 0.001 to 3600"),
        (["--lease", "x"], "argument --lease: 'x' is not a number of seconds"),
        (["--handlers", "handlers"], "argument --handlers: 'handlers' is not MODULE:NAME"),
        (["--log-format", "xml"], "argument --log-format: invalid choice: 'xml'"),
        (["--batch", "many"], "argument --batch: 'many' is not a whole number"),
        (["--poll", "-1"], "argument --poll: -1 is out of range"),
        (["--poll", "nan"], "argument --poll: nan is out of range"),
    ],
)
def test_a_worker_option_out_of_range_is_a_usage_error(
    tmp_path: Path, option: list[str], said: str
) -> None:
    done = escflow(
        "worker", "--once", "--db", f"sqlite:///{tmp_path / 't.db'}", *option, cwd=tmp_path
    )
    assert done.returncode == 2
    assert said in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "t.db").exists(), "refused before the store is opened"


def test_worker_once_escalates_what_is_due(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    seed(url, 20)
    log = tmp_path / "actions.jsonl"
    done = escflow(*worker_command(url, "--once", "--actions-log", str(log))[3:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "20 tickets moved" in done.stderr
    store = open_store(url)
    for n in range(20):
        ticket = store.get(f"T-{n}")
        assert ticket is not None
        assert ticket.level == "level-7"
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len({line["key"] for line in lines}) == len(lines) > 0


def test_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    seed(url, 5)
    worker = subprocess.Popen(
        worker_command(url, "--poll", "0.2", "--actions-log", str(tmp_path / "log.jsonl")),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    store = open_store(url)
    while time.monotonic() < deadline:
        ticket = store.get("T-4")
        if ticket is not None and ticket.level == "level-7":
            break
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert " INFO escflow.worker: started on sqlite:///" in err
    assert " INFO escflow.worker: stopped: 5 tickets moved" in err
    assert "Traceback" not in err
    assert all(
        t is not None and t.level == "level-7" for t in (store.get(f"T-{n}") for n in range(5))
    )


def test_ticket_show_gives_where_the_flow_has_taken_an_unattended_ticket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Opened long ago and never ticked: the stored row says level 1, but its windows have
    # passed; show answers as the next call would see it, and lists what is not stored yet.
    url = f"sqlite:///{tmp_path / 't.db'}"
    seed(url, 1)
    db = ["--db", url, "--flows", str(FLOWS)]
    assert main(["ticket", "show", "T-0", "--format", "json", *db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["level"] == "level-7"
    assert shown["valid_triggers"] == ["resolved"]
    unstored = [(e["kind"], e["to"]) for e in shown["unstored_events"]]
    assert unstored[0] == ("warned", None)
    assert unstored[-1] == ("escalated", "level-7")
    assert main(["ticket", "show", "T-0", *db]) == 0
    out = capsys.readouterr().out
    assert f"{len(unstored)} timer events passed since the ticket was stored" in out
    assert main(["ticket", "history", "T-0", "--format", "json", *db]) == 0
    assert [e["kind"] for e in json.loads(capsys.readouterr().out)] == ["opened"], (
        "show stores nothing"
    )


def test_what_the_ticket_commands_refuse_before_touching_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(FLOWS)]
    usage = [
        (["ticket", "open", "complaint", "--attr", "k=v", "--attr", "k=w"], "gives 'k' twice"),
        (["ticket", "show", "T-1", "--actor", "ana"], "unrecognized arguments: --actor ana"),
        (["worker", "--once", "--format", "yaml"], "invalid choice: 'yaml'"),
        (["ticket", "list", "--due-by", "2026-11-23"], "write e.g. 2026-11-23T00:00+01:00"),
        (["ticket", "list", "--due-by", "0001-01-01T00:00Z"], "is out of range; escflow"),
        (["worker", "--poll", "1e-9"], "give 0.001 to 86400 seconds"),
    ]
    for args, message in usage:
        assert main([*args, *db]) == 2, args
        assert message in capsys.readouterr().err
    assert main(["worker", "--once", "--log-unhandled", "--actions-log", str(tmp_path), *db]) == 1
    assert f"cannot write the actions log {tmp_path}: Is a directory" in capsys.readouterr().err
    missing = tmp_path / "no" / "x.log"
    assert main(["worker", "--once", "--log-unhandled", "--actions-log", str(missing), *db]) == 1
    assert "No such file or directory; give a file in a folder that exists" in (
        capsys.readouterr().err
    )
    assert list(tmp_path.iterdir()) == [], "nothing opened, nothing made"


def test_history_keeps_one_event_a_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(FLOWS)]
    assert main(["ticket", "open", "complaint", "--id", "T-1", *db]) == 0
    assert main(["ticket", "ack", "T-1", "--note", "called back\nno answer\tyet", *db]) == 0
    capsys.readouterr()
    assert main(["ticket", "history", "T-1", *db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [str(n) for n in range(1, len(lines) + 1)]
    assert lines[-1].endswith("acknowledged (called back\\nno answer\\tyet) by cli")
    assert main(["ticket", "history", "T-1", "--format", "json", *db]) == 0
    assert json.loads(capsys.readouterr().out)[-1]["note"] == "called back\nno answer\tyet"


def test_actions_a_worker_marks_delivered_on_its_stdout_survive_a_kill(tmp_path: Path) -> None:
    # Standard output into a pipe is block-buffered: an action written there but still in
    # the buffer when the worker is killed was lost, though the store said it was delivered.
    url = f"sqlite:///{tmp_path / 's.db'}"
    seed(url, 3)
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    worker = subprocess.Popen(
        worker_command(url, "--poll", "0.2"),
        cwd=tmp_path,
        env=buffered,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    store = open_store(url)
    deadline = time.monotonic() + 30
    delivered: set[str] = set()
    while time.monotonic() < deadline and len(delivered) < 10:
        time.sleep(0.1)
        delivered = {
            a.key for n in range(3) for a in store.actions(f"T-{n}") if a.delivered_at is not None
        }
    assert len(delivered) >= 10, "the worker delivered nothing in 30 s"
    worker.kill()
    out, _ = worker.communicate(timeout=20)
    written = {json.loads(line)["key"] for line in out.decode().splitlines()}
    delivered = {
        a.key for n in range(3) for a in store.actions(f"T-{n}") if a.delivered_at is not None
    }
    assert delivered <= written


def delivered_keys(url: str, count: int, prefix: str = "T") -> set[str]:
    store = open_store(url)
    return {
        a.key
        for n in range(count)
        for a in store.actions(f"{prefix}-{n}")
        if a.delivered_at is not None
    }


def all_keys(url: str, count: int, prefix: str = "T") -> set[str]:
    store = open_store(url)
    return {a.key for n in range(count) for a in store.actions(f"{prefix}-{n}")}


def test_worker_once_stopped_mid_delivery_records_what_it_wrote(tmp_path: Path) -> None:
    # cron and systemd stop with SIGTERM: a --once worker killed by it had written actions
    # it never recorded as delivered, and the next run sent the whole batch again.
    url = f"sqlite:///{tmp_path / 's.db'}"
    seed(url, 50)
    once = subprocess.Popen(
        worker_command(url, "--once", "--batch", "1000"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert once.stdout is not None
    # The reader sets the pace: a pipe holds some 64 KB, then the worker waits on it.
    written = [json.loads(once.stdout.readline())["key"] for _ in range(10)]
    once.send_signal(signal.SIGTERM)
    # Read on from the same buffer: communicate() would skip what readline() read ahead.
    written += [json.loads(line)["key"] for line in once.stdout]
    assert once.stderr is not None
    err = once.stderr.read()
    assert once.wait(timeout=60) == 0, err
    assert "Traceback" not in err
    assert "worker: stopped by a signal" in err
    queued = all_keys(url, 50)
    assert 10 <= len(written) < len(queued), "it stopped before the end of the batch"
    assert set(written) <= delivered_keys(url, 50), "every action written is recorded"
    assert f"{len(written)} actions delivered" in err

    log = tmp_path / "next.jsonl"
    again = escflow(
        *worker_command(url, "--once", "--batch", "1000", "--actions-log", str(log))[3:],
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    resent = [json.loads(line)["key"] for line in log.read_text(encoding="utf-8").splitlines()]
    assert not set(resent) & set(written), "the next run sends none of them again"
    assert set(resent) | set(written) == queued == delivered_keys(url, 50)


class Lines:
    """What a process writes to a pipe, line by line, read as it comes (never blocking)."""

    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None
        self.seen: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put("")  # the end: the process closed it (it ended)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The first line from now on that holds ``text``."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if not line:
                raise AssertionError(f"it ended without {text!r}: {''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {timeout} s: {''.join(self.seen)}")

    def rest(self) -> str:
        """Everything it wrote and was not taken yet, once the process has ended."""
        while line := self._lines.get(timeout=30):
            self.seen.append(line)
        self._lines.put("")  # still ended, for the next call
        return "".join(self.seen)


def stopped(worker: subprocess.Popen[str], err: Lines) -> int:
    """The exit status of a worker told to stop; one still running after 30 s is a
    failure that shows what it said (it is killed so that its output ends)."""
    try:
        return worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        raise AssertionError(f"still running 30 s after SIGTERM; it said:\n{err.rest()}") from None


def wait_until_escalated(url: str, ids: list[str], worker: subprocess.Popen[str]) -> None:
    store = open_store(url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker.poll() is None:
        tickets = [store.get(i) for i in ids]
        if all(t is not None and t.level == "level-7" for t in tickets):
            return
        time.sleep(0.1)
    raise AssertionError(f"the worker did not escalate {ids} (exit status {worker.poll()})")


def test_a_worker_outlives_a_sqlite_file_locked_for_longer_than_the_busy_timeout(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    url = f"sqlite:///{path}"
    seed(url, 5)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    worker = subprocess.Popen(
        worker_command(url, "--poll", "0.2", "--actions-log", str(tmp_path / "log.jsonl")),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = Lines(worker.stderr)
    said = err.wait_for("trying again in")
    assert " WARNING escflow.worker: cannot " in said
    assert f"{path}: the database is locked" in said
    assert said.endswith("; trying again in 1s\n"), said
    other.execute("ROLLBACK")
    other.close()
    wait_until_escalated(url, [f"T-{n}" for n in range(5)], worker)
    deadline = time.monotonic() + 30
    while delivered_keys(url, 5) != all_keys(url, 5) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert delivered_keys(url, 5) == all_keys(url, 5), "the worker delivered the outbox"
    worker.send_signal(signal.SIGTERM)
    assert stopped(worker, err) == 0, err.rest()
    said = err.rest()
    assert "Traceback" not in said
    assert "escflow.worker: stopped: 5 tickets moved" in said


def test_a_worker_outlives_its_postgresql_connection_being_terminated(
    pg_url: str, tmp_path: Path
) -> None:
    name = f"escflow-{uuid.uuid4().hex[:8]}"  # to find the worker's connection on the server
    seed(pg_url, 3)
    worker = subprocess.Popen(
        worker_command(
            f"{pg_url}&application_name={name}",
            "--poll",
            "0.2",
            "--actions-log",
            str(tmp_path / "log.jsonl"),
        ),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = Lines(worker.stderr)
    wait_until_escalated(pg_url, [f"T-{n}" for n in range(3)], worker)
    ended = sql(
        pg_url,
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'",
    )
    assert ended, "its connections (one or two: its pool's)"
    assert set(ended) == {(True,)}, "its connections (one or two: its pool's)"
    said = err.wait_for("trying again in")
    assert " WARNING escflow.worker: cannot " in said, said
    assert "the connection failed" in said, said
    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, print)
    engine = Engine(matrix, open_store(pg_url), actions=Actions(notify=print, handlers=handlers))
    for n in range(3):
        engine.open("complaint", priority="medium", ticket_id=f"U-{n}", at=PAST)
    wait_until_escalated(pg_url, [f"U-{n}" for n in range(3)], worker)
    worker.send_signal(signal.SIGTERM)
    assert stopped(worker, err) == 0, err.rest()
    assert "Traceback" not in err.rest()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_an_actions_log_on_a_full_disk_fails_the_worker_without_a_traceback(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    seed(url, 3)
    done = escflow(*worker_command(url, "--once", "--actions-log", "/dev/full")[3:], cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    summary = re.search(
        r"worker: 3 tickets moved .* 0 actions delivered, (\d+) to retry", done.stderr
    )
    assert summary is not None, done.stderr
    assert int(summary[1]) == len(all_keys(url, 3)) > 0, done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        "escflow: cannot write the actions log /dev/full: No space left on device;"
    )
    assert delivered_keys(url, 3) == set(), "nothing counts as delivered"


def test_an_actions_log_of_a_dash_is_standard_output(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    seed(url, 2)
    done = escflow(*worker_command(url, "--once", "--actions-log", "-")[3:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = {json.loads(line)["key"] for line in done.stdout.splitlines()}
    assert written == delivered_keys(url, 2) == all_keys(url, 2) != set()
    assert not (tmp_path / "-").exists()
    helped = escflow("worker", "--help", cwd=tmp_path)
    assert "(default, or '-': stdout)" in " ".join(helped.stdout.split())


# --- a database that is not there -------------------------------------------------------


def test_commands_on_stored_tickets_refuse_a_database_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --db must not answer 'no tickets' from an empty database it just made:
    only 'ticket open' (and 'db upgrade') create one."""
    typo = tmp_path / "typo.db"
    db = ["--db", f"sqlite:///{typo}", "--flows", str(FLOWS)]
    commands = [
        ["ticket", "list", *db],
        ["ticket", "show", "T-1", *db],
        ["ticket", "history", "T-1", *db],
        ["ticket", "outbox", "T-1", *db],
        ["ticket", "fire", "T-1", "asks-for-manager", *db],
        ["ticket", "ack", "T-1", *db],
        ["ticket", "resolve", "T-1", *db],
        ["ticket", "attach", "T-1", "note", "called", *db],
        ["worker", "--once", "--log-unhandled", *db],
        ["render", "--ticket", "T-1", "-o", str(tmp_path / "out"), *db[:2]],
    ]
    for command in commands:
        assert main(command) == 1, command
        captured = capsys.readouterr()
        assert captured.out == "", command
        assert captured.err == (
            f"escflow: no escflow database at {typo}; check --db (or $ESCFLOW_DB), or create"
            f" one with 'escflow db upgrade --db sqlite:///{typo}' or 'escflow ticket open'"
            " (nothing was created)\n"
        ), command
    assert list(tmp_path.iterdir()) == [], "nothing made"
    typo.touch()  # an empty file is no database either, and stays as it was
    assert main(["ticket", "list", *db]) == 1
    assert "no escflow database at" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["typo.db"]
    assert typo.stat().st_size == 0


def test_the_worker_process_refuses_a_database_that_is_not_there(tmp_path: Path) -> None:
    typo = tmp_path / "typo.db"
    done = subprocess.run(
        worker_command(f"sqlite:///{typo}", "--once"), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"no escflow database at {typo}; check --db" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_ticket_open_creates_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.db"
    db = ["--db", f"sqlite:///{path}", "--flows", str(FLOWS)]
    assert main(["ticket", "open", "complaint", "--id", "T-1", *db]) == 0
    assert path.is_file()
    assert main(["ticket", "list", *db]) == 0
    assert main(["worker", "--once", "--log-unhandled", *db]) == 0
    assert "T-1" in capsys.readouterr().out


def test_commands_on_stored_tickets_refuse_a_postgresql_schema_without_escflow(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", pg_url, "--flows", str(FLOWS)]
    for command in (
        ["ticket", "list"],
        ["ticket", "show", "T-1"],
        ["worker", "--once", "--log-unhandled"],
    ):
        assert main([*command, *db]) == 1, command
        assert "no escflow database at postgresql://" in capsys.readouterr().err
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
    assert sql(pg_url, tables) == [(0,)], "no table made"
    assert main(["ticket", "open", "complaint", "--id", "T-1", *db]) == 0
    assert main(["ticket", "list", *db]) == 0
    assert "T-1" in capsys.readouterr().out


def test_a_worker_on_a_read_only_file_delivers_nothing(tmp_path: Path) -> None:
    """The worker claims the outbox before it delivers: on a file it cannot write it stops
    there, instead of sending every action and failing to record them, run after run."""
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    db = ["--db", url, "--flows", str(FLOWS)]
    assert escflow("ticket", "open", "complaint", "--id", "T-1", *db).returncode == 0
    assert escflow("ticket", "fire", "T-1", "asks-for-manager", *db).returncode == 0
    with read_only(tmp_path / "ro.db") as file_is:
        if not file_is:
            pytest.skip("cannot make a file read-only here (root, no 'chattr +i')")
        done = escflow("worker", "--once", "--log-unhandled", *db)
    assert done.returncode == 1, done.stderr
    assert "cannot claim pending actions in" in done.stderr
    assert "readonly" in done.stderr
    assert done.stdout == "", "no action delivered"
    assert all(a.status == "pending" and not a.attempts for a in open_store(url).actions("T-1"))
