"""The tickets API against a real server, on SQLite and on PostgreSQL.

Times are a ManualClock's: the ticket opens on Monday 2026-11-23 at 09:00 UTC, 10:00 in
Paris (the complaint flow's office calendar). Level 1's window is 15-30 minutes, so it
warns at 09:15 UTC and escalates at 09:30 UTC (10:15 and 10:30 in Paris); a medium
complaint's first response is due within 1 hour (10:00 UTC).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.http.conftest import Api

PROBLEM = "application/problem+json"


def open_ticket(api: Api, ticket_id: str = "T-1", **extra: Any) -> httpx.Response:
    body = {"flow": "complaint", "id": ticket_id, **extra}
    return api.client.post("/api/v1/tickets", json=body)


def test_open_answers_201_with_the_ticket_its_deadlines_and_etag(api: Api) -> None:
    answer = open_ticket(api, attrs={"customer": "ACME", "vip": True})
    assert answer.status_code == 201
    assert answer.headers["location"] == "/api/v1/tickets/T-1"
    ticket = answer.json()["ticket"]
    assert answer.headers["etag"] == f'"{ticket["version"]}"'
    assert ticket["status"] == "open"
    assert ticket["step"] == "level-1"
    assert ticket["priority"] == "medium"
    assert ticket["attrs"] == {"customer": "ACME", "vip": True}
    assert ticket["timezone"] == "Europe/Paris"
    assert ticket["warn_at"] == {
        "utc": "2026-11-23T09:15:00Z",
        "local": "2026-11-23T10:15:00+01:00",
    }
    assert ticket["deadline"] == {
        "utc": "2026-11-23T09:30:00Z",
        "local": "2026-11-23T10:30:00+01:00",
    }
    assert ticket["valid_triggers"] == ["unable-to-solve", "asks-for-manager", "solved"]
    assert ticket["on_duty"]["contact_id"] == "representative"
    assert ticket["on_duty"]["person"] in ("ana", "bruno", "chloe")


def test_get_shows_how_much_of_the_sla_is_used(api: Api) -> None:
    open_ticket(api)
    api.clock.advance(timedelta(minutes=12))  # 12 of the first response's 60 minutes
    answer = api.client.get("/api/v1/tickets/T-1")
    assert answer.status_code == 200
    first = answer.json()["sla"][0]
    assert first["target"] == "first_response"
    assert first["due"]["utc"] == "2026-11-23T10:00:00Z"
    assert first["used"] == 0.2
    assert first["breached"] is False


def test_get_shows_the_ticket_as_its_flow_has_taken_it_by_now(api: Api) -> None:
    open_ticket(api)
    api.clock.advance(timedelta(minutes=31))  # past level 1's 30 minutes: escalated
    ticket = api.client.get("/api/v1/tickets/T-1").json()
    assert ticket["level"] == "level-2"
    assert ticket["valid_triggers"] == ["solution-unsuccessful", "needs-specialist", "solved"]


def test_fire_moves_the_ticket_and_records_the_actor(api: Api) -> None:
    open_ticket(api)
    answer = api.client.post(
        "/api/v1/tickets/T-1/fire", json={"trigger": "asks-for-manager", "note": "angry"}
    )
    assert answer.status_code == 200
    change = answer.json()
    assert change["ticket"]["step"] == "level-2"
    moved = [e for e in change["events"] if e["kind"] == "moved"]
    assert [(e["trigger"], e["actor"], e["note"]) for e in moved] == [
        ("asks-for-manager", "local", "angry")
    ]
    history = api.client.get("/api/v1/tickets/T-1/history").json()
    assert [e["kind"] for e in history][:1] == ["opened"]
    assert history[-1]["seq"] == change["ticket"]["version"]


def test_an_unknown_trigger_is_422_naming_the_valid_ones(api: Api) -> None:
    open_ticket(api)
    answer = api.client.post("/api/v1/tickets/T-1/fire", json={"trigger": "nope"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["error"] == "UnknownTrigger"
    assert problem["valid_triggers"] == ["unable-to-solve", "asks-for-manager", "solved"]
    assert problem["instance"] == "/api/v1/tickets/T-1/fire"


def test_a_trigger_of_another_step_is_409_naming_the_valid_ones(api: Api) -> None:
    open_ticket(api)
    answer = api.client.post("/api/v1/tickets/T-1/fire", json={"trigger": "needs-specialist"})
    assert answer.status_code == 409
    assert answer.json()["error"] == "InvalidTrigger"
    assert answer.json()["valid_triggers"] == ["unable-to-solve", "asks-for-manager", "solved"]


def test_the_lifecycle_verbs(api: Api) -> None:
    open_ticket(api)
    calls = ["ack", "pause", "resume", "resolve", "reopen"]
    statuses = []
    for verb in calls:
        api.clock.advance(timedelta(minutes=1))
        answer = api.client.post(f"/api/v1/tickets/T-1/{verb}", json={"note": verb})
        assert answer.status_code == 200, answer.text
        statuses.append(answer.json()["ticket"]["status"])
    assert statuses == ["open", "paused", "open", "resolved", "open"]
    kinds = [e["kind"] for e in api.client.get("/api/v1/tickets/T-1/history").json()]
    for kind in ("acknowledged", "paused", "resumed", "resolved", "reopened"):
        assert kind in kinds


def test_a_verb_without_a_body_is_accepted(api: Api) -> None:
    open_ticket(api)
    assert api.client.post("/api/v1/tickets/T-1/ack").status_code == 200


def test_attach_records_evidence(api: Api) -> None:
    open_ticket(api)
    answer = api.client.post(
        "/api/v1/tickets/T-1/attach",
        json={"kind": "call", "summary": "called back", "occurred_at": "2026-11-23T10:05+01:00"},
    )
    assert answer.status_code == 200
    attached = [e for e in answer.json()["events"] if e["kind"] == "attached"]
    assert attached[0]["note"] == "called back"
    assert attached[0]["data"]["occurred_at"] == "2026-11-23T09:05:00+00:00"


def test_a_resolved_ticket_refuses_a_trigger_with_409(api: Api) -> None:
    open_ticket(api)
    api.client.post("/api/v1/tickets/T-1/resolve")
    answer = api.client.post("/api/v1/tickets/T-1/fire", json={"trigger": "solved"})
    assert answer.status_code == 409
    assert answer.json()["error"] == "TicketClosed"


def test_if_match_refuses_a_ticket_that_moved_with_412(api: Api) -> None:
    first = open_ticket(api)
    seen = first.headers["etag"]
    api.client.post("/api/v1/tickets/T-1/attach", json={"kind": "note", "summary": "x"})
    answer = api.client.post(
        "/api/v1/tickets/T-1/fire", json={"trigger": "solved"}, headers={"If-Match": seen}
    )
    assert answer.status_code == 412
    assert answer.json()["error"] == "StaleTicket"
    now = api.client.get("/api/v1/tickets/T-1")
    assert now.json()["status"] == "open"
    fired = api.client.post(
        "/api/v1/tickets/T-1/fire",
        json={"trigger": "solved"},
        headers={"If-Match": now.headers["etag"]},
    )
    assert fired.status_code == 200


def test_a_malformed_if_match_is_422_naming_the_header(api: Api) -> None:
    open_ticket(api)
    answer = api.client.post("/api/v1/tickets/T-1/ack", headers={"If-Match": "version three"})
    assert answer.status_code == 422
    assert "If-Match" in answer.json()["detail"]


def test_an_idempotency_key_applies_a_retry_once(api: Api) -> None:
    open_ticket(api)
    headers = {"Idempotency-Key": "k-1"}
    body = {"trigger": "asks-for-manager"}
    first = api.client.post("/api/v1/tickets/T-1/fire", json=body, headers=headers)
    again = api.client.post("/api/v1/tickets/T-1/fire", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["replayed"] is True
    assert again.json()["events"] == first.json()["events"]
    moved = [
        e for e in api.client.get("/api/v1/tickets/T-1/history").json() if e["kind"] == "moved"
    ]
    assert len(moved) == 1


def test_an_idempotency_key_with_another_call_is_422(api: Api) -> None:
    open_ticket(api)
    headers = {"Idempotency-Key": "k-2"}
    api.client.post(
        "/api/v1/tickets/T-1/fire", json={"trigger": "asks-for-manager"}, headers=headers
    )
    other = api.client.post("/api/v1/tickets/T-1/fire", json={"trigger": "solved"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"] == "KeyReused"


def test_a_retried_open_answers_201_again(api: Api) -> None:
    headers = {"Idempotency-Key": "open-1"}
    body = {"flow": "complaint", "id": "T-9"}
    first = api.client.post("/api/v1/tickets", json=body, headers=headers)
    again = api.client.post("/api/v1/tickets", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["ticket"]["id"] == "T-9"


def test_the_outbox_lists_the_queued_actions(api: Api) -> None:
    open_ticket(api)
    change = api.client.post("/api/v1/tickets/T-1/fire", json={"trigger": "asks-for-manager"})
    queued = {a["key"] for a in change.json()["actions"]}
    outbox = api.client.get("/api/v1/tickets/T-1/outbox").json()
    assert queued <= {a["key"] for a in outbox}
    assert all(a["status"] == "pending" for a in outbox)


def test_an_unknown_ticket_is_404(api: Api) -> None:
    answer = api.client.get("/api/v1/tickets/NOPE")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["error"] == "UnknownTicket"


def test_a_duplicate_id_is_409(api: Api) -> None:
    open_ticket(api)
    assert open_ticket(api).status_code == 409
