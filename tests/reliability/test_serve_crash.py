"""kill -9 of ``escflow serve`` in a burst of POSTs that a client retries with the same
idempotency keys: after the restart, every call that was answered 2xx is in the store
exactly once, and every call retried until answered is there once too, none twice."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter
from pathlib import Path

import httpx

from escflow.store import open_store
from tests.conftest import FLOWS
from tests.http.test_serve_command import serve

CALLS = 80
THREADS = 8


def _attach(client: httpx.Client, base: str, n: int) -> int | None:
    """The status of one keyed attach, or None when the server went away mid-call."""
    try:
        answer = client.post(
            f"{base}/api/v1/tickets/T-1/attach",
            json={"kind": "note", "summary": f"note {n}"},
            headers={"Idempotency-Key": f"burst-{n}"},
            timeout=30,
        )
    except httpx.TransportError:
        return None
    return answer.status_code


def test_a_killed_server_applies_each_answered_call_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'escflow.db'}"
    answered: dict[int, int] = {}
    lock = threading.Lock()
    with serve("--db", db, "--flows", str(FLOWS)) as (proc, port):
        base = f"http://127.0.0.1:{port}"
        opened = httpx.post(f"{base}/api/v1/tickets", json={"flow": "complaint", "id": "T-1"})
        assert opened.status_code == 201
        killed = threading.Event()

        def work(start: int) -> None:
            with httpx.Client() as client:
                for n in range(start, CALLS, THREADS):
                    status = _attach(client, base, n)
                    if status is None:
                        return
                    with lock:
                        answered[n] = status
                        if len(answered) >= CALLS // 3 and not killed.is_set():
                            killed.set()
                            os.kill(proc.pid, signal.SIGKILL)  # in the middle of the burst

        threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        proc.wait(30)
    assert killed.is_set()
    ok = {n for n, status in answered.items() if 200 <= status < 300}
    assert ok, answered
    assert len(ok) < CALLS  # the kill came before the end of the burst
    with serve("--db", db, "--flows", str(FLOWS)) as (_, port):
        base = f"http://127.0.0.1:{port}"
        with httpx.Client() as client:
            for n in range(CALLS):  # the client retries every call with its key
                assert _attach(client, base, n) == 200, n
    with open_store(db) as store:
        notes = Counter(e.note for e in store.history("T-1") if e.kind == "attached")
    assert all(notes[f"note {n}"] == 1 for n in ok), {n: notes[f"note {n}"] for n in ok}
    assert notes == Counter({f"note {n}": 1 for n in range(CALLS)}), json.dumps(notes)
