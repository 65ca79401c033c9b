"""Commands on the outbox as a whole: ``outbox list``, ``outbox retry``, ``outbox discard``.

They need the store only, not the definitions. ``list`` opens it read-only; ``retry``
and ``discard`` change the rows they name, nothing else. The way an action is shown
(one line, or JSON) is shared with ``ticket outbox``.
"""

from __future__ import annotations

import argparse
from datetime import tzinfo
from typing import Any, cast

from escflow.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    json_fields,
    jsonable,
    local_time,
    plural,
    say,
    say_json,
)
from escflow.cli._store import add_db
from escflow.records import ACTION_STATUSES, Action
from escflow.runtime._inputs import MAX_BATCH
from escflow.store import (
    Admin,
    Retried,
    discard_action,
    list_outbox,
    open_store,
    retry_actions,
)
from escflow.timing import SystemClock

_FIELDS = (
    "key",
    "kind",
    "target",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "delivered_at",
    "failed_at",
    "last_error",
    "quarantine",
    "damage",
    "discarded_at",
    "discarded_by",
    "discard_note",
)


def register(commands: Commands) -> None:
    """Add ``outbox list``, ``outbox retry`` and ``outbox discard``."""
    outbox = commands.add_parser(
        "outbox",
        help="what the outbox holds undelivered: list, queue again, or set aside",
        description="The actions of every ticket that are not delivered: those pending, those"
        " that failed, and those quarantined because their stored row could not be read.",
    )
    verbs = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")

    listed = _verb(verbs, "list", "actions pending, failed or quarantined (default: all three)")
    listed.add_argument("--status", choices=ACTION_STATUSES, help="only actions in this state")
    listed.add_argument("--ticket", metavar="ID", help="only this ticket's actions")
    listed.add_argument(
        "--limit",
        type=_limit,
        default=100,
        metavar="N",
        help=f"at most N actions, 1 to {MAX_BATCH:,} (default: 100)",
    )
    listed.set_defaults(run=_list)

    retried = _verb(
        verbs,
        "retry",
        "queue failed (and repaired quarantined) actions again, under their own keys",
    )
    which = retried.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--ticket",
        metavar="ID",
        help="this ticket's failed and quarantined actions; a quarantined ticket goes back"
        " on the schedule too",
    )
    which.add_argument("--action", metavar="KEY", help="this action (failed or quarantined)")
    which.add_argument("--all-failed", action="store_true", help="every failed action")
    retried.set_defaults(run=_retry)

    dropped = _verb(verbs, "discard", "set an undelivered action aside for good (kept, recorded)")
    dropped.add_argument("--action", metavar="KEY", required=True, help="the action's key")
    dropped.add_argument("--note", help="why it is not delivered")
    dropped.add_argument("--actor", default="cli", help="who discards it (default: cli)")
    dropped.set_defaults(run=_discard)


