"""The operator's outbox: what is stuck, queueing it again, and setting it aside.

A worker leaves an action failed when its receiver kept refusing it (or refused it for
good), and quarantined when its stored row could not be read; a ticket whose row could
not be read is quarantined too, off the schedule. Once the cause is dealt with (the
receiver is back, the row repaired), :func:`retry_actions` queues the actions again under their
own keys (a receiver drops what it had already), and puts the ticket back on the
schedule; :func:`discard_action` sets an action aside for good, recorded, never deleted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from escflow.errors import DamagedRecord, InputError, RetryLater, StateError, UnknownTicket
from escflow.records import ACTION_STATUSES, Action, ActionStatus, Ticket
from escflow.store._codec import check_text, need_text
from escflow.store._protocol import Admin, Store

UNSETTLED: tuple[ActionStatus, ...] = ("pending", "failed", "quarantined")
"""What ``escflow outbox list`` shows by default: every action not delivered nor discarded."""
_FAILED: tuple[ActionStatus, ...] = ("failed",)
_STUCK: tuple[ActionStatus, ...] = ("failed", "quarantined")
_BATCH = 1000  # failed actions queued again per transaction by ``retry_actions(all_failed=True)``


@dataclass(frozen=True)
class Retried:
    """What :func:`retry_actions` did: the actions queued again (as they were before), those that
    still cannot be read (left quarantined, with why), and the ticket put back on the
    schedule (its id), or why it could not be."""

    queued: list[Action] = field(default_factory=list)
    unreadable: list[Action] = field(default_factory=list)
    released: str | None = None
    ticket_damage: str | None = None

    @property
    def complete(self) -> bool:
        """True when nothing asked for was left undone."""
        return not self.unreadable and self.ticket_damage is None


def list_outbox(
    store: Admin,
    *,
    status: ActionStatus | None = None,
    ticket_id: str | None = None,
    limit: int = 100,
) -> list[Action]:
    """Up to ``limit`` actions with ``status`` (default: every one not delivered nor
    discarded), of every ticket or of ``ticket_id``, oldest first."""
    check_text(ticket_id=ticket_id)
    statuses: Collection[ActionStatus] = UNSETTLED if status is None else (status,)
    if status is not None and status not in ACTION_STATUSES:
        raise InputError(
            f"'{status}' is not an action status (use one of: {', '.join(ACTION_STATUSES)})"
        )
    if ticket_id is not None:
        _ticket(store, ticket_id)
    return store.outbox(statuses=statuses, ticket_id=ticket_id, limit=limit)


def retry_actions(
    store: Admin,
    now: datetime,
    *,
    ticket_id: str | None = None,
    key: str | None = None,
    all_failed: bool = False,
) -> Retried:
    """Queue failed and quarantined actions again, due at ``now``, under their own keys:
    one (``key``), a ticket's (``ticket_id``, which also puts the ticket back on the
    schedule if a worker quarantined it), or every failed one (``all_failed``). An action
    whose row still cannot be read stays quarantined, and is reported."""
    if sum((ticket_id is not None, key is not None, all_failed)) != 1:
        raise InputError("say which actions to retry: a ticket, an action's key, or all failed")
    if key is not None:
        return _retry_one(store, key, now)
    if ticket_id is not None:
        return _retry_ticket(store, ticket_id, now)
    queued: list[Action] = []
    while batch := store.outbox(statuses=_FAILED, limit=_BATCH):
        done = set(store.requeue([a.key for a in batch], now))
        queued += [a for a in batch if a.key in done]
        if not done:  # another operator or worker took them meanwhile
            break
    return Retried(queued)


def _retry_one(store: Admin, key: str, now: datetime) -> Retried:
    action = find_action(store, key)
    if action.status not in ("failed", "quarantined"):
        raise StateError(
            f"action {key} is {_state(action)}: only a failed or quarantined one is queued again"
        )
    if action.damage is not None:
        return Retried(unreadable=[action])
    if not store.requeue([key], now):
        raise StateError(
            f"action {key} changed meanwhile (a worker or another operator); look at it"
            f" again: 'escflow outbox list --ticket {action.ticket_id}'"
        )
    return Retried([action])


def _retry_ticket(store: Admin, ticket_id: str, now: datetime) -> Retried:
    need_text(ticket_id=ticket_id)
    found = _ticket(store, ticket_id)
    stuck = store.outbox(statuses=_STUCK, ticket_id=ticket_id, limit=100_000)
    readable = [a for a in stuck if a.damage is None]
    done = set(store.requeue([a.key for a in readable], now))
    result = Retried(
        [a for a in readable if a.key in done], [a for a in stuck if a.damage is not None]
    )
    if isinstance(found, DamagedRecord):
        return Retried(result.queued, result.unreadable, ticket_damage=str(found))
    if store.release(found):
        return Retried(result.queued, result.unreadable, released=ticket_id)
    return result


def discard_action(
    store: Admin, key: str, *, actor: str, note: str | None, now: datetime
) -> Action:
    """Set an undelivered action aside for good, recording who (``actor``), when and why
    (``note``); the row stays. Returns the action as it was before."""
    need_text(actor=actor)
    check_text(note=note)
    if not actor.strip():
        raise InputError("actor is empty; say who discards it")
    action = find_action(store, key)
    if action.status in ("delivered", "discarded"):
        raise StateError(f"action {key} is {_state(action)}: there is nothing to discard")
    if not store.discard(key, actor=actor, note=note, now=now):
        raise RetryLater(
            f"action {key} is being delivered by a worker right now (or changed meanwhile);"
            " try again in a minute"
        )
    return action


def find_action(store: Store, key: str) -> Action:
    """The action with ``key``; raises :class:`~escflow.errors.InputError` when there is
    none."""
    need_text(key=key)
    ticket_id = ticket_of(key)
    for action in store.actions(ticket_id) if ticket_id else ():
        if action.key == key:
            return action
    raise InputError(
        f"no action {key!r}: an action's key is 'ticket:event:position' (see 'escflow outbox"
        " list' or 'escflow ticket outbox ID')"
    )


def ticket_of(key: str) -> str | None:
    """The ticket id a key begins with (``T-1`` of ``T-1:4:0``), or None."""
    parts = key.rsplit(":", 2)
    return parts[0] if len(parts) == 3 and parts[0] else None


def _ticket(store: Store, ticket_id: str) -> Ticket | DamagedRecord:
    """The ticket, or why it cannot be read; raises :class:`UnknownTicket` when there is
    no such ticket."""
    try:
        ticket = store.get(ticket_id)
    except DamagedRecord as exc:
        return exc
    if ticket is None:
        raise UnknownTicket(f"no ticket '{ticket_id}'", ticket_id=ticket_id)
    return ticket


def _state(action: Action) -> str:
    """The action's status, with when and by whom where it says."""
    if action.delivered_at is not None:
        return f"delivered ({action.delivered_at.isoformat()})"
    if action.discarded_at is not None:
        return f"discarded by {action.discarded_by} ({action.discarded_at.isoformat()})"
    return action.status
