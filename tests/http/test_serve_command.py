"""``escflow serve`` as its own process: it says where it listens, SIGTERM lets the
requests in hand finish, SIGHUP reloads the flows, and it will not listen beyond loopback
without tokens."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from escflow.store import open_store
from tests.conftest import FLOWS, escflow

_LISTENING = re.compile(r"on http://127\.0\.0\.1:(\d+)")


@contextmanager
def serve(
    *args: str, environ: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``escflow serve --port 0 ARGS`` running; yields the process and its port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "escflow", "serve", "--port", "0", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(environ or {})},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = _LISTENING.search(line)
        assert found, line + proc.stderr.read() if proc.poll() is not None else line
        yield proc, int(found.group(1))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def test_sigterm_finishes_the_request_in_hand(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'escflow.db'}"
    body = json.dumps({"flow": "complaint", "id": "IN-HAND"}).encode()
    with serve("--db", db, "--flows", str(FLOWS)) as (proc, port):
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = (
            f"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        conn.sendall(head + body[:5])  # the request has begun: headers and part of its body
        # Another request answered on the one event loop: the first one's headers are read.
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        for _ in range(200):  # the server stops taking connections...
            if _refused(port):
                break
            time.sleep(0.05)
        assert _refused(port)
        conn.sendall(body[5:])  # ...and still finishes the one in hand
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
        conn.close()
        assert reply.startswith(b"HTTP/1.1 201"), reply[:200]
        assert proc.wait(30) == 0
        assert proc.stderr is not None
        assert "escflow: stopped" in proc.stderr.read()
    with open_store(db) as store:
        stored = store.get("IN-HAND")
        assert stored is not None
        assert stored.status == "open"


def test_sighup_reloads_the_flows_and_says_what_changed(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS, folder)
    db = f"sqlite:///{tmp_path / 'escflow.db'}"
    with serve("--db", db, "--flows", str(folder)) as (proc, port):
        url = f"http://127.0.0.1:{port}/api/v1/flows/complaint"
        before = httpx.get(url, timeout=10).json()["digest"]
        path = folder / "complaint.yaml"
        path.write_text(path.read_text().replace("window: 15-30 minutes", "window: 20-40 minutes"))
        proc.send_signal(signal.SIGHUP)
        assert proc.stderr is not None
        said = proc.stderr.readline()
        assert "flows reloaded: changed complaint" in said
        after = httpx.get(url, timeout=10).json()
        assert after["digest"] != before
        assert after["levels"][0]["window"]["window"] == "20-40 minutes"


def test_it_will_not_listen_beyond_loopback_without_tokens(tmp_path: Path) -> None:
    done = escflow(
        "serve",
        "--db",
        f"sqlite:///{tmp_path / 'escflow.db'}",
        "--flows",
        str(FLOWS),
        "--host",
        "0.0.0.0",
        environ={"ESCFLOW_TOKENS": ""},
    )
    assert done.returncode == 1
    assert "--host 0.0.0.0 would let anyone on the network act on every ticket" in done.stderr


def test_a_bad_tokens_file_names_its_line(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# who may call\nzendesk agent short\n")
    done = escflow("serve", "--flows", str(FLOWS), "--tokens", str(tokens))
    assert done.returncode == 1
    assert f"{tokens}:2: the token of 'zendesk' has 5 characters" in done.stderr