def _verb(verbs: Any, name: str, text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = verbs.add_parser(name, help=text, description=text)
    add_db(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_BATCH:
        raise argparse.ArgumentTypeError(f"{value} is out of range; give 1 to {MAX_BATCH:,}")
    return value


def _store(args: argparse.Namespace, *, readonly: bool) -> Admin:
    # The store kinds escflow opens all provide the operator's view (StoreAdmin).
    return cast(Admin, open_store(args.db, create=False, readonly=readonly))


def _list(args: argparse.Namespace) -> int:
    store = _store(args, readonly=True)
    actions = list_outbox(store, status=args.status, ticket_id=args.ticket, limit=args.limit)
    tickets: list[tuple[str, str]] = []
    if args.status in (None, "quarantined"):
        tickets = [
            (ticket_id, why)
            for ticket_id, why in store.quarantined_tickets(args.limit)
            if args.ticket in (None, ticket_id)
        ]
    if args.format == "json":
        shown = {
            "actions": [action_dict(a) for a in actions],
            "quarantined_tickets": [{"id": i, "quarantine": why} for i, why in tickets],
        }
        say_json(shown)
        return EXIT_OK
    for action in actions:
        say(action_line(action))
    for ticket_id, why in tickets:
        say(f"ticket {ticket_id}  quarantined: {why}")
    if not actions and not tickets:
        say(f"no actions {args.status or 'pending, failed or quarantined'}")
    return EXIT_OK


def _retry(args: argparse.Namespace) -> int:
    store = _store(args, readonly=False)
    done = retry_actions(
        store,
        SystemClock().now(),
        ticket_id=args.ticket,
        key=args.action,
        all_failed=args.all_failed,
    )
    if args.format == "json":
        say_json(_retried_dict(done))
    else:
        for action in done.queued:
            say(f"{action.key}  queued again (it was {_state(action)})")
        if done.released is not None:
            say(f"ticket {done.released}  back on the schedule")
        if not done.queued and done.released is None and done.complete:
            say("nothing to retry: no failed or quarantined action")
    for action in done.unreadable:
        say(
            f"escflow: action {action.key} still cannot be read ({action.damage}); repair the"
            " row, then retry it",
            err=True,
        )
    if done.ticket_damage is not None:
        say(f"escflow: {done.ticket_damage}", err=True)
    return EXIT_OK if done.complete else EXIT_PROBLEMS


def _retried_dict(done: Retried) -> dict[str, Any]:
    return {
        "queued": [a.key for a in done.queued],
        "unreadable": [{"key": a.key, "damage": a.damage} for a in done.unreadable],
        "released": done.released,
        "ticket_damage": done.ticket_damage,
    }


def _discard(args: argparse.Namespace) -> int:
    store = _store(args, readonly=False)
    before = discard_action(
        store, args.action, actor=args.actor, note=args.note, now=SystemClock().now()
    )
    if args.format == "json":
        say_json({"discarded": before.key, "was": action_dict(before)})
    else:
        say(f"{before.key}  discarded by {args.actor} (it was {_state(before)})")
    return EXIT_OK


# --- how an action is shown ---------------------------------------------------------------


def action_dict(action: Action) -> dict[str, Any]:
    """An action as JSON: its fields, instants in ISO 8601, and its payload."""
    return {**json_fields(action, _FIELDS), "payload": jsonable(action.payload)}


def _state(action: Action, zone: tzinfo | None = None) -> str:
    """Where the action stands, and why, in a few words (instants in ``zone``, else UTC)."""
    if action.delivered_at is not None:
        return f"delivered {local_time(action.delivered_at, zone)}"
    if action.discarded_at is not None:
        note = f": {action.discard_note}" if action.discard_note else ""
        at = local_time(action.discarded_at, zone)
        return f"discarded {at} by {action.discarded_by}{note}"
    if action.quarantine is not None:
        return f"quarantined: {action.quarantine}"
    if action.failed_at is not None:
        return f"failed after {plural(action.attempts, 'attempt')}: {action.last_error}"
    if action.attempts:
        when = "-" if action.next_attempt_at is None else local_time(action.next_attempt_at, zone)
        return f"pending, attempt {action.attempts + 1} at {when}: {action.last_error}"
    return "pending"


def action_line(action: Action, zone: tzinfo | None = None) -> str:
    """One action on one line: its key, what it is, where it stands."""
    line = f"{action.key}  {action.kind} -> {action.target}  {_state(action, zone)}"
    if action.damage is not None and action.quarantine is None:
        line += f" (its row cannot be read: {action.damage})"
    elif action.damage is None and action.status == "quarantined":
        line += " (it reads again now: 'escflow outbox retry' queues it)"
    return line


def print_actions(actions: list[Action], fmt: str, *, zone: tzinfo | None = None) -> int:
    """Print actions (``ticket outbox``): a line each (instants in ``zone``, the ticket's
    calendar), or a JSON list (UTC)."""
    if fmt == "json":
        say_json([action_dict(a) for a in actions])
        return EXIT_OK
    for action in actions:
        say(action_line(action, zone))
    if not actions:
        say("no actions")
    return EXIT_OK
