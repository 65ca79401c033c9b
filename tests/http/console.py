"""What the console tests share: a server with a viewer's and an agent's token, and
signing in as a browser does (the sign-in form's CSRF token, then the session cookie)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from escflow.http import Tokens
from tests.http.conftest import Api, running

SECRETS = {"watcher": secrets.token_hex(32), "zendesk": secrets.token_hex(32)}
TOKENS = f"watcher viewer {SECRETS['watcher']}\nzendesk agent {SECRETS['zendesk']}\n"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def api_auth(name: str) -> dict[str, str]:
    """The API's header for a token."""
    return {"Authorization": f"Bearer {SECRETS[name]}"}


@contextmanager
def console_server(db: str, flows: list[Path] | None = None) -> Iterator[Api]:
    """A server on ``db`` with the two tokens."""
    with running(db, tokens=Tokens.parse(TOKENS, "tokens"), flows=flows) as api:
        yield api


def browser(api: Api) -> httpx.Client:
    """A client that keeps cookies and does not follow redirects (a test reads them)."""
    return httpx.Client(base_url=api.url, follow_redirects=False, timeout=30)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: httpx.Client, name: str) -> None:
    """Sign ``client`` in with ``name``'s token, as the sign-in form does."""
    page = client.get("/console/sign-in")
    answer = client.post(
        "/console/sign-in",
        data={"csrf": csrf_of(page.text), "token": SECRETS[name], "next": "/console/"},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/"
