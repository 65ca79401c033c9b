"""Serving the application with uvicorn: the one module that imports it.

SIGTERM and SIGINT are uvicorn's: it stops accepting connections, lets the requests in
hand finish (each a whole store transaction, so nothing is left half-written) for up to
:data:`GRACE` seconds, then returns. SIGHUP reloads the flows (on a thread of its own, so
the signal never interrupts a request in the middle).
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

GRACE = 30
"""Seconds a stop waits for the requests in hand."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port, which the socket tells)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(app: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="warning",
        timeout_graceful_shutdown=GRACE,
        lifespan="off",
        access_log=False,
        server_header=False,
    )


def run(
    app: Any,
    sock: socket.socket,
    *,
    on_hangup: Callable[[], None],
    on_started: Callable[[], None] = lambda: None,
) -> None:
    """Serve ``app`` on ``sock`` until SIGTERM or SIGINT; ``on_hangup`` on each SIGHUP."""
    server = _Server(_config(app), on_started)

    def hangup(signum: int, frame: object) -> None:
        threading.Thread(target=on_hangup, name="escflow-reload", daemon=True).start()

    def stopped(signum: int, frame: object) -> None:
        """uvicorn raises the signal that stopped it again once it is done: by then the
        requests are finished, and the caller closes the store rather than die of it."""

    handled = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.getsignal(sig) for sig in handled}
    signal.signal(signal.SIGHUP, hangup)
    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def serving(app: Any, sock: socket.socket, *, wait: float = 10.0) -> Iterator[None]:
    """Serve ``app`` on ``sock`` on a thread of its own for the block (a service that
    embeds the API, a test): started when the block begins, stopped at its end after the
    requests in hand finished. Signals stay the calling program's."""
    started = threading.Event()
    server = _Server(_config(app), started.set)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="escflow-http", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + wait
    while not started.wait(0.05):
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the HTTP server did not start")
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(GRACE + 5)


class _Server(uvicorn.Server):
    """uvicorn's server, telling when it listens."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()


__all__ = ["GRACE", "bind", "run", "serving"]
