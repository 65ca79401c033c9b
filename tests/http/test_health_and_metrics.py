"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.http.conftest import Api, running


def _value(text: str, name: str, labels: str = "") -> float:
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name}{labels} not in:\n{text}"
    return float(found.group(1))


def test_healthz_and_readyz(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["schema_version"] >= 7


def test_readyz_is_503_when_the_schema_is_not_current(tmp_path: Path) -> None:
    db = tmp_path / "escflow.db"
    with running(f"sqlite:///{db}") as api:
        with sqlite3.connect(db) as raw:  # another program took the schema back a version
            raw.execute("UPDATE escflow_schema SET version = version - 1")
        answer = api.client.get("/readyz")
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert "escflow db upgrade" in answer.json()["detail"]


def test_metrics_count_open_tickets_the_outbox_and_requests(api: Api) -> None:
    post = api.client.post
    post("/api/v1/tickets", json={"flow": "complaint", "id": "T-1"})
    post("/api/v1/tickets", json={"flow": "complaint", "id": "T-2"})
    fired = post("/api/v1/tickets/T-2/fire", json={"trigger": "asks-for-manager"})
    queued = len(api.client.get("/api/v1/tickets/T-1/outbox").json()) + len(
        api.client.get("/api/v1/tickets/T-2/outbox").json()
    )
    answer = api.client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert _value(text, "escflow_open_tickets", '{flow="complaint",level="level-1"}') == 1
    assert _value(text, "escflow_open_tickets", '{flow="complaint",level="level-2"}') == 1
    assert _value(text, "escflow_outbox_backlog") == queued
    assert _value(text, "escflow_outbox_failed") == 0
    moved = sum(1 for e in fired.json()["events"] if e["kind"] == "moved")
    assert _value(text, "escflow_events_total", '{kind="moved"}') == moved == 1
    assert _value(text, "escflow_events_total", '{kind="opened"}') == 2
    opens = '{method="POST",route="/api/v1/tickets",status="201"}'
    assert _value(text, "escflow_http_request_seconds_count", opens) == 2
