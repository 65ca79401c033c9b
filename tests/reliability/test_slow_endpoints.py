"""Worker processes against a real slow HTTP endpoint, on a SQLite file and on PostgreSQL:
nothing sent twice, no escalation held back, a stop within seconds, every failure said."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from escflow import load_matrix
from escflow.runtime import Actions, Engine
from escflow.store import open_store
from tests.reliability.endpoints import SlowEndpoint, definitions, handled, running, worker


def seeder(flows: Path, url: str) -> Engine:
    """An engine that opens tickets of the hooks flow (it delivers nothing itself)."""
    return Engine(
        load_matrix(flows),
        open_store(url),
        actions=Actions(notify=print, handlers={"slow-report": print}),
    )


def slow_keys(url: str, ids: list[str]) -> set[str]:
    """The keys of the webhook and handler actions of these tickets."""
    store = open_store(url)
    return {a.key for i in ids for a in store.actions(i) if a.kind in ("webhook", "handler")}


def wait_until_delivered(url: str, keys: set[str], timeout: float) -> None:
    store = open_store(url)
    ids = {key.split(":", 1)[0] for key in keys}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = {a.key for i in ids for a in store.actions(i) if a.delivered_at is not None}
        if keys <= done:
            return
        time.sleep(0.2)
    raise AssertionError(f"not delivered within {timeout} s: {sorted(keys - done)}")


def test_two_workers_send_each_action_once_to_an_endpoint_slower_than_the_lease(
    url: str, tmp_path: Path
) -> None:
    # Each delivery takes 2 s, twice the lease: a lease that ran out under a worker still
    # delivering let the other worker take the same actions and send them again.
    with SlowEndpoint(delay=2.0) as endpoint:
        flows = definitions(tmp_path, endpoint.url)
        engine = seeder(flows, url)
        ids = [f"H-{n:02}" for n in range(12)]
        for ticket_id in ids:
            engine.open("hooks", ticket_id=ticket_id)
        keys = slow_keys(url, ids)
        assert len(keys) == 24
        options = ("--lease", "1", "--concurrency", "2", "--poll", "0.2")
        workers = [worker(tmp_path, url, *options, slow_handler=2.0) for _ in range(2)]
        with running(*workers) as said:
            wait_until_delivered(url, keys, timeout=120)
            time.sleep(2.5)  # long enough for a lease that ran out to be taken over
    posts = Counter(post.key for post in endpoint.posts)
    assert sorted(posts) == sorted(k for k in keys if k.endswith(":0"))
    assert set(posts.values()) == {1}, f"POSTed more than once: {posts.most_common(3)}"
    calls = Counter(str(call["key"]) for call in handled(tmp_path))
    assert sorted(calls) == sorted(k for k in keys if k.endswith(":1"))
    assert set(calls.values()) == {1}, f"handlers called more than once: {calls.most_common(3)}"
    assert len({call["pid"] for call in handled(tmp_path)}) == 2, "both workers delivered"
    assert not any("took over" in err or "lost the lease" in err for err in said), said


def test_a_slow_endpoint_holds_back_no_escalation(url: str, tmp_path: Path) -> None:
    # Every delivery takes 10 s; a ticket's deadline passes while they are under way. The
    # timers run apart from the deliveries: it escalates within the poll interval.
    poll = 1.0
    with SlowEndpoint(delay=10.0) as endpoint:
        flows = definitions(tmp_path, endpoint.url)
        engine = seeder(flows, url)
        for n in range(6):
            engine.open("hooks", ticket_id=f"H-{n}")
        process = worker(tmp_path, url, "--poll", str(poll), "--concurrency", "2")
        with running(process):
            while len(endpoint.posts) < 2:  # the worker is busy with slow deliveries
                time.sleep(0.05)
            # Opened as if 29 min 57 s ago: its 30-minute window ends in 3 s.
            due = datetime.now(UTC) + timedelta(seconds=3)
            engine.open("hooks", ticket_id="LATE", at=due - timedelta(minutes=30))
            store = open_store(url)
            while (ticket := store.get("LATE")) is not None and ticket.level == "level-1":
                time.sleep(0.02)
                assert datetime.now(UTC) < due + timedelta(seconds=60), "never escalated"
            seen = datetime.now(UTC)
            assert len(endpoint.posts) < 6, "the deliveries were still under way"
    lateness = (seen - due).total_seconds()
    print(f"escalation lateness with a 10 s endpoint, poll {poll:g} s: {lateness:.3f} s")
    assert 0 <= lateness < poll + 1.0
    [escalated] = [e for e in store.history("LATE") if e.kind == "escalated"]
    assert escalated.at == due, "at its own instant, as always"


def test_sigterm_stops_a_worker_within_seconds_and_gives_back_what_it_did_not_send(
    url: str, tmp_path: Path
) -> None:
    with SlowEndpoint(delay=30.0) as endpoint:
        flows = definitions(tmp_path, endpoint.url)
        engine = seeder(flows, url)
        ids = [f"H-{n}" for n in range(6)]
        for ticket_id in ids:
            engine.open("hooks", ticket_id=ticket_id)
        process = worker(tmp_path, url, "--concurrency", "2", "--timeout", "60")
        assert process.stderr is not None
        assert "started on" in process.stderr.readline()
        while len(endpoint.posts) < 2:
            time.sleep(0.05)
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        took = time.monotonic() - asked
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    assert took < 8, f"it took {took:.1f} s to stop"
    assert "2 deliveries still running after 5 s; their actions are given back" in err, err
    store = open_store(url)
    webhooks = [a for i in ids for a in store.actions(i) if a.kind == "webhook"]
    assert [a.status for a in webhooks] == ["pending"] * 6, "nothing marked delivered"
    assert {a.attempts for a in webhooks} == {0}
    # Given back: another worker claims every one of them at once, no lease to wait out.
    claimed = {a.key for a in store.pending_actions(datetime.now(UTC), 100)}
    assert {a.key for a in webhooks} <= claimed


def test_failing_deliveries_are_said_with_the_counts_so_far(url: str, tmp_path: Path) -> None:
    with SlowEndpoint(delay=0.0, status=503) as endpoint:
        flows = definitions(tmp_path, endpoint.url)
        engine = seeder(flows, url)
        for n in range(3):
            engine.open("hooks", ticket_id=f"H-{n}")
        # One more, opened as if an hour ago: it escalates at once, and its customer is told
        # through the actions log, on a full disk.
        engine.open("hooks", ticket_id="OLD", at=datetime.now(UTC) - timedelta(hours=1))
        process = worker(tmp_path, url, "--actions-log", "/dev/full", "--poll", "0.2")
        with running(process, status=1) as said:  # 1: the actions log was not written
            while len(endpoint.posts) < 4:
                time.sleep(0.05)
            time.sleep(1)
    [err] = said
    lines = err.splitlines()
    webhook = [line for line in lines if "cannot deliver webhook" in line]
    assert len(webhook) == 1, "the first of a kind at once, no more"
    assert re.search(
        rf" WARNING escflow\.worker: cannot deliver webhook to {re.escape(endpoint.url)}"
        r" \(action \S+:1:0, attempt 1 of 8\): "
        rf"{re.escape(endpoint.url)} answered 503 Service Unavailable;"
        # The counts so far: the other deliveries run at the same time, in any order.
        r" trying again at \S+ \(delivered \d+, retried [1-9]\d*, failed 0 so far\)$",
        webhook[0],
    ), webhook[0]
    full = [line for line in lines if "No space left on device" in line]
    assert full, err
    assert " WARNING escflow.worker: cannot deliver " in full[0], err
    assert re.search(
        rf"3 more deliveries of webhook to {re.escape(endpoint.url)} failed with DeliveryError in"
        r" the last \d+ s \(delivered \d+, retried \d+, failed 0 so far\)$",
        err,
        re.MULTILINE,
    ), err
    assert "escflow.worker: stopped: 1 tickets moved" in err
    assert lines[-1].startswith("escflow: cannot write the actions log /dev/full: No space left")
