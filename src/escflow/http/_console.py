"""The web console: server-rendered pages for the people on the ladder, under ``/console``.

- ``/console/``: the board, flows x levels with the open tickets of each cell coloured by
  how near their deadlines are, and the tickets nearest to breach with countdowns;
- ``/console/tickets/ID``: one ticket, its buttons (its valid triggers, ack, pause,
  resume, resolve, reopen, evidence), its history and its flowchart with the path lit;
- ``/console/flows``: every flowchart with its levels, windows and versions;
- ``/console/stream``: the pages' live updates (Server-Sent Events, below).

The pages call the same engine as the API (``service.engine``) and hold no rule of
their own; what a person may do is the token's role, as in the API (a viewer reads, an
agent acts). Every form is checked against its session's CSRF token, and a command
carries the ticket's version as the page showed it: a ticket that moved since is not
changed, and the page says so.

The stream polls the store (every :data:`POLL` seconds, on a thread) rather than a
feed of events: for a ticket page, the ticket's version, and when it moved, its new
events, each sent with its sequence number as the event id, so that a browser that
reconnects with ``Last-Event-ID`` gets the events it missed; for the board, the open
counts and the nearest tickets, sent when they change. A change made by any process
on the same store (the CLI, a worker, another server) so reaches an open page within
a second. A stream ends after :data:`STREAM_LIFE` seconds and the browser reconnects,
so that a stopping server never waits on it for long.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from escflow.compile import CompiledFlow
from escflow.errors import EscflowError, InputError
from escflow.http import _console_pages as pages
from escflow.http import _views as v
from escflow.http._auth import LOCAL, Principal, Role, Tokens
from escflow.http._console_auth import (
    COOKIE,
    LIFETIME,
    PREFIX,
    SIGN_IN_COOKIE,
    SecurityHeaders,
    Session,
    Sessions,
    cookie,
    same,
)
from escflow.http._problems import status_of
from escflow.http._service import Service
from escflow.records import Ticket
from escflow.render import path_of, render_flow
from escflow.store import TicketQuery

POLL = 0.25
"""Seconds between two reads of the store by a stream."""
STREAM_LIFE = 20.0
"""Seconds a stream lasts before the browser reconnects (resuming by Last-Event-ID)."""
NEAREST = 10
"""How many tickets the board lists as nearest to breach."""
MAX_FORM = 64 * 1024
STATIC = Path(__file__).parent / "static"

# The buttons besides the triggers: the form's value -> (engine method, label, statuses
# it is shown in). The engine decides; the statuses only spare people useless buttons.
VERBS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ack": ("acknowledge", "Acknowledge", ("open",)),
    "pause": ("pause", "Pause (wait on the customer)", ("open",)),
    "resume": ("resume", "Resume", ("paused",)),
    "resolve": ("resolve", "Resolve", ("open", "paused")),
    "reopen": ("reopen", "Reopen", ("resolved",)),
}
EVIDENCE = ("note", "email", "call", "document")

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class _Redirect(Exception):
    """Answer with a redirect (no session: to the sign-in page)."""

    def __init__(self, to: str) -> None:
        super().__init__(to)
        self.to = to


class _Refused(Exception):
    """Answer with an error page."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.console_sessions
    return sessions


def _signed_in(request: Request, role: Role = "viewer") -> Session:
    """The request's session, whose principal holds ``role``; none: to the sign-in page."""
    now = _service(request).clock.now()
    session = _sessions(request).find(request.cookies.get(COOKIE), now)
    if session is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise _Redirect(f"{PREFIX}/sign-in?next={quote(back, safe='')}")
    if not session.principal.may(role):
        raise _Refused(
            403,
            "Your token's role does not allow this",
            f"'{session.principal.name}' is a {session.principal.role}; acting on tickets"
            " needs an agent's or an admin's token: sign in with one",
        )
    return session


