"""Prometheus metrics at ``/metrics``: the one module that imports prometheus-client.

Figures from the store are read at each scrape (a collector), so that every server and
worker on one store reports the same: open tickets by flow and level, the outbox's
backlog and failures. Figures of this process are counted as they happen: each request's
latency by route, and the events its calls applied by kind (escalations and warnings a
call caught up on among them); the worker's own escalations show in the open tickets'
levels.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from escflow.records import Change
from escflow.store import StoreAdmin

MEDIA_TYPE = CONTENT_TYPE_LATEST


class _StoreFigures(Collector):
    """The store's figures, read when scraped."""

    def __init__(self, store: StoreAdmin) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        counts = self.store.counts()
        tickets = GaugeMetricFamily(
            "escflow_open_tickets", "Open tickets, by flow and level", labels=["flow", "level"]
        )
        for (flow, level), count in sorted(counts.open.items()):
            tickets.add_metric([flow, level], count)
        yield tickets
        yield GaugeMetricFamily(
            "escflow_outbox_backlog", "Actions waiting in the outbox", value=counts.backlog
        )
        yield GaugeMetricFamily(
            "escflow_outbox_failed", "Actions whose retries are exhausted", value=counts.failed
        )


class Metrics:
    """The server's metrics, in a registry of its own (one per app, so that two apps in
    one process, as in tests, do not share figures)."""

    def __init__(self, store: StoreAdmin) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_StoreFigures(store))
        self._latency = Histogram(
            "escflow_http_request_seconds",
            "Time to answer a request, by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._events = Counter(
            "escflow_events",
            "Events applied by this server's calls, by kind (escalated, warned, moved...)",
            ["kind"],
            registry=self.registry,
        )

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self._latency.labels(method, route, str(status)).observe(seconds)

    def change(self, change: Change) -> None:
        """Count the events a call applied (none for a replayed one)."""
        if not change.replayed:
            for event in change.events:
                self._events.labels(event.kind).inc()

    def exposition(self) -> bytes:
        """The figures in Prometheus's text format."""
        return generate_latest(self.registry)


__all__ = ["MEDIA_TYPE", "Metrics"]
