"""The ASGI application: FastAPI, its error answers, the body limit and access checks.

Every answer that is not a success is a problem document (RFC 9457,
``application/problem+json``): escflow's errors by the table in ``_problems.py``,
FastAPI's own refusals (a bad body: 422 with the field path of each problem; no such
route: 404; a wrong method: 405) converted the same way, a body over
:data:`MAX_BODY` refused with 413 before it is read whole. The routes are in
``_routes.py``; this module puts them together.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from escflow.errors import EscflowError, NotAllowed, NotAuthenticated, RetryLater, StaleTicket
from escflow.http import _console
from escflow.http._auth import LOCAL, Principal, Role, Tokens
from escflow.http._metrics import Metrics
from escflow.http._models import ProblemOut
from escflow.http._problems import MEDIA_TYPE, RETRY_AFTER_SECONDS, error_problem, problem
from escflow.http._service import Service

log = logging.getLogger("escflow.http")

MAX_BODY = 1024 * 1024
"""The largest request body accepted (1 MiB): a ticket's call is a few hundred bytes."""
API = "/api/v1"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem document as a response with its status and media type."""
    return JSONResponse(body, status_code=body["status"], media_type=MEDIA_TYPE, headers=headers)


class _BodyLimit:
    """Refuse a request body over ``limit`` bytes with 413: by its Content-Length before
    reading, or, sent in chunks, as soon as the bytes read pass it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _drain(receive)
            await self._refuse(scope, send)
            return
        seen = 0
        over = refused = False

        async def limited() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise _TooLarge
            return message

        async def replaced(message: Message) -> None:
            # The framework answers a body it could not read (400); past the limit, the
            # answer is ours instead.
            nonlocal refused
            if not over:
                await send(message)
            elif not refused:
                refused = True
                await _drain(receive)
                await self._refuse(scope, send)

        try:
            await self.app(scope, limited, replaced)
        except _TooLarge:
            if not refused:
                await _drain(receive)
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = problem(
            413,
            "The request body is too large",
            f"the body is over {self.limit:,} bytes; a call on a ticket takes a few hundred:"
            " send evidence as a reference (ref), not its content",
            kind="BodyTooLarge",
            instance=scope.get("path"),
            limit=self.limit,
        )
        await problem_response(body, {"Connection": "close"})(scope, _drained, send)


class _TooLarge(Exception):
    """The body read so far passed the limit."""


async def _drain(receive: Receive, most: int = 64 * MAX_BODY) -> None:
    """Read what the client still sends of a refused body (up to ``most`` bytes), so that
    closing the connection does not reset it before the client reads the 413."""
    read = 0
    while read <= most:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return
        read += len(message.get("body", b""))


async def _drained() -> Message:
    return {"type": "http.disconnect"}


_BEARER = HTTPBearer(auto_error=False, description="a token from the server's tokens file")


def require(role: Role) -> Callable[..., Principal]:
    """A dependency: the caller, who must hold ``role`` (or a role above it)."""

    def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> Principal:
        tokens: Tokens = request.app.state.tokens
        if not tokens:
            return LOCAL  # a server without tokens listens on loopback only
        if credentials is None:
            raise NotAuthenticated(
                "this call needs a bearer token: send 'Authorization: Bearer <token>'"
            )
        principal = tokens.find(credentials.credentials)
        if principal is None:
            raise NotAuthenticated(
                "the bearer token is not one the server knows: check it against the tokens"
                " file (--tokens) or $ESCFLOW_TOKENS"
            )
        if not principal.may(role):
            raise NotAllowed(
                f"'{principal.name}' is a {principal.role}; this call needs the role {role}"
                f"{' or admin' if role == 'agent' else ''}"
            )
        return principal

    return check


def service_of(request: Request) -> Service:
    """The service the app runs on."""
    service: Service = request.app.state.service
    return service


def _escflow_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EscflowError)
    status = (
        412 if getattr(request.state, "if_match", False) and isinstance(exc, StaleTicket) else None
    )
    body = error_problem(exc, instance=request.url.path, status=status)
    headers: dict[str, str] = {}
    if body["status"] == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="escflow"'
    if isinstance(exc, RetryLater) and body["status"] == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return problem_response(body, headers)