async def _form(
    request: Request, session: Session | None, expected: str | None = None
) -> dict[str, str]:
    """The fields of a posted form, its CSRF token checked (the session's, or ``expected``)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise _Refused(413, "The form is too large", f"a form takes at most {MAX_FORM} bytes")
    try:
        fields = {k: vs[0] for k, vs in parse_qs(body.decode("utf-8")).items()}
    except UnicodeDecodeError:
        raise _Refused(400, "The form cannot be read", "send the form as UTF-8") from None
    token = expected if session is None else session.csrf
    if not same(fields.get("csrf"), token):
        raise _Refused(
            403,
            "The form lacks its CSRF token",
            "the form did not come from this console's page, or it is older than your"
            " session: load the page again and repeat what you did",
        )
    return fields


def _page(
    request: Request, template: str, session: Session | None, status: int = 200, **values: Any
) -> HTMLResponse:
    service = _service(request)
    flash = list(session.flash) if session is not None else []
    if session is not None:
        session.flash.clear()
    html = pages.render(
        template,
        session=session,
        prefix=PREFIX,
        now=service.clock.now(),
        flash=flash,
        **values,
    )
    return HTMLResponse(html, status_code=status)


# --- signing in ----------------------------------------------------------------------


def _next(target: str | None) -> str:
    """Where to go after signing in: a console page only (never another site)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return f"{PREFIX}/"


@router.get("", response_class=HTMLResponse)
def root() -> RedirectResponse:
    """``/console`` is the board."""
    return RedirectResponse(f"{PREFIX}/", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form (its CSRF token repeated in a cookie of its own)."""
    return _sign_in(request, next, None, 200)


def _sign_in(request: Request, target: str | None, error: str | None, status: int) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    tokens: Tokens = request.app.state.tokens
    answer = _page(
        request,
        "sign_in.html",
        None,
        status,
        csrf=token,
        next=_next(target),
        error=error,
        open_server=not tokens,
    )
    secure = request.url.scheme == "https"
    answer.headers["Set-Cookie"] = cookie(SIGN_IN_COOKIE, token, secure=secure, max_age=3600)
    return answer


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Check the token and start a session; a wrong token gets the form again (401)."""
    fields = await _form(request, None, request.cookies.get(SIGN_IN_COOKIE))
    tokens: Tokens = request.app.state.tokens
    given = fields.get("token", "").strip()
    principal: Principal | None = LOCAL if not tokens else tokens.find(given) if given else None
    if principal is None:
        return _sign_in(
            request,
            fields.get("next"),
            "That token is not one this server knows: paste it again, whole, as your"
            " administrator gave it",
            401,
        )
    sid, _ = _sessions(request).start(principal, _service(request).clock.now())
    answer = RedirectResponse(_next(fields.get("next")), status_code=303)
    secure = request.url.scheme == "https"
    answer.headers.append(
        "Set-Cookie", cookie(COOKIE, sid, secure=secure, max_age=int(LIFETIME.total_seconds()))
    )
    answer.headers.append("Set-Cookie", cookie(SIGN_IN_COOKIE, "", secure=secure, max_age=0))
    return answer


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request) -> Response:
    """End the session."""
    session = _signed_in(request)
    await _form(request, session)
    _sessions(request).end(request.cookies.get(COOKIE))
    answer = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    answer.headers["Set-Cookie"] = cookie(
        COOKIE, "", secure=request.url.scheme == "https", max_age=0
    )
    return answer


# --- the board -----------------------------------------------------------------------


def _cells(service: Service, now: datetime) -> dict[tuple[str, str], dict[str, Any]]:
    """Each (flow, level) with open tickets: how many, and the state of the soonest."""
    store = service.store
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for (flow_id, level_id), count in store.counts().open.items():
        if not count:
            continue
        first = store.ticket_page(TicketQuery(status="open", flow=flow_id, level=level_id, limit=1))
        soonest = first[0] if first else None
        state = pages.state_of(soonest.deadline, soonest.warn_at, now) if soonest else "calm"
        cells[(flow_id, level_id)] = {"count": count, "state": state, "soonest": soonest}
    return cells


