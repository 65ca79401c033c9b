"""Fire over HTTP next to the Python API's fire, on SQLite (a commit per call), one run.

    .venv/bin/python bench/http_bench.py [--tickets N] [--clients C]

Opens 2N complaint tickets in a SQLite file, then fires ``asks-for-manager`` on N of
them through the Python API (one thread, ``Engine.fire``), and on the other N through
``escflow serve`` (its own process, on the same file) from C concurrent clients
(asyncio, httpx), each call a whole HTTP request and its commit. Prints calls per second
of each, their ratio, and the HTTP calls' p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _shared import FLOWS

from escflow import load_matrix
from escflow.runtime import Actions, Engine
from escflow.store import open_store

TRIGGER = "asks-for-manager"


def seed(url: str, count: int) -> Engine:
    engine = Engine(load_matrix(FLOWS), open_store(url), actions=Actions.log(io.StringIO()))
    for n in range(count):
        engine.open("complaint", ticket_id=f"T-{n}")
    return engine


def python_fire(engine: Engine, ids: list[str]) -> float:
    began = time.perf_counter()
    for ticket_id in ids:
        engine.fire(ticket_id, TRIGGER)
    return len(ids) / (time.perf_counter() - began)


async def _clients(base: str, ids: list[str], clients: int) -> tuple[float, list[float]]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for ticket_id in ids:
        queue.put_nowait(ticket_id)
    latencies: list[float] = []

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            ticket_id = queue.get_nowait()
            began = time.perf_counter()
            answer = await http.post(
                f"{base}/api/v1/tickets/{ticket_id}/fire", json={"trigger": TRIGGER}
            )
            latencies.append(time.perf_counter() - began)
            assert answer.status_code == 200, answer.text

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        took = time.perf_counter() - began
    return len(ids) / took, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="escflow-http-bench-"))
    url = f"sqlite:///{folder / 'escflow.db'}"
    engine = seed(url, 2 * args.tickets)
    ids = [f"T-{n}" for n in range(2 * args.tickets)]
    local = python_fire(engine, ids[: args.tickets])
    engine.store.close()
    command = ["serve", "--db", url, "--flows", str(FLOWS), "--port", "0"]
    server = subprocess.Popen(
        [sys.executable, "-m", "escflow", *command],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stderr is not None
        port = re.search(r":(\d+) ", server.stderr.readline())
        assert port is not None
        base = f"http://127.0.0.1:{port.group(1)}"
        rate, latencies = asyncio.run(_clients(base, ids[args.tickets :], args.clients))
    finally:
        server.terminate()
        server.wait(60)
    cuts = statistics.quantiles(latencies, n=100)
    print(f"python API fire on SQLite:   {local:8.0f} calls/s (one thread)")
    print(f"HTTP fire on SQLite:         {rate:8.0f} calls/s ({args.clients} clients)")
    print(f"ratio HTTP / Python:         {rate / local:8.2f}x")
    print(f"HTTP latency p50 / p99:      {cuts[49] * 1000:6.1f} / {cuts[98] * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
