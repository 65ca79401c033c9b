"""Who uses the console: sign-in with a token, a session cookie, a CSRF token per
session, and the security headers of every console answer.

Signing in checks the token as the API does (:class:`~escflow.http.Tokens`) and starts
a session kept in the server's memory; the browser holds only its random id, in a
cookie that scripts cannot read (HttpOnly), that no other site's page sends
(SameSite=Strict), limited to ``/console``. A restart ends every session: people sign in
again. Every form carries the session's CSRF token, compared in constant time; the
sign-in form, before a session exists, carries one that a cookie of its own repeats.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from escflow.http._auth import Principal

COOKIE = "escflow_console"
SIGN_IN_COOKIE = "escflow_sign_in"
PREFIX = "/console"
LIFETIME = timedelta(hours=12)
"""How long a session lasts from its sign-in."""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
"""What every console answer carries: no inline script or style, no framing, no MIME
sniffing, no referrer, no caching of pages that show tickets."""


@dataclass
class Session:
    """One signed-in browser: who, its CSRF token, until when, and a message to show once."""

    principal: Principal
    csrf: str
    until: datetime
    flash: list[tuple[str, str]] = field(default_factory=list)


class Sessions:
    """The sessions of this server, by their cookie's value."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, principal: Principal, now: datetime) -> tuple[str, Session]:
        """A new session for ``principal``: its cookie value and itself."""
        sid = secrets.token_urlsafe(32)
        session = Session(principal, secrets.token_urlsafe(32), now + LIFETIME)
        with self._lock:
            self._sessions = {k: s for k, s in self._sessions.items() if s.until > now}
            self._sessions[sid] = session
        return sid, session

    def find(self, sid: str | None, now: datetime) -> Session | None:
        """The live session of a cookie's value, or None."""
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
        if session is None or session.until <= now:
            return None
        return session

    def end(self, sid: str | None) -> None:
        """Forget a session (signing out)."""
        with self._lock:
            self._sessions.pop(sid or "", None)


def same(given: str | None, expected: str | None) -> bool:
    """True when a form's token equals the expected one (constant time; none is never)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def cookie(name: str, value: str, *, secure: bool, max_age: int | None) -> str:
    """A ``Set-Cookie`` value: HttpOnly, SameSite=Strict, for the console's paths."""
    parts = [f"{name}={value}", f"Path={PREFIX}", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SecurityHeaders:
    """Add :data:`HEADERS` to every answer under :data:`PREFIX` (pages, the stream,
    static files, errors alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in HEADERS}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + list(HEADERS)
            await send(message)

        await self.app(scope, receive, headed)


__all__ = [
    "COOKIE",
    "CSP",
    "HEADERS",
    "LIFETIME",
    "PREFIX",
    "SIGN_IN_COOKIE",
    "SecurityHeaders",
    "Session",
    "Sessions",
    "cookie",
    "same",
]
