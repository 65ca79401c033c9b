"""Access: bearer tokens with roles. Every route the app has refuses a call without a
token (401) and one whose role is too low (403); the token's name is the actor."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from escflow.errors import InputError
from escflow.http import Tokens, check_listening
from tests.http.conftest import Api, running

SECRETS = {name: secrets.token_hex(32) for name in ("watcher", "zendesk", "ops")}
PUBLIC = {"/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/docs"}
PARAMS = {"ticket_id": "T-1", "flow_id": "complaint"}


def _tokens() -> Tokens:
    # ops's token is given hashed, as a tokens file may keep it.
    hashed = hashlib.sha256(SECRETS["ops"].encode()).hexdigest()
    return Tokens.parse(
        f"watcher viewer {SECRETS['watcher']}\n"
        f"zendesk agent {SECRETS['zendesk']}\n"
        f"ops admin sha256:{hashed}\n",
        "tokens",
    )


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {SECRETS[name]}"}


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Api]:
    with running(f"sqlite:///{tmp_path / 'escflow.db'}", tokens=_tokens()) as api:
        api.client.post(
            "/api/v1/tickets", json={"flow": "complaint", "id": "T-1"}, headers=auth("zendesk")
        )
        yield api


def _routes(api: Api) -> list[tuple[str, str]]:
    """Every route of the app but the public ones, as (method, path) to call. The app's
    description lists them: FastAPI builds it from the app's routes (none is left out of
    it), where the included routers' own route objects are FastAPI's private business."""
    found: list[tuple[str, str]] = []
    for template, operations in api.app.openapi()["paths"].items():
        if template not in PUBLIC:
            path = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], template)
            found.extend((method.upper(), path) for method in sorted(operations))
    return found


def _needed(method: str, path: str) -> str:
    """The role a call needs, by the rule the API documents: reading is a viewer's,
    acting on tickets an agent's, reloading the flows an admin's."""
    if path == "/api/v1/flows/reload":
        return "admin"
    return "viewer" if method == "GET" else "agent"


def test_every_route_refuses_a_call_without_a_token(guarded: Api) -> None:
    routes = _routes(guarded)
    assert len(routes) >= 15
    for method, path in routes:
        answer = guarded.client.request(method, path)
        assert answer.status_code == 401, (method, path)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.headers["content-type"] == "application/problem+json"


def test_every_route_refuses_an_unknown_token(guarded: Api) -> None:
    for method, path in _routes(guarded):
        bad = {"Authorization": f"Bearer {secrets.token_hex(32)}"}
        assert guarded.client.request(method, path, headers=bad).status_code == 401


def test_every_route_refuses_a_role_too_low(guarded: Api) -> None:
    below = {"agent": "watcher", "admin": "zendesk"}
    checked = 0
    for method, path in _routes(guarded):
        needed = _needed(method, path)
        if needed in below:
            answer = guarded.client.request(method, path, headers=auth(below[needed]))
            assert answer.status_code == 403, (method, path)
            assert needed in answer.json()["detail"]
            checked += 1
    assert checked >= 8


def test_each_role_may_do_its_part(guarded: Api) -> None:
    assert guarded.client.get("/api/v1/tickets/T-1", headers=auth("watcher")).status_code == 200
    fired = guarded.client.post(
        "/api/v1/tickets/T-1/fire", json={"trigger": "solved"}, headers=auth("zendesk")
    )
    assert fired.status_code == 200
    reloaded = guarded.client.post("/api/v1/flows/reload", headers=auth("ops"))
    assert reloaded.status_code == 200


def test_the_tokens_name_is_the_actor(guarded: Api) -> None:
    guarded.client.post("/api/v1/tickets/T-1/ack", headers=auth("ops"))
    history = guarded.client.get("/api/v1/tickets/T-1/history", headers=auth("watcher")).json()
    assert [e["actor"] for e in history if e["kind"] in ("opened", "acknowledged")] == [
        "zendesk",
        "ops",
    ]


def test_the_health_checks_need_no_token(guarded: Api) -> None:
    assert guarded.client.get("/healthz").status_code == 200
    assert guarded.client.get("/readyz").status_code == 200


def test_tokens_are_kept_hashed() -> None:
    tokens = _tokens()
    kept = repr(vars(tokens))
    assert all(secret not in kept for secret in SECRETS.values())
    assert tokens.find(SECRETS["ops"]) is not None
    assert tokens.find(SECRETS["ops"][:-1]) is None


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("zendesk agent", "tokens:1: a token line is NAME ROLE SECRET"),
        ("zendesk boss " + "a" * 40, "tokens:1: the role 'boss' is none of viewer, agent, admin"),
        ("zendesk agent short", "tokens:1: the token of 'zendesk' has 5 characters"),
        ("zendesk agent sha256:xyz", "tokens:1: 'sha256:' is followed by 64 hex digits"),
    ],
)
def test_a_bad_token_line_is_named(line: str, said: str) -> None:
    with pytest.raises(InputError, match=re.escape(said)):
        Tokens.parse(line, "tokens")


def test_no_tokens_means_loopback_only() -> None:
    check_listening("127.0.0.1", Tokens([]))
    check_listening("::1", Tokens([]))
    with pytest.raises(InputError, match="give tokens"):
        check_listening("0.0.0.0", Tokens([]))
    check_listening("0.0.0.0", _tokens())
