"""Commands on tickets in a store: ``ticket ...``.

These commands queue actions; ``escflow worker`` (``_worker.py``) delivers them. The verbs
that only read open the store read-only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from escflow.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    Commands,
    add_flows,
    instant,
    json_fields,
    jsonable,
    load_running,
    local_time,
    plural,
    say,
    say_json,
)
from escflow.cli._outbox import print_actions
from escflow.cli._store import add_db
from escflow.errors import EscflowError
from escflow.records import STATUSES, AttrValue, Change, Event, Ticket
from escflow.runtime import Actions, Engine, post_json
from escflow.runtime._engine import EVIDENCE
from escflow.runtime._inputs import MAX_BATCH
from escflow.runtime._lines import LineLog
from escflow.spec._chars import visible
from escflow.store import open_store
from escflow.timing._duration import Duration

_READING = frozenset({"show", "history", "outbox", "list"})  # verbs that open the store to read


def register(commands: Commands) -> None:
    """Add ``ticket``."""
    ticket = commands.add_parser("ticket", help="open, move and inspect tickets in a store")
    verbs = ticket.add_subparsers(dest="verb", required=True, metavar="VERB")

    opened = _verb(verbs, "open", "open a ticket of a category (flow id)")
    opened.add_argument("category", help="the flow id, e.g. complaint")
    opened.add_argument("--priority")
    opened.add_argument("--id", dest="ticket_id", help="the ticket id (default: generated)")
    opened.add_argument(
        "--attr",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an attribute to keep on the ticket, typed: vip=true, tier=2, code='\"007\"'"
        " (text in double quotes), region=north (other text as written); repeatable",
    )
    _call_options(opened, guards=False)

    fired = _verb(verbs, "fire", "fire a trigger of the ticket's step")
    fired.add_argument("ticket_id", metavar="ID")
    fired.add_argument("trigger")
    _call_options(fired)

    for name, text in _LIFECYCLE:
        verb = _verb(verbs, name, text)
        verb.add_argument("ticket_id", metavar="ID")
        _call_options(verb)

    attached = _verb(verbs, "attach", "record evidence: an email, a call, a document, a note")
    attached.add_argument("ticket_id", metavar="ID")
    attached.add_argument("kind", choices=EVIDENCE, help="what the evidence is")
    attached.add_argument("summary", help="what it says, in a line")
    attached.add_argument("--ref", help="where it is kept: a message id, a file, a link")
    attached.add_argument(
        "--occurred-at",
        type=instant,
        metavar="WHEN",
        help="when the call or email happened, with its offset, e.g. 2026-11-23T10:00+01:00",
    )
    _call_options(attached, texts=False)

    for name, text in (
        ("show", "the ticket now, and the triggers valid from its step"),
        ("history", "every event of the ticket"),
        ("outbox", "the actions the ticket queued, and whether each was delivered"),
    ):
        verb = _verb(verbs, name, text, acts=False)
        verb.add_argument("ticket_id", metavar="ID")
        if name == "show":
            verb.add_argument(
                "--at",
                type=instant,
                metavar="WHEN",
                help="the ticket as it stood then, rebuilt from its events, e.g."
                " 2026-11-23T10:00+01:00 (default: now)",
            )

    listed = _verb(
        verbs,
        "list",
        "tickets, the soonest next deadline first (those without one after them)",
        acts=False,
    )
    listed.add_argument("--status", choices=STATUSES)
    listed.add_argument("--flow", metavar="FLOW", help="tickets of this flow (issue category)")
    due = listed.add_mutually_exclusive_group()
    due.add_argument(
        "--overdue",
        action="store_true",
        help="only tickets whose deadline or warning has passed (a worker would move them)",
    )
    due.add_argument(
        "--due-by",
        type=instant,
        metavar="WHEN",
        help="only tickets whose deadline or warning falls by then, e.g. 2026-11-23T17:00+01:00",
    )
    listed.add_argument(
        "--breached",
        action="store_true",
        help="only tickets that missed an SLA target (first response or resolution)",
    )
    listed.add_argument(
        "--breaching-within",
        type=_within,
        metavar="DURATION",
        help="only tickets that miss an SLA target within DURATION from now unless it is met,"
        " e.g. 30m or 2 hours",
    )
    listed.add_argument(
        "--limit",
        type=_batch,
        default=50,
        metavar="N",
        help=f"at most N tickets, 1 to {MAX_BATCH:,} (default: 50)",
    )


def _within(text: str) -> timedelta:
    """``30m``, ``2 hours``: elapsed time from now (business time would need a calendar)."""
    try:
        duration = Duration.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if duration.business:
        raise argparse.ArgumentTypeError(
            f"'{text}' is business time; give elapsed time from now, e.g. 30m or 4 hours"
        )
    return timedelta(minutes=duration.minutes)


def _batch(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_BATCH:
        raise argparse.ArgumentTypeError(f"{value} is out of range; give 1 to {MAX_BATCH:,}")
    return value


# The verbs that change a ticket's status: the CLI name, and what it does.
_LIFECYCLE = (
    ("ack", "acknowledge: someone at the level took the ticket"),
    ("pause", "wait on the customer: the clocks stop"),
    ("resume", "the customer answered: the clocks run again"),
    ("resolve", "resolve the ticket"),
    ("reopen", "reopen a resolved ticket"),
)
# The Engine call of each verb that acts on a ticket.
_CALLS = {"ack": "acknowledge", **{name: name for name in ("pause", "resume", "resolve", "reopen")}}


def _call_options(
    parser: argparse.ArgumentParser, *, guards: bool = True, texts: bool = True
) -> None:
    """The options every call on a ticket takes, named as the Python API names them."""
    if texts:
        parser.add_argument("--note", help="a note for the history")
        parser.add_argument("--reason", help="why: what the customer is told")
    parser.add_argument("--key", help="idempotency key: the same call again applies once")
    parser.add_argument(
        "--at",
        type=instant,
        metavar="WHEN",
        help="when it happened, if not now, with its offset (a late report)",
    )
    if guards:
        parser.add_argument(
            "--from-step",
            metavar="STEP",
            help="refuse unless the ticket is at STEP (the step you saw)",
        )
        parser.add_argument(
            "--if-version",
            type=_version,
            metavar="N",
            help="refuse unless the ticket is at version N (as ticket show printed it)",
        )


def _version(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a version; versions start at 1")
    return value


def _verb(verbs: Any, name: str, text: str, *, acts: bool = True) -> argparse.ArgumentParser:
    """A ticket verb; one that ``acts`` (changes the ticket) says who does it."""
    parser: argparse.ArgumentParser = verbs.add_parser(name, help=text, description=text)
    _common(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    if acts:
        parser.add_argument("--actor", default="cli", help="who does it (default: cli)")
    parser.set_defaults(run=_ticket)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    add_flows(parser)


def _engine(
    args: argparse.Namespace,
    stream: IO[str] | LineLog,
    *,
    create: bool = False,
    readonly: bool = False,
) -> Engine:
    """The engine on ``--db``; only a command that starts the work (``create``, as
    ``ticket open`` does) makes a database that is not there: any other would answer
    "no tickets" from an empty one a mistyped path made, and report success. A command
    that only reads opens the store ``readonly``."""
    matrix = load_running([args.flows])
    logged = Actions.log(stream)
    actions = Actions(notify=logged.notify, webhook=post_json, handlers=logged.handlers)
    store = open_store(args.db, create=create, readonly=readonly)
    return Engine(matrix, store, actions=actions)


def _attrs(pairs: list[str]) -> dict[str, AttrValue]:
    found: dict[str, AttrValue] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--attr '{pair}' is not KEY=VALUE")
        if key in found:
            raise ValueError(
                f"--attr gives '{key}' twice ({key}={found[key]}, {pair}); give each key once"
            )
        found[key] = _attr_value(value)
    return found


def _attr_value(text: str) -> AttrValue:
    """A value typed as the Python API takes it: ``true``/``false``, a number, or text in
    double quotes (``"007"``) read as JSON reads them; any other text as written."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, float) and not math.isfinite(value):
        return text  # NaN, Infinity: words, not numbers, to a helpdesk
    return value if isinstance(value, bool | int | float | str) else text


