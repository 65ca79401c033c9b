"""The API's routes: flows and the matrix, tickets, and the health checks.

Each route reads its arguments, calls the engine (the same public API a Python service
calls) and shows the result through ``_views``; errors are raised as escflow's and
answered by the table in ``_problems``. Routes are plain functions: FastAPI runs them on
its thread pool, and the engine is safe to share between threads.
"""

from __future__ import annotations

import importlib.metadata
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from escflow.compile import CompiledFlow
from escflow.errors import InputError, RuntimeFlowError, StoreError, UnknownName
from escflow.http import _models as m
from escflow.http import _views as v
from escflow.http._app import API, problem_response, require, service_of
from escflow.http._auth import Principal
from escflow.http._listing import encode_cursor, ticket_query
from escflow.http._metrics import MEDIA_TYPE as METRICS_TYPE
from escflow.http._metrics import Metrics
from escflow.http._problems import error_problem
from escflow.http._service import Service
from escflow.records import Change
from escflow.render import path_of, render_flow
from escflow.store._migrate import latest

Viewer = Annotated[Principal, Depends(require("viewer"))]
Agent = Annotated[Principal, Depends(require("agent"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Served = Annotated[Service, Depends(service_of)]
TicketId = Annotated[str, Path(description="the ticket id", max_length=200)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="the same call again (a retry) applies once and gets the first answer;"
        " the same key with another call is refused (422)",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="the ticket's ETag as read: the call is refused (412) if it moved since",
    ),
]
_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def version() -> str:
    """escflow's installed version (the API's version in its description)."""
    try:
        return importlib.metadata.version("escflow")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def etag(ticket_version: int) -> str:
    """A ticket's ETag: its version, quoted."""
    return f'"{ticket_version}"'


def _guards(
    request: Request, who: Principal, key: str | None, if_match: str | None, body: Any
) -> dict[str, Any]:
    """What every command on a ticket passes the engine beside its own arguments: who
    acts, the idempotency key, when it happened, and the step and version it was meant for."""
    return {
        "actor": who.name,
        "key": key,
        "at": body.at,
        "from_step": body.from_step,
        "if_version": _if_version(request, if_match),
    }


def _if_version(request: Request, header: str | None) -> int | None:
    """The version an ``If-Match`` names (None for none, or ``*``); marks the request so
    that a stale ticket is answered 412."""
    if header is None or header.strip() == "*":
        return None
    found = _ETAG.match(header.strip())
    if found is None:
        raise InputError(f'If-Match is {header!r}; give the ETag a ticket was read with, e.g. "3"')
    request.state.if_match = True
    return int(found.group(1))


# --- health --------------------------------------------------------------------------

health = APIRouter(tags=["health"])


@health.get("/healthz", response_model=m.Health, summary="the server is up")
def healthz() -> dict[str, str]:
    """Answers while the process serves requests; no store is read."""
    return {"status": "ok"}


@health.get(
    "/readyz",
    response_model=m.Ready,
    summary="the store is reachable and its schema current",
    responses={503: {"description": "not ready: the store cannot be used"}},
)
def readyz(service: Served) -> dict[str, Any]:
    """Reads the store's schema version and compares it with this escflow's."""
    store = service.store
    reader = getattr(store, "schema_version", None)
    if reader is None:  # a memory store has no schema
        return {"status": "ready", "schema_version": None}
    found = int(reader())
    wanted = latest(str(store.dialect))  # type: ignore[attr-defined]
    if found != wanted:
        raise StoreError(
            f"the store has schema {found}, this escflow writes {wanted}: run 'escflow db"
            " upgrade' (or restart the server, which upgrades it)"
        )
    return {"status": "ready", "schema_version": found}


@health.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {METRICS_TYPE: {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
def metrics(request: Request, who: Viewer) -> Response:
    """Open tickets by flow and level, the outbox's backlog and failures (from the store),
    request latency and the events this server's calls applied (of this process)."""
    figures: Metrics = request.app.state.metrics
    return Response(figures.exposition(), media_type=METRICS_TYPE)


# --- flows ---------------------------------------------------------------------------

flows = APIRouter(prefix=f"{API}/flows", tags=["flows"])


def _flow(service: Service, flow_id: str) -> CompiledFlow:
    """The running flow ``flow_id``; unknown, a 404 that lists the flows."""
    try:
        return service.engine.matrix.flow(flow_id)
    except UnknownName as exc:
        raise NotFound(exc) from None


class NotFound(Exception):
    """An escflow error that, on this route, means the resource is not there (404)."""

    def __init__(self, error: RuntimeFlowError) -> None:
        super().__init__(str(error))
        self.error = error


@flows.get("", response_model=m.FlowList, summary="the flows the server runs")
def list_flows(service: Served, who: Viewer) -> m.FlowList:
    """Every flow, with the digest of the version running, sorted by id."""
    matrix = service.engine.matrix
    return m.FlowList(
        loaded_at=service.loaded.at,
        flows=[v.flow_summary(matrix.flows[f]) for f in sorted(matrix.flows)],
    )


@flows.post("/reload", response_model=m.ReloadOut, summary="read the flows again (admin)")
def reload_flows(service: Served, who: Admin) -> m.ReloadOut:
    """Read the flow definitions again and run them from now on. With errors, nothing
    changes (the running flows go on) and the answer lists every problem (422)."""
    done = service.reload()
    return m.ReloadOut(
        loaded_at=done.loaded.at,
        versions=done.loaded.versions,
        added=done.added,
        changed=done.changed,
        removed=done.removed,
    )


@flows.get("/{flow_id}", response_model=m.FlowOut, summary="one compiled flow")
def get_flow(
    flow_id: Annotated[str, Path(max_length=200)], service: Served, who: Viewer
) -> m.FlowOut:
    """Levels with their windows as written and per priority, steps and triggers,
    priorities and SLA targets, the digest and the versions the store holds."""
    flow = _flow(service, flow_id)
    stored = service.store.flow_versions(flow.id)
    if flow.digest not in {digest for digest, _ in stored}:  # saved with its first ticket
        stored.append((flow.digest, None))
    versions = [
        m.VersionOut(digest=digest, saved_at=saved, running=digest == flow.digest)
        for digest, saved in stored
    ]
    return v.flow_out(flow, versions)


_SVG = {200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}}


@flows.get(
    "/{flow_id}/diagram.svg",
    response_class=Response,
    responses=_SVG,  # type: ignore[arg-type]
    summary="the flowchart as SVG, a ticket's path lit with ?ticket=ID",
)
def flow_diagram(
    flow_id: Annotated[str, Path(max_length=200)],
    service: Served,
    who: Viewer,
    ticket: Annotated[
        str | None, Query(max_length=200, description="draw this ticket's path on it")
    ] = None,
) -> Response:
    """The flowchart of the running version; with ``ticket``, of the version the ticket
    runs on, with its path and current step drawn."""
    engine = service.engine
    flow = _flow(service, flow_id)
    path = None
    if ticket is not None:
        found = engine.preview(ticket).ticket
        if found.flow != flow.id:
            raise InputError(
                f"ticket '{ticket}' is of flow '{found.flow}', not '{flow.id}': ask for"
                f" /api/v1/flows/{found.flow}/diagram.svg?ticket={ticket}",
                ticket_id=ticket,
            )
        flow = engine.flow_of(found)
        path = path_of(found, engine.history(ticket))
    svg = render_flow(flow, "svg", path=path)
    return Response(svg, media_type="image/svg+xml")


# --- tickets -------------------------------------------------------------------------

tickets = APIRouter(prefix=f"{API}/tickets", tags=["tickets"])


def _answer(request: Request, service: Service, change: Change, status: int = 200) -> JSONResponse:
    """A command's answer: what changed, with the ticket's ETag (and its events counted)."""
    metrics: Metrics = request.app.state.metrics
    metrics.change(change)
    body = v.change_out(service.engine, change, service.clock.now())
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status,
        headers={"ETag": etag(body.ticket.version)},
    )


@tickets.post(
    "",
    status_code=201,
    response_model=m.ChangeOut,
    summary="open a ticket",
)
def open_ticket(
    body: m.OpenTicket,
    request: Request,
    service: Served,
    who: Agent,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Open a ticket of ``flow`` at the entry step of its priority."""
    change = service.engine.open(
        body.flow,
        priority=body.priority,
        ticket_id=body.id,
        attrs=body.attrs,
        actor=who.name,
        note=body.note,
        reason=body.reason,
        key=key,
        at=body.at,
    )
    answer = _answer(request, service, change, 201)
    answer.headers["Location"] = f"/api/v1/tickets/{change.ticket.id}"
    return answer


@tickets.get("", response_model=m.TicketPage, summary="tickets, soonest deadline first")
def list_tickets(
    service: Served,
    who: Viewer,
    flow: Annotated[str | None, Query(max_length=200, description="a flow id")] = None,
    status: Literal["open", "paused", "resolved"] | None = None,
    level: Annotated[str | None, Query(max_length=200, description="a level id")] = None,
    contact: Annotated[
        str | None, Query(max_length=200, description="a contact point's id: its levels")
    ] = None,
    priority: Annotated[str | None, Query(max_length=200)] = None,
    due_before: Annotated[
        datetime | None,
        Query(description="next deadline or warning at or before this instant (with offset)"),
    ] = None,
    breaching_within: Annotated[
        int | None,
        Query(ge=0, le=525_600, description="next deadline or warning within N minutes"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=1000, description="the 'next' of the page before")
    ] = None,
) -> m.TicketPage:
    """Tickets that pass every filter given, the soonest next deadline or warning first
    (those without one after them, by id), a page at a time: ``next`` is the cursor of
    the page after. A page is read from the deadline index after the cursor, so it
    costs the same at any depth. Tickets are shown as stored; GET one ticket to see it
    as its flow has taken it by now."""
    engine = service.engine
    now = service.clock.now()
    query = ticket_query(
        engine.matrix,
        now,
        status=status,
        flow=flow,
        priority=priority,
        level=level,
        contact=contact,
        due_before=due_before,
        breaching_within=breaching_within,
        cursor=cursor,
        limit=limit + 1,  # one more than the page: whether a page follows
    )
    found = service.store.ticket_page(query)
    page = found[:limit]
    following = encode_cursor(page[-1]) if len(found) > limit else None
    return m.TicketPage(items=[v.ticket_out(engine, t, now) for t in page], next=following)


@tickets.get("/{ticket_id}", response_model=m.TicketOut, summary="one ticket, as of now")
def get_ticket(ticket_id: TicketId, service: Served, who: Viewer) -> JSONResponse:
    """The ticket as its flow has taken it by now: valid triggers, deadlines in UTC and
    local time, who is on duty, SLA use. Its ETag is its version."""
    engine = service.engine
    now = service.clock.now()
    ticket = engine.preview(ticket_id, at=now).ticket
    body = v.ticket_out(engine, ticket, now)
    return JSONResponse(body.model_dump(mode="json"), headers={"ETag": etag(ticket.version)})


@tickets.get("/{ticket_id}/history", response_model=list[m.EventOut], summary="its events")
def ticket_history(ticket_id: TicketId, service: Served, who: Viewer) -> list[m.EventOut]:
    """Every event of the ticket, oldest first."""
    return [v.event_out(e) for e in service.engine.history(ticket_id)]


@tickets.get("/{ticket_id}/outbox", response_model=list[m.ActionOut], summary="its actions")
def ticket_outbox(ticket_id: TicketId, service: Served, who: Viewer) -> list[m.ActionOut]:
    """Every action the ticket queued, with its delivery status."""
    return [v.action_out(a) for a in service.engine.outbox(ticket_id)]


@tickets.post("/{ticket_id}/fire", response_model=m.ChangeOut, summary="fire a trigger")
def fire(
    ticket_id: TicketId,
    body: m.Fire,
    request: Request,
    service: Served,
    who: Agent,
    key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Fire a trigger of the ticket's step; an invalid one is refused with the valid ones."""
    guards = _guards(request, who, key, if_match, body)
    change = service.engine.fire(
        ticket_id, body.trigger, note=body.note, reason=body.reason, **guards
    )
    return _answer(request, service, change)


_VERBS: dict[str, tuple[str, str]] = {
    "ack": ("acknowledge", "someone at the level took the ticket"),
    "pause": ("pause", "wait on the customer: the clocks stop"),
    "resume": ("resume", "the customer answered: the clocks run again"),
    "resolve": ("resolve", "resolve the ticket"),
    "reopen": ("reopen", "reopen a resolved ticket"),
}


def _verb_route(verb: str, call: str, text: str) -> None:
    def route(
        ticket_id: TicketId,
        request: Request,
        service: Served,
        who: Agent,
        key: IdempotencyKey = None,
        if_match: IfMatch = None,
        body: m.Call | None = None,
    ) -> JSONResponse:
        said = body or m.Call()
        guards = _guards(request, who, key, if_match, said)
        change = getattr(service.engine, call)(
            ticket_id, note=said.note, reason=said.reason, **guards
        )
        return _answer(request, service, change)

    route.__name__ = call
    route.__doc__ = f"{text[0].upper()}{text[1:]}."
    tickets.add_api_route(
        f"/{{ticket_id}}/{verb}",
        route,
        methods=["POST"],
        response_model=m.ChangeOut,
        summary=text,
    )


for _verb, (_call, _text) in _VERBS.items():
    _verb_route(_verb, _call, _text)


@tickets.post("/{ticket_id}/attach", response_model=m.ChangeOut, summary="record evidence")
def attach(
    ticket_id: TicketId,
    body: m.Attach,
    request: Request,
    service: Served,
    who: Agent,
    key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Record evidence: an email, a call (with when it happened), a document, a note."""
    guards = _guards(request, who, key, if_match, body)
    change = service.engine.attach(
        ticket_id, body.kind, body.summary, ref=body.ref, occurred_at=body.occurred_at, **guards
    )
    return _answer(request, service, change)


def not_found(request: Request, exc: Exception) -> Response:
    """A route's :class:`NotFound`: the escflow error's problem, as a 404."""
    assert isinstance(exc, NotFound)
    body = error_problem(exc.error, instance=request.url.path, status=404)
    return problem_response(body)


__all__ = ["etag", "flows", "health", "not_found", "tickets", "version"]
