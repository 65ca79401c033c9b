"""``escflow outbox``: what is stuck, queued again once repaired, or set aside, recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from escflow.store._sqlite import SQLiteStore
from tests.conftest import FLOWS, escflow, worker_once
from tests.store.test_damaged import Edit, database, seeded, sqlite_edit
from tests.store.test_worker import PAST

__all__ = ["database"]  # the fixture, shared


def run(url: str, *args: str) -> tuple[int, str, str]:
    done = escflow("outbox", *args, "--db", url)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def worker(url: str, log: Path) -> str:
    done = worker_once(url, log)
    assert done.returncode == 0, done.stderr
    return done.stderr


def logged(log: Path) -> list[str]:
    return [json.loads(line)["key"] for line in log.read_text(encoding="utf-8").splitlines()]


def test_repaired_rows_are_queued_again_and_put_back_on_the_schedule(
    database: tuple[str, Edit], tmp_path: Path
) -> None:
    url, edit = database
    [(payload,)] = edit("SELECT payload FROM outbox WHERE key = 'T-0:2:0'")
    edit(
        "UPDATE outbox SET payload = '{oops' WHERE key = 'T-0:2:0'",
        "UPDATE tickets SET attrs = '{oops' WHERE id = 'T-1'",
    )
    worker(url, tmp_path / "first.jsonl")

    status, out, _ = run(url, "list", "--status", "quarantined")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("T-0:2:0  notify -> support-manager  quarantined: payload is not")
    assert lines[1].startswith("ticket T-1  quarantined: attrs is not JSON: ")
    status, out, _ = run(url, "list", "--format", "json")
    listed = json.loads(out)
    assert [(a["key"], a["status"]) for a in listed["actions"]] == [("T-0:2:0", "quarantined")]
    assert listed["actions"][0]["damage"].startswith("payload is not JSON")
    assert [t["id"] for t in listed["quarantined_tickets"]] == ["T-1"]

    status, _, err = run(url, "retry", "--action", "T-0:2:0")
    assert status == 1
    assert "action T-0:2:0 still cannot be read (payload is not JSON" in err
    status, _, err = run(url, "retry", "--ticket", "T-1")
    assert status == 1
    assert "ticket 'T-1' in" in err
    assert "cannot be read (attrs" in err

    edit(  # the DBA puts the rows back as they were
        f"UPDATE outbox SET payload = '{payload}' WHERE key = 'T-0:2:0'",
        "UPDATE tickets SET attrs = '{}' WHERE id = 'T-1'",
    )
    status, out, _ = run(url, "list", "--status", "quarantined")
    assert "(it reads again now: 'escflow outbox retry' queues it)" in out
    status, out, _ = run(url, "retry", "--action", "T-0:2:0")
    assert status == 0
    assert out.startswith("T-0:2:0  queued again (it was quarantined: payload")
    status, out, _ = run(url, "retry", "--ticket", "T-1")
    assert (status, out) == (0, "ticket T-1  back on the schedule\n")
    status, out, _ = run(url, "list", "--status", "quarantined")
    assert out == "no actions quarantined\n"

    log = tmp_path / "again.jsonl"
    worker(url, log)
    assert "T-0:2:0" in logged(log), "delivered, under its own key"
    store = open_store(url)
    ticket = store.get("T-1")
    assert ticket is not None, "back on the schedule: moved"
    assert ticket.level == "level-7", "back on the schedule: moved"
    [again] = [a for a in store.actions("T-0") if a.key == "T-0:2:0"]
    assert (again.status, again.attempts, again.quarantine) == ("delivered", 1, None)


def failing(url: str, count: int) -> None:
    """``count`` tickets whose actions failed for good: their receiver was down."""

    def down(action: Action) -> None:
        raise ConnectionError("the mail server did not answer")

    matrix = load_matrix(FLOWS)
    handlers = dict.fromkeys(matrix.handler_names, down)
    engine = Engine(
        matrix,
        open_store(url),
        actions=Actions(notify=down, handlers=handlers, max_attempts=1),
    )
    for n in range(count):
        engine.open("complaint", priority="medium", ticket_id=f"F-{n}", at=PAST)
        engine.fire(f"F-{n}", "asks-for-manager", at=PAST)
    engine.deliver(PAST)


def test_failed_actions_are_retried_by_ticket_key_or_all_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    failing(url, 3)
    status, out, _ = run(url, "list", "--status", "failed")
    failed = [line.split()[0] for line in out.splitlines()]
    assert status == 0
    assert len(failed) == 6
    assert all(
        line.endswith("failed after 1 attempt: ConnectionError: the mail server did not answer")
        for line in out.splitlines()
    )
    assert run(url, "retry", "--ticket", "F-0")[1].splitlines() == [
        f"{key}  queued again (it was failed after 1 attempt: ConnectionError: the mail server"
        " did not answer)"
        for key in failed[:2]
    ]
    status, out, _ = run(url, "retry", "--all-failed", "--format", "json")
    assert json.loads(out)["queued"] == failed[2:]
    assert run(url, "retry", "--all-failed")[1] == (
        "nothing to retry: no failed or quarantined action\n"
    )
    status, _, err = run(url, "retry", "--action", failed[0])
    assert status == 1
    assert f"action {failed[0]} is pending: only a failed" in err
    log = tmp_path / "log.jsonl"
    worker(url, log)
    assert set(failed) <= set(logged(log)), "each delivered under the key it failed with"
    status, _, err = run(url, "retry", "--action", failed[0])
    assert status == 1
    assert f"action {failed[0]} is delivered (" in err


def test_a_discarded_action_is_recorded_and_never_delivered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    failing(url, 1)
    keys = [a.key for a in open_store(url).actions("F-0")]
    status, out, _ = run(url, "discard", "--action", keys[0], "--note", "called them instead")
    assert (status, out) == (
        0,
        f"{keys[0]}  discarded by cli (it was failed after 1 attempt: ConnectionError: the"
        " mail server did not answer)\n",
    )
    status, out, _ = run(url, "discard", "--action", keys[1], "--actor", "ana")
    assert status == 0
    status, out, _ = run(url, "list", "--status", "discarded", "--ticket", "F-0")
    lines = out.splitlines()
    assert lines[0].startswith(f"{keys[0]}  notify -> support-manager  discarded 20")
    assert lines[0].endswith(" by cli: called them instead")
    assert lines[1].endswith(" by ana")
    assert run(url, "list")[1] == "no actions pending, failed or quarantined\n"
    assert run(url, "retry", "--all-failed")[1].startswith("nothing to retry")
    log = tmp_path / "log.jsonl"
    worker(url, log)
    assert not set(keys) & set(logged(log)), "not delivered"
    status, _, err = run(url, "discard", "--action", keys[0])
    assert status == 1
    assert f"action {keys[0]} is discarded by cli (" in err
    [kept] = [a for a in open_store(url).actions("F-0") if a.key == keys[0]]
    assert (kept.discard_note, kept.last_error) == (
        "called them instead",
        "ConnectionError: the mail server did not answer",
    ), "the row stays, with what happened to it"


@pytest.mark.parametrize(
    ("args", "status", "said"),
    [
        (["retry"], 2, "one of the arguments --ticket --action --all-failed is required"),
        (["retry", "--ticket", "T-1", "--all-failed"], 2, "not allowed with argument"),
        (["discard"], 2, "the following arguments are required: --action"),
        (["list", "--status", "lost"], 2, "invalid choice: 'lost'"),
        (["list", "--limit", "0"], 2, "0 is out of range"),
        (["retry", "--action", "nonsense"], 1, "no action 'nonsense': an action's key is"),
        (["discard", "--action", "T-0:9:0"], 1, "no action 'T-0:9:0'"),
        (["retry", "--ticket", "NOPE"], 1, "no ticket 'NOPE'"),
        (["list", "--ticket", "NOPE"], 1, "no ticket 'NOPE'"),
    ],
)
def test_what_the_outbox_commands_refuse(
    tmp_path: Path, args: list[str], status: int, said: str
) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    seeded(url)
    before = (tmp_path / "t.db").read_bytes()
    got, _, err = run(url, *args)
    assert got == status, err
    assert said in err, err
    assert (tmp_path / "t.db").read_bytes() == before, "nothing changed"


def test_the_outbox_commands_refuse_a_database_that_is_not_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    for args in (["list"], ["retry", "--all-failed"], ["discard", "--action", "T-1:1:0"]):
        status, _, err = run(url, *args)
        assert status == 1
        assert "no escflow database at" in err
    assert list(tmp_path.iterdir()) == []


def test_ticket_outbox_shows_a_row_that_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    url = f"sqlite:///{path}"
    seeded(url)
    sqlite_edit(path)("UPDATE outbox SET payload = '' WHERE key = 'T-0:2:notice'")
    done = escflow("ticket", "outbox", "T-0", "--db", url, "--flows", str(FLOWS))
    assert done.returncode == 0, done.stderr
    line = done.stdout.splitlines()[1]
    assert line.startswith(
        "T-0:2:notice  customer -> customer  pending (its row cannot be read: payload is not JSON: "
    )
    assert line.endswith(" (it begins ''))")
    assert SQLiteStore(path).actions("T-0")[1].payload == {}