def _field_path(location: tuple[int | str, ...] | list[int | str]) -> str:
    """``body.attrs.vip``, ``query.limit``: where a bad value is, as the client wrote it."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"path": _field_path(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    said = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5])
    body = problem(
        422,
        "The request does not match the API",
        f"{said}{' ...' if len(errors) > 5 else ''}; see {API}/openapi.json",
        kind="RequestInvalid",
        instance=request.url.path,
        errors=errors,
    )
    return problem_response(body)


_HTTP_TITLES = {
    400: "The body cannot be read",
    404: "No such resource",
    405: "Method not allowed",
}


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404:
        detail = (
            f"no resource at {request.url.path}; the API is under {API} (see {API}/openapi.json)"
        )
    elif status == 405:
        detail = f"{request.method} is not a method of {request.url.path}"
    elif status == 400:
        detail = "the body cannot be read: send JSON, in UTF-8, with Content-Type: application/json"
    else:
        detail = str(exc.detail)
    body = problem(
        status,
        _HTTP_TITLES.get(status, "The request is refused"),
        detail,
        kind={400: "BodyUnreadable", 404: "NotFound", 405: "MethodNotAllowed"}.get(
            status, "HTTPError"
        ),
        instance=request.url.path,
    )
    headers = dict(exc.headers or {})
    return problem_response(body, headers)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    body = problem(
        500,
        "The server failed",
        "the server met an error of its own (its log has the details); the call may not"
        " have been applied: read the ticket before trying again",
        kind="ServerError",
        instance=request.url.path,
    )
    return problem_response(body)


# Problem answers each operation may give, beside its success: by what it takes.
_PROBLEMS_ALWAYS = (422, 503)
_PROBLEMS_SECURED = (401, 403)
_PROBLEMS_POST = (400, 404, 409, 412, 413)
_PROBLEM_TITLES = {
    400: "The body cannot be read: not JSON in UTF-8",
    401: "No bearer token, or an unknown one",
    403: "The token's role does not allow this",
    404: "No such ticket or flow",
    409: "The ticket's state does not allow this",
    412: "The ticket moved since the ETag in If-Match",
    413: "The request body is too large",
    422: "A value in the request is wrong (the field path, the valid triggers)",
    503: "The store cannot be used now",
}


def _described(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document: FastAPI's, with every refusal an operation may give as a
    problem document (``application/problem+json``), as the server answers them."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
    problem_ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            codes = list(_PROBLEMS_ALWAYS)
            if operation.get("security"):
                codes += _PROBLEMS_SECURED
            if method == "post" or "{" in path:
                codes += _PROBLEMS_POST if method == "post" else (404,)
            responses = operation.setdefault("responses", {})
            for code in sorted(set(codes)):
                responses[str(code)] = {
                    "description": _PROBLEM_TITLES[code],
                    "content": {MEDIA_TYPE: problem_ref},
                }
    app.openapi_schema = doc
    return doc


def _bare_app() -> FastAPI:
    """The application's routes, handlers and description, without a service."""
    from escflow.http import _routes  # the routes use require() and service_of() above

    app = FastAPI(
        title="escflow",
        summary="Escalation matrices as code: tickets moving through checked flows",
        description="Every error is a problem document (RFC 9457). A ticket's ETag is its"
        " version; a command with If-Match is refused (412) if the ticket moved. A POST"
        " with an Idempotency-Key applies once: a retry gets the first answer.",
        version=_routes.version(),
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(EscflowError, _escflow_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(_routes.NotFound, _routes.not_found)
    app.include_router(_routes.health)
    app.include_router(_routes.flows)
    app.include_router(_routes.tickets)
    app.openapi = lambda: _described(app)  # type: ignore[method-assign]
    return app


def openapi_text() -> str:
    """The OpenAPI document as the repository keeps it (schema/openapi.json)."""
    return json.dumps(_bare_app().openapi(), indent=2, ensure_ascii=False) + "\n"


def create_app(service: Service, tokens: Tokens | None = None) -> FastAPI:
    """The application on ``service``; with ``tokens``, every call but the health checks
    and the API's description needs one."""
    app = _bare_app()
    app.state.service = service
    app.state.tokens = tokens if tokens is not None else Tokens([])
    app.state.metrics = figures = Metrics(service.store)

    @app.middleware("http")
    async def timed(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        figures.request(
            request.method, template, response.status_code, time.perf_counter() - started
        )
        return response

    _console.mount(app)  # the web console's pages, under /console
    app.add_middleware(_BodyLimit, limit=MAX_BODY)
    return app


__all__ = [
    "API",
    "MAX_BODY",
    "create_app",
    "openapi_text",
    "problem_response",
    "require",
    "service_of",
]