def _nearest(service: Service, now: datetime) -> list[dict[str, Any]]:
    """The open tickets whose next deadline or warning comes first."""
    engine = service.engine
    rows = []
    for ticket in service.store.ticket_page(TicketQuery(status="open", limit=NEAREST)):
        if ticket.next_due is None:
            break
        flow = engine.flow_of(ticket)
        rows.append(
            {
                "ticket": ticket,
                "flow": flow,
                "level": flow.level(ticket.level),
                "state": pages.state_of(ticket.deadline, ticket.warn_at, now),
            }
        )
    return rows


@router.get("/", response_class=HTMLResponse)
async def board(request: Request) -> HTMLResponse:
    """Flows x levels, and the tickets nearest to breach."""
    session = _signed_in(request)
    service = _service(request)
    now = service.clock.now()
    cells, nearest = await run_in_threadpool(lambda: (_cells(service, now), _nearest(service, now)))
    matrix = service.engine.matrix
    flows = [matrix.flows[f] for f in sorted(matrix.flows)]
    width = max((len(f.levels) for f in flows), default=0)
    return _page(
        request,
        "board.html",
        session,
        flows=flows,
        cells=cells,
        nearest=nearest,
        width=width,
        stream=f"{PREFIX}/stream",
    )


# --- a ticket ------------------------------------------------------------------------


def _ticket_view(service: Service, ticket_id: str) -> dict[str, Any]:
    engine = service.engine
    now = service.clock.now()
    ticket = engine.preview(ticket_id, at=now).ticket
    flow = engine.flow_of(ticket)
    history = engine.history(ticket_id)
    shown = v.ticket_out(engine, ticket, now)
    step = flow.steps[ticket.step]
    labels = {t.id: t.label for t in step.triggers}
    triggers = [(t, labels.get(t) or t) for t in shown.valid_triggers]
    verbs = [(k, label) for k, (_, label, statuses) in VERBS.items() if ticket.status in statuses]
    if ticket.acknowledged:
        verbs = [(k, label) for k, label in verbs if k != "ack"]
    svg = render_flow(flow, "svg", path=path_of(ticket, history))
    return {
        "ticket": ticket,
        "shown": shown,
        "flow": flow,
        "level": flow.level(ticket.level),
        "step": step,
        "history": list(reversed(history)),
        "triggers": triggers,
        "verbs": verbs,
        "evidence": EVIDENCE,
        "chart": pages.svg_markup(svg),
        "state": pages.state_of(ticket.deadline, ticket.warn_at, now),
        "key": secrets.token_urlsafe(16),
        "last_seq": history[-1].seq if history else 0,
    }


def _known(error: EscflowError) -> _Refused:
    status, title = status_of(error)
    return _Refused(status, title, str(error))


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(request: Request, ticket_id: str) -> HTMLResponse:
    """One ticket: where it is, what can be done, what happened, its flowchart."""
    session = _signed_in(request)
    service = _service(request)
    try:
        view = await run_in_threadpool(_ticket_view, service, ticket_id)
    except EscflowError as exc:
        raise _known(exc) from None
    # The stream starts after the events this page shows.
    stream = f"{PREFIX}/stream?ticket={quote(ticket_id, safe='')}&since={view['last_seq']}"
    return _page(request, "ticket.html", session, stream=stream, **view)