def _ticket(args: argparse.Namespace) -> int:
    verb, actor = args.verb, getattr(args, "actor", "cli")
    try:  # a usage error, said before any store is opened (or made)
        attrs = _attrs(args.attr) if verb == "open" else {}
    except ValueError as exc:
        say(f"escflow: {exc}", err=True)
        return EXIT_USAGE
    engine = _engine(args, sys.stdout, create=verb == "open", readonly=verb in _READING)
    said: dict[str, Any] = {}
    if hasattr(args, "key"):  # a verb that acts on the ticket
        said = {"actor": actor, "key": args.key, "at": args.at}
        if verb != "attach":
            said |= {"note": args.note, "reason": args.reason}
        if verb != "open":
            said |= {"from_step": args.from_step, "if_version": args.if_version}
    if verb == "open":
        change = engine.open(
            args.category, priority=args.priority, ticket_id=args.ticket_id, attrs=attrs, **said
        )
    elif verb == "fire":
        change = engine.fire(args.ticket_id, args.trigger, **said)
    elif verb in _CALLS:
        change = getattr(engine, _CALLS[verb])(args.ticket_id, **said)
    elif verb == "attach":
        change = engine.attach(
            args.ticket_id,
            args.kind,
            args.summary,
            ref=args.ref,
            occurred_at=args.occurred_at,
            **said,
        )
    elif verb == "show":
        shown = (
            engine.preview(args.ticket_id)
            if args.at is None
            else engine.state_at(args.ticket_id, args.at)
        )
        return _print_ticket(engine, shown, args.format)
    elif verb == "history":
        return _print_history(engine, args.ticket_id, args.format)
    elif verb == "outbox":
        zone = _zone(engine, engine.get(args.ticket_id))
        return print_actions(engine.outbox(args.ticket_id), args.format, zone=zone)
    else:
        now = engine.clock.now()
        found = engine.tickets(
            status=args.status,
            flow=args.flow,
            due_by=now if args.overdue else args.due_by,
            limit=args.limit,
            breached=args.breached,
            breaching_within=args.breaching_within,
        )
        return _print_list(engine, found, now, args.format)
    return _print_change(engine, change, args.format)


