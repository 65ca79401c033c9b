"""A real slow HTTP endpoint, a flow that calls it, and a service's handlers module: what
the worker tests run real worker processes against."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import MATRIX

HANDLERS = '''\
"""A service's handlers: each call is written down, after the time a slow one takes."""
import json, os, time

def slow_report(action):
    time.sleep(float(os.environ.get("SLOW_HANDLER_SECONDS", "0")))
    line = json.dumps({"key": action.key, "pid": os.getpid(), "at": time.time()}) + "\\n"
    with open("handled.jsonl", "a", encoding="utf-8") as calls:
        calls.write(line)

HANDLERS = {"slow-report": slow_report}
'''


def hooks_flow(url: str) -> str:
    """A flow whose first level POSTs to ``url`` and calls the handler ``slow-report``;
    its window ends after 30 minutes, when the ticket escalates to level 2."""
    return f"""\
escflow: 1
kind: flow
id: hooks
name: Hooks to a slow endpoint
issue_type: support
levels:
  - level: 1
    contact: agent
    window: 15-30 minutes
    responses:
      - webhook: {url}
        label: Tell the slow service
      - handler: slow-report
        label: Report it slowly
    triggers:
      - {{id: done, label: Done, to: resolved}}
  - level: 2
    contact: lead
    window: until resolution
    triggers:
      - {{id: done, label: Done, to: resolved}}
"""


@dataclass(frozen=True)
class Post:
    """One request the endpoint received: its idempotency key, and when (epoch seconds)."""

    key: str
    at: float


class SlowEndpoint:
    """An HTTP server on 127.0.0.1 that answers every POST after ``delay`` seconds (with
    ``status``), keeping each request it received."""

    def __init__(self, delay: float, status: int = 200) -> None:
        self.delay, self.status = delay, status
        self.posts: list[Post] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                endpoint.posts.append(Post(self.headers.get("Idempotency-Key", ""), time.time()))
                time.sleep(endpoint.delay)
                self.send_response(endpoint.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SlowEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def definitions(folder: Path, endpoint_url: str) -> Path:
    """A definitions folder (a small matrix and the hooks flow) and, beside it, the
    service's handlers module ``slow_handlers``; returns the definitions folder."""
    flows = folder / "flows"
    flows.mkdir()
    (flows / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (flows / "hooks.yaml").write_text(hooks_flow(endpoint_url), encoding="utf-8")
    (folder / "slow_handlers.py").write_text(HANDLERS, encoding="utf-8")
    return flows


def handled(folder: Path) -> list[dict[str, object]]:
    """The handler calls the workers made, as the handlers module wrote them down."""
    path = folder / "handled.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def worker(
    folder: Path, url: str, *options: str, slow_handler: float = 0.0
) -> subprocess.Popen[str]:
    """``escflow worker`` as a service starts it, in ``folder`` with its handlers module."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "escflow",
            "worker",
            "--db",
            url,
            "--flows",
            str(folder / "flows"),
            "--handlers",
            "slow_handlers:HANDLERS",
            "--actions-log",
            str(folder / "actions.jsonl"),
            *options,
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SLOW_HANDLER_SECONDS": str(slow_handler)},
    )


@contextmanager
def running(*workers: subprocess.Popen[str], status: int = 0) -> Iterator[list[str]]:
    """The workers, each waited for until it says it started; stopped with SIGTERM after
    the block, which gets the list their standard errors are put in then; each must end
    with exit ``status``."""
    said: list[str] = []
    try:
        for process in workers:
            assert process.stderr is not None
            first = process.stderr.readline()
            assert "escflow.worker: started on" in first, first + process.stderr.read()
        yield said
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            _, err = process.communicate(timeout=60)
            said.append(err)
            assert process.returncode == status, err
            assert "Traceback" not in err, err
