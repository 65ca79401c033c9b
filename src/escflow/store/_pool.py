"""Connections shared by threads: a small pool that the SQLite and PostgreSQL stores use.

A store's call takes a connection for its duration and gives it back: one connection is
never used by two threads at once (sqlite3 and psycopg connections are not meant to be),
and a call nested inside another on the same thread (a read inside a transaction) gets
the connection its thread already holds, so that it sees the transaction's own writes.

Connections are made when needed, at most ``size`` of them, and kept for the next call
(the most recently used first: its caches are warm). A pool rather than a connection per
thread: the threads of a server come and go, and a connection per thread would outlive
them, one more each time, where a pool bounds what a process holds on the database
server (PostgreSQL's ``max_connections`` is shared by every process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Generic, TypeVar

from escflow.errors import StoreError

C = TypeVar("C")

DEFAULT_SIZE = 4
"""Connections one store opens at most unless told (PostgreSQL's default; SQLite's is 2):
eight threads writing on PostgreSQL made 190 calls a second with one connection, 420 with
four and 570 with eight (bench/threads_bench.py); four keep what a worker or a small
service holds on the server modest (each connection is a server process)."""

_WAIT = 30.0  # seconds a call waits for a connection when every one is in use


class Pool(Generic[C]):
    """Up to ``size`` connections made by ``connect``; ``usable`` tells whether one given
    back can serve again (a connection the server dropped cannot); ``close`` ends one.

    ``name`` says in messages which database the pool connects to.
    """

    def __init__(
        self,
        name: str,
        connect: Callable[[], C],
        close: Callable[[C], None],
        *,
        size: int = DEFAULT_SIZE,
        usable: Callable[[C], bool] = lambda connection: True,
        wait: float = _WAIT,
    ) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise StoreError(f"a store's pool holds at least one connection; got {size!r}")
        self.name = name
        self.size = size
        self._connect = connect
        self._close = close
        self._usable = usable
        self._wait = wait
        self._idle: list[C] = []  # the last one given back is taken first
        self._open = 0  # made and not yet closed: idle or held
        self._closed = False
        self._changed = threading.Condition(threading.Lock())
        self._held = threading.local()  # this thread's connection and how deep its calls go

    @contextmanager
    def connection(self) -> Iterator[C]:
        """A connection for this thread for the block; the one it holds already inside
        another block."""
        held: C | None = getattr(self._held, "connection", None)
        if held is not None:
            self._held.depth += 1
            try:
                yield held
            finally:
                self._held.depth -= 1
            return
        connection = self._take()
        self._held.connection, self._held.depth = connection, 1
        try:
            yield connection
        finally:
            self._held.connection = None
            self._give_back(connection)

    def _take(self) -> C:
        deadline = time.monotonic() + self._wait
        with self._changed:
            while True:
                if self._closed:
                    raise StoreError(f"the store {self.name} is closed")
                while self._idle:
                    connection = self._idle.pop()
                    if self._usable(connection):
                        return connection
                    self._open -= 1
                    self._quietly_close(connection)
                if self._open < self.size:
                    self._open += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreError(
                        f"every one of the {self.size} connections to {self.name} has been in"
                        f" use for {self._wait:g} s; give the store a larger pool"
                    )
                self._changed.wait(left)
        try:  # outside the lock: connecting to a server takes a while
            return self._connect()
        except BaseException:
            with self._changed:
                self._open -= 1
                self._changed.notify()
            raise

    def _give_back(self, connection: C) -> None:
        with self._changed:
            keep = not self._closed and self._usable(connection)
            if keep:
                self._idle.append(connection)
            else:
                self._open -= 1
            self._changed.notify()
        if not keep:
            self._quietly_close(connection)

    def _quietly_close(self, connection: C) -> None:
        # A connection already broken may fail to close: it is gone either way.
        with suppress(Exception):
            self._close(connection)

    def discard_idle(self) -> int:
        """Close the idle connections (when one broke, the others most likely did too: the
        server restarted); returns how many."""
        with self._changed:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._changed.notify_all()
        for connection in idle:
            self._quietly_close(connection)
        return len(idle)

    @property
    def open(self) -> int:
        """How many connections are open now (idle or in use)."""
        with self._changed:
            return self._open

    def close(self) -> None:
        """Close the idle connections, and each one in use when it is given back; calls
        after this raise :class:`~escflow.errors.StoreError`."""
        with self._changed:
            self._closed = True
        self.discard_idle()
