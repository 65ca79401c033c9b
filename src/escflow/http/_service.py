"""What the server runs on: the store, the flows it loaded, the engine over both, and
(with ``--worker``) the worker beside it. No web framework here: the routes call this.

Flows are read when the service starts and again only when asked (:meth:`Service.reload`,
from ``POST /api/v1/flows/reload`` or SIGHUP), never behind the operator's back. A reload
that finds errors changes nothing: the flows that ran go on running, and the errors are
the answer. Tickets pin the digest of the version they opened on, so a reload never
strands one: a ticket of an older version runs on to its end on that version (the store
keeps every version), while new tickets open on the new one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from escflow.compile import Matrix, check_paths
from escflow.errors import DefinitionError
from escflow.runtime import Actions, Engine, Worker
from escflow.store import Admin, Store
from escflow.timing import Clock, SystemClock


@dataclass(frozen=True)
class Loaded:
    """One load of the flows: when, and the version (digest) of each flow."""

    at: datetime
    versions: dict[str, str]


@dataclass(frozen=True)
class Reloaded:
    """What a reload changed: the flows added, changed (a new digest) and removed."""

    loaded: Loaded
    added: list[str]
    changed: list[str]
    removed: list[str]


def load_flows(paths: list[Path]) -> Matrix:
    """The compiled matrix in ``paths``; :class:`~escflow.errors.DefinitionError` with
    every problem when it has errors."""
    report = check_paths(paths)
    if report.matrix is None:
        raise DefinitionError(list(report.errors))
    return report.matrix


class Service:
    """The engine the routes call, kept current across reloads.

    ``make_actions`` builds the deliverers for each engine (a reload makes a new engine
    on the same store). With ``worker`` the service runs a :class:`~escflow.runtime.Worker`
    on a thread of its own from :meth:`start` to :meth:`stop`: the one-machine shape.
    """

    def __init__(
        self,
        store: Store,
        flows: list[Path],
        *,
        clock: Clock | None = None,
        make_actions: Callable[[], Actions] = Actions,
        worker: bool = False,
    ) -> None:
        # Every store escflow opens serves the operator's calls too (the ticket list).
        self.store: Admin = cast(Admin, store)
        self.flows = flows
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._make_actions = make_actions
        self._lock = threading.Lock()
        self.engine = self._engine(load_flows(flows))
        self.loaded = self._loaded(self.engine.matrix)
        self._with_worker = worker
        self._worker: Worker | None = None
        self._thread: threading.Thread | None = None

    def _engine(self, matrix: Matrix) -> Engine:
        return Engine(matrix, self.store, clock=self.clock, actions=self._make_actions())

    def _loaded(self, matrix: Matrix) -> Loaded:
        versions = {flow_id: flow.digest for flow_id, flow in sorted(matrix.flows.items())}
        return Loaded(self.clock.now(), versions)

    def reload(self) -> Reloaded:
        """Read the flows again and run them from now on; on errors, raise and keep the
        running ones."""
        with self._lock:
            engine = self._engine(load_flows(self.flows))
            before = self.loaded.versions
            loaded = self._loaded(engine.matrix)
            after = loaded.versions
            running = self._worker is not None
            if running:
                self._stop_worker()
            self.engine, self.loaded = engine, loaded
            if running:
                self._start_worker()
        return Reloaded(
            loaded,
            added=sorted(set(after) - set(before)),
            changed=sorted(f for f in after if f in before and after[f] != before[f]),
            removed=sorted(set(before) - set(after)),
        )

    def start(self) -> None:
        """Start the worker, when the service runs one."""
        if self._with_worker:
            with self._lock:
                self._start_worker()

    def stop(self) -> None:
        """Stop the worker (the batch in hand committed) and close the store."""
        with self._lock:
            self._stop_worker()
        self.store.close()

    def _start_worker(self) -> None:
        self._worker = Worker(self.engine)
        self._thread = threading.Thread(target=self._worker.run, name="escflow-worker")
        self._thread.start()

    def _stop_worker(self) -> None:
        if self._worker is not None and self._thread is not None:
            self._worker.stop.set()
            self._thread.join()
        self._worker = self._thread = None


__all__ = ["Loaded", "Reloaded", "Service", "load_flows"]
