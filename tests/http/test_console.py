"""The console over HTTP: sign-in and sessions, CSRF on every form, the security
headers, escaping, roles, and the live stream resumed by Last-Event-ID."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from escflow.http._console import router
from tests.conftest import ROOT
from tests.http.conftest import Api
from tests.http.console import SECRETS, api_auth, browser, console_server, csrf_of, sign_in

NASTY = "<script>window.pwned = 1</script>"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Api]:
    with console_server(f"sqlite:///{tmp_path / 'escflow.db'}") as api:
        opened = api.client.post(
            "/api/v1/tickets",
            json={"flow": "complaint", "id": "T-1", "attrs": {"customer": NASTY}},
            headers=api_auth("zendesk"),
        )
        assert opened.status_code == 201
        yield api


def _console_routes() -> list[tuple[str, str]]:
    """Every console route as (method, path) to call, from the router itself."""
    params = {"ticket_id": "T-1", "flow_id": "complaint"}
    found: list[tuple[str, str]] = []
    for route in router.routes:
        assert isinstance(route, APIRoute)
        path = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], route.path)
        found.extend((method, path) for method in sorted(route.methods or ()))
    return found


OPEN = {("GET", "/console"), ("GET", "/console/sign-in"), ("POST", "/console/sign-in")}


def test_every_console_route_sends_a_stranger_to_sign_in(served: Api) -> None:
    routes = [r for r in _console_routes() if r not in OPEN]
    assert len(routes) >= 7
    with browser(served) as client:
        for method, path in routes:
            answer = client.request(method, path)
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"].startswith("/console/sign-in?next="), (method, path)
        assert client.get("/console/static/console.js").status_code == 200  # the script is public


def test_sign_in_starts_a_session_in_a_strict_http_only_cookie(served: Api) -> None:
    with browser(served) as client:
        page = client.get("/console/sign-in")
        answer = client.post(
            "/console/sign-in",
            data={"csrf": csrf_of(page.text), "token": SECRETS["zendesk"], "next": "/console/"},
        )
        cookies = answer.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("escflow_console="))
        assert {"HttpOnly", "SameSite=Strict", "Path=/console"} <= set(session.split("; "))
        board = client.get("/console/")
        assert board.status_code == 200
        assert "zendesk (agent)" in board.text


def test_a_wrong_token_gets_the_form_again(served: Api) -> None:
    with browser(served) as client:
        page = client.get("/console/sign-in")
        answer = client.post(
            "/console/sign-in", data={"csrf": csrf_of(page.text), "token": "0" * 64}
        )
        assert answer.status_code == 401
        assert "not one this server knows" in answer.text
        assert client.get("/console/").status_code == 303


def test_sign_in_goes_back_to_console_pages_only(served: Api) -> None:
    with browser(served) as client:
        page = client.get("/console/sign-in")
        answer = client.post(
            "/console/sign-in",
            data={
                "csrf": csrf_of(page.text),
                "token": SECRETS["zendesk"],
                "next": "https://evil.example/",
            },
        )
        assert answer.headers["location"] == "/console/"


def test_a_form_without_its_csrf_token_is_refused(served: Api) -> None:
    with browser(served) as client:
        sign_in(client, "zendesk")
        before = served.client.get(
            "/api/v1/tickets/T-1/history", headers=api_auth("zendesk")
        ).json()
        page = client.get("/console/tickets/T-1")
        version = re.search(r'name="version" value="(\d+)"', page.text)
        assert version
        for csrf in (None, "forged"):
            form = {"do": "fire:asks-for-manager", "version": version.group(1)}
            if csrf:
                form["csrf"] = csrf
            answer = client.post("/console/tickets/T-1/act", data=form)
            assert answer.status_code == 403
            assert "CSRF" in answer.text
        answer = client.post("/console/tickets/T-1/attach", data={"kind": "note", "summary": "x"})
        assert answer.status_code == 403
        after = served.client.get("/api/v1/tickets/T-1/history", headers=api_auth("zendesk")).json()
        assert after == before
        # Signing in and out are forms too.
        assert client.post("/console/sign-out").status_code == 403
    with browser(served) as stranger:
        answer = stranger.post("/console/sign-in", data={"token": SECRETS["zendesk"]})
        assert answer.status_code == 403


def test_a_form_with_its_token_fires_and_records_the_actor(served: Api) -> None:
    with browser(served) as client:
        sign_in(client, "zendesk")
        page = client.get("/console/tickets/T-1")
        version = re.search(r'name="version" value="(\d+)"', page.text)
        assert version
        answer = client.post(
            "/console/tickets/T-1/act",
            data={
                "csrf": csrf_of(page.text),
                "do": "fire:asks-for-manager",
                "note": "wants a manager",
                "version": version.group(1),
            },
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/tickets/T-1"
    shown = served.client.get("/api/v1/tickets/T-1", headers=api_auth("zendesk")).json()
    assert shown["step"] == "level-2"
    last = served.client.get("/api/v1/tickets/T-1/history", headers=api_auth("zendesk")).json()
    fired = [e for e in last if e["trigger"] == "asks-for-manager"]
    assert [(e["actor"], e["note"]) for e in fired] == [("zendesk", "wants a manager")]


def test_a_stale_page_changes_nothing_and_says_so(served: Api) -> None:
    with browser(served) as client:
        sign_in(client, "zendesk")
        page = client.get("/console/tickets/T-1")
        version = re.search(r'name="version" value="(\d+)"', page.text)
        assert version
        served.client.post(
            "/api/v1/tickets/T-1/fire",
            json={"trigger": "asks-for-manager"},
            headers=api_auth("zendesk"),
        )
        answer = client.post(
            "/console/tickets/T-1/act",
            data={"csrf": csrf_of(page.text), "do": "resolve", "version": version.group(1)},
        )
        assert answer.status_code == 303
        again = client.get("/console/tickets/T-1")
        assert 'class="flash error"' in again.text
    shown = served.client.get("/api/v1/tickets/T-1", headers=api_auth("zendesk")).json()
    assert shown["status"] == "open"


def test_a_viewer_reads_but_cannot_press_buttons(served: Api) -> None:
    with browser(served) as client:
        sign_in(client, "watcher")
        page = client.get("/console/tickets/T-1")
        assert page.status_code == 200
        assert 'name="do"' not in page.text  # no buttons shown
        for action, form in (
            ("act", {"do": "fire:asks-for-manager"}),
            ("act", {"do": "ack"}),
            ("attach", {"kind": "note", "summary": "seen"}),
        ):
            answer = client.post(
                f"/console/tickets/T-1/{action}", data={**form, "csrf": csrf_of(page.text)}
            )
            assert answer.status_code == 403, action
            assert "viewer" in answer.text
    shown = served.client.get("/api/v1/tickets/T-1", headers=api_auth("zendesk")).json()
    assert shown["step"] == "level-1"
    assert shown["acknowledged"] is False


def test_notes_and_attrs_holding_script_are_shown_as_text(served: Api) -> None:
    served.client.post(
        "/api/v1/tickets/T-1/fire",
        json={"trigger": "asks-for-manager", "note": NASTY},
        headers=api_auth("zendesk"),
    )
    with browser(served) as client:
        sign_in(client, "zendesk")
        page = client.get("/console/tickets/T-1").text
    assert "window.pwned" in page
    assert "<script>window.pwned" not in page
    assert page.count("&lt;script&gt;window.pwned = 1&lt;/script&gt;") == 2  # note and attr


def test_every_page_has_the_security_headers_and_no_inline_script(served: Api) -> None:
    with browser(served) as client:
        sign_in(client, "zendesk")
        for path in (
            "/console/",
            "/console/tickets/T-1",
            "/console/flows",
            "/console/sign-in",
            "/console/tickets/NOPE",
        ):
            answer = client.get(path)
            csp = answer.headers["content-security-policy"]
            assert "script-src 'self'" in csp
            assert "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp
            assert answer.headers["x-content-type-options"] == "nosniff"
            scripts = re.findall(r"<script\b[^>]*>", answer.text)
            assert scripts, path
            assert all(" src=" in s for s in scripts), path
        assert client.get("/console/tickets/NOPE").status_code == 404


def test_the_ticket_stream_resumes_after_last_event_id(served: Api) -> None:
    for trigger in ("asks-for-manager", "needs-specialist"):
        served.client.post(
            "/api/v1/tickets/T-1/fire", json={"trigger": trigger}, headers=api_auth("zendesk")
        )
    history = served.client.get("/api/v1/tickets/T-1/history", headers=api_auth("zendesk")).json()
    wanted = [e["seq"] for e in history if e["seq"] > 1]
    with browser(served) as client:
        sign_in(client, "zendesk")
        got: list[int] = []
        with client.stream(
            "GET", "/console/stream?ticket=T-1", headers={"Last-Event-ID": "1"}
        ) as answer:
            assert answer.headers["content-type"].startswith("text/event-stream")
            for line in answer.iter_lines():
                if line.startswith("id: "):
                    got.append(int(line[4:]))
                if line.startswith("data: "):
                    assert json.loads(line[6:])["ticket"] == "T-1"
                if len(got) == len(wanted):
                    break
    assert got == wanted


def test_the_readme_names_the_console_where_it_is(served: Api) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Web console\n", 1)[1].split("\n## ", 1)[0]
    address = re.search(r"`http://127\.0\.0\.1:8080(/console/)`", section)
    assert address
    with browser(served) as client:
        sign_in(client, "watcher")
        assert client.get(address.group(1)).status_code == 200
