"""Every refusal is a problem document (RFC 9457), FastAPI's own included; bad input is
never a 500; the error table covers every escflow error class."""

from __future__ import annotations

import inspect
import socket
from collections.abc import Iterator

import pytest

import escflow.errors
from escflow.http import STATUS
from escflow.http._problems import status_of
from tests.http.conftest import Api

PROBLEM = "application/problem+json"


def test_every_error_class_has_a_status_below_500_or_a_server_side_one() -> None:
    classes = [
        c
        for _, c in inspect.getmembers(escflow.errors, inspect.isclass)
        if issubclass(c, escflow.errors.EscflowError)
    ]
    for cls in classes:
        status, title = status_of(cls.__new__(cls))
        assert status != 500, cls
        assert title
    # The store's troubles are the server's (503), a bad call the client's (4xx).
    assert STATUS[escflow.errors.StoreError][0] == 503
    assert STATUS[escflow.errors.InputError][0] == 422


def test_a_bad_body_names_the_field_path(sqlite_api: Api) -> None:
    answer = sqlite_api.client.post(
        "/api/v1/tickets", json={"flow": "complaint", "attrs": {"customer": {"nested": 1}}}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    paths = {e["path"] for e in answer.json()["errors"]}
    assert any(p.startswith("body.attrs.customer") for p in paths), paths


def test_a_body_that_is_not_json_is_422(sqlite_api: Api) -> None:
    answer = sqlite_api.client.post(
        "/api/v1/tickets", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM


def test_a_naive_instant_is_422(sqlite_api: Api) -> None:
    answer = sqlite_api.client.post(
        "/api/v1/tickets", json={"flow": "complaint", "at": "2026-11-23T09:00"}
    )
    assert answer.status_code == 422
    assert [e["path"] for e in answer.json()["errors"]] == ["body.at"]


def test_an_unknown_route_is_a_404_problem(sqlite_api: Api) -> None:
    answer = sqlite_api.client.get("/api/v1/nowhere")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["error"] == "NotFound"


def test_a_wrong_method_is_a_405_problem(sqlite_api: Api) -> None:
    answer = sqlite_api.client.get("/api/v1/tickets/T-1/fire")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM
    assert "POST" in answer.headers["allow"]


def test_a_10_mb_body_is_refused_with_413(sqlite_api: Api) -> None:
    big = b'{"flow": "complaint", "note": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    answer = sqlite_api.client.post(
        "/api/v1/tickets", content=big, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM
    assert sqlite_api.client.get("/api/v1/tickets").json()["items"] == []


def test_a_body_sent_in_chunks_past_the_limit_is_413(sqlite_api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"flow": "complaint", "note": "'
        for _ in range(20):
            yield b"x" * (512 * 1024)
        yield b'"}'

    answer = sqlite_api.client.post(
        "/api/v1/tickets", content=chunks(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413


@pytest.mark.parametrize(
    "raw_path", ["/api/v1/tickets/..%2F..%2Fetc%2Fpasswd", "/api/v1/tickets/T%00-1"]
)
def test_ticket_ids_with_dot_dot_slash_or_nul_are_4xx(sqlite_api: Api, raw_path: str) -> None:
    # Sent as written (a client would normalise the dots away): a raw socket.
    host, port = sqlite_api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"GET {raw_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    assert 400 <= status < 500, reply[:300]
    assert b"application/problem+json" in reply


def test_a_nul_in_a_ticket_id_is_named(sqlite_api: Api) -> None:
    answer = sqlite_api.client.get("/api/v1/tickets/T%00-1")
    assert answer.status_code == 422
    assert "NUL" in answer.json()["detail"]