def _command(service: Service, ticket_id: str, fields: dict[str, str], who: Principal) -> str:
    """Carry out the form's command; what happened, in words."""
    engine = service.engine
    doing = fields.get("do", "")
    note = fields.get("note", "").strip() or None
    version = fields.get("version", "")
    common: dict[str, Any] = {
        "actor": who.name,
        "note": note,
        "key": f"console-{fields['key']}" if fields.get("key") else None,
        "if_version": int(version) if version.isdigit() else None,
    }
    if doing.startswith("fire:"):
        trigger = doing.removeprefix("fire:")
        change = engine.fire(ticket_id, trigger, **common)
        return f"Fired '{trigger}': the ticket is at {change.ticket.step}"
    if doing in VERBS:
        method, label, _ = VERBS[doing]
        change = getattr(engine, method)(ticket_id, **common)
        return f"{label}: done; the ticket is {change.ticket.status} at {change.ticket.step}"
    raise InputError(
        f"the form asks for '{doing}', which is none of fire:TRIGGER, {', '.join(VERBS)}",
        ticket_id=ticket_id,
    )


def _attach(service: Service, ticket_id: str, fields: dict[str, str], who: Principal) -> str:
    kind = fields.get("kind", "")
    summary = fields.get("summary", "").strip()
    if kind not in EVIDENCE:
        raise InputError(
            f"evidence is one of {', '.join(EVIDENCE)}, not '{kind}'", ticket_id=ticket_id
        )
    if not summary:
        raise InputError("say in a line what the evidence is (Summary)", ticket_id=ticket_id)
    version = fields.get("version", "")
    service.engine.attach(
        ticket_id,
        kind,  # type: ignore[arg-type]
        summary,
        actor=who.name,
        ref=fields.get("ref", "").strip() or None,
        key=f"console-{fields['key']}" if fields.get("key") else None,
        if_version=int(version) if version.isdigit() else None,
    )
    return f"Recorded the {kind}: {summary}"


async def _act(
    request: Request,
    ticket_id: str,
    do: Callable[[Service, str, dict[str, str], Principal], str],
) -> Response:
    session = _signed_in(request, "agent")
    fields = await _form(request, session)
    try:
        said = await run_in_threadpool(do, _service(request), ticket_id, fields, session.principal)
        session.flash.append(("done", said))
    except EscflowError as exc:
        session.flash.append(("error", str(exc)))
    return RedirectResponse(f"{PREFIX}/tickets/{quote(ticket_id, safe='')}", status_code=303)


@router.post("/tickets/{ticket_id}/act", response_class=HTMLResponse)
async def act(request: Request, ticket_id: str) -> Response:
    """A button: a trigger or a verb, with the note; the ticket page again after it."""
    return await _act(request, ticket_id, _command)


@router.post("/tickets/{ticket_id}/attach", response_class=HTMLResponse)
async def attach(request: Request, ticket_id: str) -> Response:
    """Record evidence; the ticket page again after it."""
    return await _act(request, ticket_id, _attach)


# --- the flows -----------------------------------------------------------------------


_CHARTS: dict[str, bytes] = {}


def _chart(flow: CompiledFlow) -> bytes:
    """A flow version's flowchart, drawn once per digest (a version never changes)."""
    svg = _CHARTS.get(flow.digest)
    if svg is None:
        svg = _CHARTS[flow.digest] = render_flow(flow, "svg")
    return svg


@router.get("/flows", response_class=HTMLResponse)
async def flows_page(request: Request) -> HTMLResponse:
    """Every flow: its flowchart, levels, windows and the versions stored."""
    session = _signed_in(request)
    service = _service(request)
    matrix = service.engine.matrix

    def read() -> list[dict[str, Any]]:
        shown = []
        for flow_id in sorted(matrix.flows):
            flow = matrix.flows[flow_id]
            out = v.flow_out(flow, [])
            stored = service.store.flow_versions(flow_id)
            shown.append({"flow": flow, "out": out, "versions": stored})
        return shown

    return _page(request, "flows.html", session, flows=await run_in_threadpool(read))