def _ticket_dict(ticket: Ticket, zone: ZoneInfo | None = None) -> dict[str, Any]:
    """The ticket's fields; instants in UTC (JSON), or in ``zone`` for people."""
    fields = (
        "id",
        "flow",
        "priority",
        "status",
        "step",
        "level",
        "assignee",
        "deadline",
        "warn_at",
        "opened_at",
        "updated_at",
        "first_response_due",
        "first_response_at",
        "resolution_due",
        "resolved_at",
        "breached_at",
        "breach_due",
        "version",
    )
    shown = json_fields(ticket, fields)
    if zone is not None:
        for name in fields:
            value = getattr(ticket, name)
            if isinstance(value, datetime):
                shown[name] = local_time(value, zone)
    return {
        **shown,
        "digest": ticket.digest[:12],
        "attrs": dict(ticket.attrs),
    }


def _event_dict(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "actor": event.actor,
        "from": event.from_step,
        "to": event.to_step,
        "trigger": event.trigger,
        "reason": event.reason,
        "note": event.note,
        "key": event.key,
        "data": jsonable(event.data),
    }


def _zone(engine: Engine, ticket: Ticket) -> ZoneInfo:
    """The time zone of the calendar of the flow version the ticket runs."""
    return ZoneInfo(engine.flow_of(ticket).timezone)


def _event_line(event: Event, zone: ZoneInfo) -> str:
    if event.kind == "damaged":  # what the row says it was, and why it cannot be read
        at = "?" if "stored_at" in event.data else local_time(event.at, zone)
        stored = event.data.get("kind")
        return f"{event.seq:>3} {at} damaged (stored as {stored}): {event.data.get('damage')}"
    parts = [f"{event.seq:>3}", local_time(event.at, zone), event.kind]
    if event.trigger:
        parts.append(f"[{event.trigger}]")
    if event.kind == "attached":
        ref = event.data.get("ref")
        parts.append(f"[{event.data.get('kind')}{f' {ref}' if ref else ''}]")
    if event.to_step:
        parts.append(
            f"{event.from_step} -> {event.to_step}" if event.from_step else f"-> {event.to_step}"
        )
    line = " ".join(parts)
    if event.reason:
        line += f": {event.reason}"
    if event.note:
        line += f" ({event.note})"
    # One event, one line: say() shows its line breaks, tabs and escapes as escapes
    # (``--format json`` keeps the text as written).
    return f"{line} by {event.actor}"


def _print_change(engine: Engine, change: Change, fmt: str) -> int:
    if fmt == "json":
        say_json(
            {
                "ticket": _ticket_dict(change.ticket),
                "events": [_event_dict(e) for e in change.events],
                "actions": [
                    {"key": a.key, "kind": a.kind, "target": a.target} for a in change.actions
                ],
                "replayed": change.replayed,
            }
        )
        return EXIT_OK
    ticket = change.ticket
    zone = _zone(engine, ticket)
    for event in change.events:
        say(_event_line(event, zone))
    due = local_time(ticket.deadline, zone) if ticket.deadline else "none"
    say(
        f"{ticket.id}: {ticket.status} at {ticket.step} (level {ticket.level}),"
        f" next deadline {due}{' (already applied: replayed)' if change.replayed else ''}"
    )
    return EXIT_OK


def _print_ticket(engine: Engine, now: Change, fmt: str) -> int:
    """The ticket as its flow has taken it by now, and the timer events not yet stored."""
    ticket = now.ticket
    triggers = engine.triggers_of(ticket)
    if fmt == "json":
        shown = {
            **_ticket_dict(ticket),
            "valid_triggers": triggers,
            "unstored_events": [_event_dict(e) for e in now.events],
        }
        say_json(shown)
        return EXIT_OK
    zone = _zone(engine, ticket)
    for key, value in _ticket_dict(ticket, zone).items():
        if value not in (None, {}, ""):
            say(f"{key:>18}: {value}")
    say(f"{'valid triggers':>18}: {', '.join(triggers) or '-'}")
    if now.events:
        say(
            f"{plural(len(now.events), 'timer event')} passed since the ticket was stored"
            " (a worker or the next call stores them):"
        )
        for event in now.events:
            say(_event_line(event, zone))
    return EXIT_OK


def _print_history(engine: Engine, ticket_id: str, fmt: str) -> int:
    events = engine.history(ticket_id)
    if fmt == "json":
        say_json([_event_dict(e) for e in events])
        return EXIT_OK
    try:
        zone = _zone(engine, engine.get(ticket_id))
    except EscflowError as exc:  # a damaged row or a lost version: the events still show
        zone = ZoneInfo("UTC")
        say(f"times in UTC: the ticket's calendar cannot be read ({exc})")
    for event in events:
        say(_event_line(event, zone))
    return EXIT_OK


def _sla_cell(ticket: Ticket, now: datetime, zone: ZoneInfo) -> str:
    """``breached``, the instant the ticket misses its next SLA target, or ``-``."""
    due = ticket.breach_due
    if ticket.breached_at is not None or (due is not None and due <= now):
        return "breached"
    return "-" if due is None else local_time(due, zone)


def _print_list(engine: Engine, tickets: list[Ticket], now: datetime, fmt: str) -> int:
    if fmt == "json":
        say_json([_ticket_dict(t) for t in tickets])
        return EXIT_OK
    if not tickets:
        say("no tickets")
        return EXIT_OK
    rows = [("ID", "FLOW", "STATUS", "LEVEL", "STEP", "ASSIGNEE", "SLA", "NEXT DUE")]
    for ticket in tickets:
        due, zone = ticket.next_due, _zone(engine, ticket)
        when = "-" if due is None else local_time(due, zone) + (" (overdue)" if due <= now else "")
        rows.append(
            (
                ticket.id,
                ticket.flow,
                ticket.status,
                ticket.level,
                ticket.step,
                ticket.assignee or "-",
                _sla_cell(ticket, now, zone),
                when,
            )
        )
    shown = [[visible(cell) for cell in row] for row in rows]  # padded as printed
    widths = [max(len(row[i]) for row in shown) for i in range(len(shown[0]) - 1)]
    for row in shown:  # the last column is not padded: no trailing spaces
        say("  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]]))
    return EXIT_OK