@router.get("/flows/{flow_id}/diagram.svg")
async def flow_chart(request: Request, flow_id: str) -> Response:
    """A running flow's flowchart."""
    _signed_in(request)
    matrix = _service(request).engine.matrix
    if flow_id not in matrix.flows:
        raise _Refused(404, "No such flow", f"no flow '{flow_id}' runs here")
    flow = matrix.flows[flow_id]
    svg = await run_in_threadpool(_chart, flow)
    return Response(svg, media_type="image/svg+xml")


# --- live updates --------------------------------------------------------------------


def _board_mark(service: Service) -> str:
    """What the board shows, in short: it changed when this changed."""
    store = service.store
    counts = sorted((f, lv, n) for (f, lv), n in store.counts().open.items())
    nearest = [
        (t.id, t.version) for t in store.ticket_page(TicketQuery(status="open", limit=NEAREST))
    ]
    return json.dumps([counts, nearest])


def _ticket_news(
    service: Service, ticket_id: str, version: int, seen: int
) -> tuple[int, list[dict[str, Any]]]:
    """The ticket's version and its events after ``seen`` when it moved past ``version``."""
    ticket: Ticket | None = service.store.get(ticket_id)
    if ticket is None or ticket.version == version:
        return version, []
    events = [
        v.event_out(e).model_dump(mode="json")
        for e in service.store.history(ticket_id)
        if e.seq > seen
    ]
    return ticket.version, events


def _said(event: dict[str, Any]) -> str:
    """An event in a line, for the page's live region."""
    moved = f" to {event['to_step']}" if event.get("to_step") else ""
    by = f" by {event['actor']}" if event.get("actor") else ""
    return f"{event['kind']}{moved}{by}"


async def _ticket_stream(
    request: Request, service: Service, ticket_id: str, seen: int
) -> AsyncIterator[str]:
    yield "retry: 500\n\n"
    version, started = -1, asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - started < STREAM_LIFE:
        version, events = await run_in_threadpool(_ticket_news, service, ticket_id, version, seen)
        for event in events:
            seen = max(seen, int(event["seq"]))
            data = json.dumps({"ticket": ticket_id, "said": _said(event), "event": event})
            yield f"id: {event['seq']}\nevent: ticket\ndata: {data}\n\n"
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL)


async def _board_stream(request: Request, service: Service) -> AsyncIterator[str]:
    yield "retry: 500\n\n"
    mark, started = None, asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - started < STREAM_LIFE:
        now = await run_in_threadpool(_board_mark, service)
        if mark is not None and now != mark:
            yield f"event: board\ndata: {json.dumps({'said': 'the board changed'})}\n\n"
        mark = now
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL)


@router.get("/stream")
async def stream(request: Request, ticket: str | None = None) -> StreamingResponse:
    """Server-Sent Events for the board (no ``ticket``) or a ticket page."""
    _signed_in(request)
    service = _service(request)
    if ticket is None:
        events = _board_stream(request, service)
    else:
        last = request.headers.get("last-event-id", "")
        since = request.query_params.get("since", "")
        seen = int(last) if last.isdigit() else int(since) if since.isdigit() else 0
        events = _ticket_stream(request, service, ticket, seen)
    return StreamingResponse(
        events, media_type="text/event-stream", headers={"X-Accel-Buffering": "no"}
    )


# --- putting it on the app -----------------------------------------------------------


def _redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, _Redirect)
    return RedirectResponse(exc.to, status_code=303)


def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, _Refused)
    now = _service(request).clock.now()
    session = _sessions(request).find(request.cookies.get(COOKIE), now)
    return _page(request, "refused.html", session, exc.status, title=exc.title, detail=exc.detail)


def mount(app: FastAPI) -> None:
    """Put the console on ``app`` (one made by :func:`~escflow.http.create_app`)."""
    app.state.console_sessions = Sessions()
    app.add_exception_handler(_Redirect, _redirect)
    app.add_exception_handler(_Refused, _refused)
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_middleware(SecurityHeaders)


__all__ = ["NEAREST", "POLL", "STREAM_LIFE", "VERBS", "mount", "router"]
