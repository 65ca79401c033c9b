"""Automated responses: what goes into the outbox, and how it is delivered.

Actions are queued in the same transaction as the change that caused them and
delivered afterwards, at least once: a failed delivery is retried with exponential
backoff and recorded; after the last attempt the action is marked failed. Each action's
key is stable, so a receiver can drop duplicates. Messages are ``string.Template``
texts: ``$ticket``, ``$reason``, ``$level``, ``$contact``, ``$window``; nothing in
them is evaluated.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import string
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from escflow._i18n import Words, gettext_noop, words
from escflow.compile import CompiledFlow, CompiledLevel
from escflow.errors import DeliveryError, UnknownHandler
from escflow.records import Action, Ticket
from escflow.runtime._handlers import handlers_named
from escflow.runtime._lines import LineLog
from escflow.runtime._signing import SIGNATURE_HEADER, WebhookSecrets, sign_webhook
from escflow.spec._chars import visible_json
from escflow.spec._models import (
    CUSTOMER,
    PLACEHOLDERS,
    NotifyAction,
    WebhookAction,
    runs_when_skipped,
)
from escflow.timing import Clock, SystemClock

Deliver = Callable[[Action], None]

# Statuses a webhook may answer that trying again can cure: the request timed out, the
# receiver is busy (429), or it failed on its side (5xx). Any other 4xx is the request's
# own fault, and a permanent redirect says the address moved: trying again cannot help.
_TRANSIENT_4XX = frozenset({408, 429})
_PERMANENT_3XX = frozenset({301, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_BODY_SHOWN = 200  # characters of a refusal's body kept in the last error


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Answers a redirect with the redirect itself: urllib would follow a 302 with a GET,
    the body dropped, and the webhook would count as delivered."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def webhook_address(url: str) -> str:
    """A webhook's address as messages and logs show it: its host and path, never a user
    name, a password or a query (which may hold a token)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}{parts.path}"


def post_json(
    action: Action,
    timeout: float = 10.0,
    *,
    secrets: WebhookSecrets | None = None,
    clock: Clock | None = None,
) -> None:
    """Deliver a webhook: POST the payload as JSON to ``action.target``, with the key as
    ``Idempotency-Key``, signed (``Escflow-Signature``, :mod:`escflow.runtime._signing`)
    when ``secrets`` holds a secret for the address, at the ``clock``'s time.

    A 2xx answer delivers it. Redirects are not followed (a POST would lose its body): a
    3xx is a failure naming the new address, permanent for 301 and 308. A 4xx other than
    408 and 429 fails for good at once; 408, 429, 5xx and a network error are retried,
    after the ``Retry-After`` the receiver gave with a 429 or 503 (seconds or an HTTP
    date). Raises :class:`~escflow.errors.DeliveryError` saying so, the status and the
    start of the answer's body included.
    """
    body = json.dumps(action.payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json", "Idempotency-Key": action.key}
    secret = None if secrets is None else secrets.secret_for(action.target)
    if secret is not None:
        now = (clock or SystemClock()).now()
        headers[SIGNATURE_HEADER] = sign_webhook(secret, body, now)
    request = urllib.request.Request(action.target, data=body, method="POST", headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise _refusal(action.target, exc) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        shown = webhook_address(action.target)
        raise DeliveryError(
            f"cannot reach {shown}: {scrub_url(str(reason), action.target)}"
        ) from None


def scrub_url(text: str, url: str) -> str:
    """``text`` (an error's) with ``url`` written in it shown as :func:`webhook_address`."""
    return text.replace(url, webhook_address(url)) if url else text


def _refusal(url: str, answer: urllib.error.HTTPError) -> DeliveryError:
    """What an HTTP answer other than 2xx means for the delivery."""
    status = answer.code
    said = f"{webhook_address(url)} answered {status} {answer.reason}"
    if 300 <= status < 400:
        moved = answer.headers.get("Location") or "an address it did not give"
        return DeliveryError(
            f"{said}, moving to {webhook_address(urllib.parse.urljoin(url, moved))}; a POST is not"
            " redirected (its body would be lost): give the webhook its new address",
            permanent=status in _PERMANENT_3XX,
        )
    text = _start_of(answer)
    if text:
        said += f": {text}"
    if 400 <= status < 500 and status not in _TRANSIENT_4XX:
        return DeliveryError(f"{said} (not retried: the receiver refused it)", permanent=True)
    wait, at = (
        _retry_after(answer.headers.get("Retry-After"))
        if status in _RETRY_AFTER_STATUSES
        else (None, None)
    )
    return DeliveryError(said, retry_after=wait, retry_at=at)


def _start_of(answer: urllib.error.HTTPError) -> str:
    """The start of an answer's body, on one line."""
    try:
        raw = answer.read(_BODY_SHOWN * 4)
    except (OSError, http.client.HTTPException):
        return ""
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text if len(text) <= _BODY_SHOWN else text[:_BODY_SHOWN] + "..."


def _retry_after(value: str | None) -> tuple[timedelta | None, datetime | None]:
    """A ``Retry-After`` header: a number of seconds, or an HTTP date (RFC 9110)."""
    if value is None:
        return None, None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value)), None
    try:
        at = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None, None  # unreadable: the usual backoff
    return None, (at if at.tzinfo is not None else at.replace(tzinfo=UTC))


@dataclass(frozen=True)
class Actions:
    """How the embedding service delivers actions.

    ``notify`` delivers notifications to contact points and customer notices (the
    action's ``kind`` is ``notify`` or ``customer``); ``webhook`` POSTs JSON (default:
    :func:`post_json`): the flows' webhooks, and notifications on a contact point's
    ``webhook`` channel, to its webhook address (the action's ``target`` is then that
    address); ``handlers`` are the named handlers flows call. A deliverer that raises
    :class:`~escflow.errors.DeliveryError` can say the failure is permanent, or when to
    try again.
    """

    notify: Deliver | None = None
    webhook: Deliver = post_json
    handlers: Mapping[str, Deliver] = field(default_factory=dict)
    max_attempts: int = 8
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    @classmethod
    def log(cls, stream: IO[str] | LineLog, **handlers: Deliver) -> Actions:
        """Deliver every action as one JSON line on ``stream``; handy for dry runs and demos.

        Handlers not given by name are logged too. Each line is written whole before the
        action counts as delivered (a line left in a buffer dies with the process), or
        not at all: on a full disk the file is cut back to where the line began, and the
        action stays queued.
        """
        lines = stream if isinstance(stream, LineLog) else LineLog(stream)

        def write(action: Action) -> None:
            line = {
                "key": action.key,
                "kind": action.kind,
                "target": action.target,
                **action.payload,
            }
            lines.write(visible_json(line, indent=None, default=str) + "\n")

        return cls(notify=write, webhook=write, handlers=_LoggingHandlers(write, handlers))

    def deliverer(self, action: Action) -> Deliver:
        """The callable for an action; raises :class:`UnknownHandler` when none is registered."""
        if action.kind == "notify" and action.payload.get("channel") == "webhook":
            return self._to_contact_webhook
        if action.kind in ("notify", CUSTOMER):
            if self.notify is None:
                raise UnknownHandler(
                    "no 'notify' deliverer is registered: pass Actions(notify=...)"
                )
            return self.notify
        if action.kind == "webhook":
            return self.webhook
        try:
            return self.handlers[action.target]
        except KeyError:
            raise UnknownHandler(f"no handler '{action.target}' is registered") from None

    def _to_contact_webhook(self, action: Action) -> None:
        """A notification on the webhook channel: POSTed to the contact's webhook address."""
        channels = action.payload.get("channels")
        address = channels.get("webhook") if isinstance(channels, Mapping) else None
        if not isinstance(address, str) or not address:
            raise DeliveryError(
                f"contact point '{action.target}' has no webhook address for a notification on"
                " its webhook channel: give it 'channels: {webhook: https://...}'",
                permanent=True,
            )
        self.webhook(replace(action, target=address))

    def check(self, flows: Iterable[CompiledFlow]) -> None:
        """Refuse, before anything runs, flows that call handlers nobody registered."""
        flows = list(flows)
        missing = {
            name: at for name, at in handlers_named(flows).items() if name not in self.handlers
        }
        needs_notify = any(
            len(flow.levels) > 1
            or any(
                isinstance(response, NotifyAction)
                for step in flow.steps.values()
                for response in step.responses
            )
            for flow in flows
        )
        if missing:
            where = "; ".join(f"'{name}' (used in {', '.join(at)})" for name, at in missing.items())
            raise UnknownHandler(
                f"flows call handlers nobody registered: {where}; pass"
                " Actions(handlers={name: callable, ...})"
            )
        if needs_notify and self.notify is None:
            raise UnknownHandler(
                "flows notify contact points and customers, but no 'notify' deliverer is"
                " registered: pass Actions(notify=callable) (or Actions.log(stream))"
            )

    def retry_after(self, attempts: int) -> timedelta:
        """The wait before attempt ``attempts + 1``: doubling from ``backoff`` up to the cap."""
        wait: timedelta = self.backoff * (2 ** max(attempts - 1, 0))
        return min(wait, self.max_backoff)


class _LoggingHandlers(dict[str, Deliver]):
    """Named handlers, with any other name logged instead of refused."""

    def __init__(self, fallback: Deliver, named: Mapping[str, Deliver]) -> None:
        super().__init__(named)
        self._fallback = fallback

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> Deliver:
        return self._fallback


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The ticket as webhooks and handlers receive it."""
    return {
        "ticket": ticket.id,
        "flow": ticket.flow,
        "priority": ticket.priority,
        "status": ticket.status,
        "step": ticket.step,
        "level": ticket.level,
        "assignee": ticket.assignee,
        "deadline": ticket.deadline.isoformat() if ticket.deadline else None,
        "attrs": dict(ticket.attrs),
    }


_FIELDS = frozenset(PLACEHOLDERS)  # the names validate lets a message use


@dataclass(frozen=True, slots=True)
class Message:
    """A response's ``string.Template`` text, split once into literal text and fields.

    Filling it gives what ``safe_substitute`` gives (``$$`` is a dollar; unknown names and
    stray dollars stay as written) without a regular expression per action.
    """

    parts: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> Message:
        """Split ``text`` into ``(literal, field)`` pairs."""
        parts: list[tuple[str, str | None]] = []
        literal: list[str] = []
        last = 0
        for match in string.Template.pattern.finditer(text):
            literal.append(text[last : match.start()])
            last = match.end()
            name = match["named"] or match["braced"]
            if name in _FIELDS:
                parts.append(("".join(literal), name))
                literal = []
            elif match["escaped"] is not None:
                literal.append("$")
            else:
                literal.append(match.group())
        literal.append(text[last:])
        parts.append(("".join(literal), None))
        return cls(tuple(parts))

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each field replaced by its value."""
        return "".join([text + values[name] if name else text for text, name in self.parts])


@dataclass(frozen=True, slots=True)
class Blueprint:
    """One response of a step, prepared once per flow version; ``action`` fills it in."""

    kind: str
    target: str
    template: Message | None
    static: Mapping[str, Any]
    level_text: str
    level_name: str
    window_text: str
    own_contact: bool
    when_skipped: bool = True
    """Sent when the ticket skips the level for nobody on duty (see ``runs_when_skipped``)."""

    def action(
        self, ticket: Ticket, reason: str, key: str, at: datetime, *, skipped: bool = False
    ) -> Action:
        """The outbox entry for ``ticket`` entering the step (``skipped``: passing through
        it, nobody on duty there; the payload says ``"skipped": true``)."""
        payload: dict[str, Any] = dict(self.static)
        if skipped:
            payload["skipped"] = True
        if self.template is not None:
            payload["message"] = self.template.fill(
                {
                    "ticket": ticket.id,
                    "reason": reason,
                    "level": self.level_text,
                    "contact": ticket.assignee or self.level_name,
                    "window": self.window_text,
                }
            )
        if self.kind in ("webhook", "handler"):
            payload.update(snapshot(ticket))
        else:
            payload["ticket"] = ticket.id
        if self.kind == "notify":
            payload["assignee"] = ticket.assignee if self.own_contact else None
        return Action(key, ticket.id, self.kind, self.target, payload, at)


def blueprints(flow: CompiledFlow, step: str, window: str) -> tuple[Blueprint, ...]:
    """The automated responses of ``step`` (checklist lines are for people, not the outbox),
    for tickets that have its level's ``window`` (as their priority scales it)."""
    level = flow.level_of(step)
    common = (f"{level.number} ({level.name})", level.name, window)
    prepared: list[Blueprint] = []
    for response in flow.steps[step].responses:
        if isinstance(response, str):
            continue  # a checklist line
        runs = runs_when_skipped(response, level.contact_id)
        if isinstance(response, NotifyAction):
            template = Message.parse(response.message)
            if response.notify == CUSTOMER:
                prepared.append(Blueprint(CUSTOMER, CUSTOMER, template, {}, *common, False, runs))
                continue
            contact = flow.contacts[response.notify]
            static = {
                "contact": contact.name,
                "channel": response.channel,
                "channels": contact.channels.model_dump(exclude_none=True),
            }
            own = response.notify == level.contact_id
            prepared.append(
                Blueprint("notify", response.notify, template, static, *common, own, runs)
            )
        elif isinstance(response, WebhookAction):
            static = {"label": response.label}
            prepared.append(
                Blueprint("webhook", response.webhook, None, static, *common, False, runs)
            )
        else:
            static = {"label": response.label, "args": dict(response.args)}
            prepared.append(
                Blueprint("handler", response.handler, None, static, *common, False, runs)
            )
    return tuple(prepared)


# Why the ticket moves, then how long the level may take, or, at a level that keeps the
# ticket until it is resolved, that it does: the customer's three questions (why, who,
# how long), in the flow's language.
_MOVING = gettext_noop("Your request {ticket} is moving to {who} because {why}.")
_ANSWER = gettext_noop("{who} should answer within {window}.")
_FINAL = gettext_noop("{who} will handle it until it is resolved.")


@dataclass(frozen=True, slots=True)
class Notice:
    """The customer notice of one level, prepared once per flow version."""

    said: Words
    final: bool
    level_name: str
    wait: str

    @classmethod
    def of(cls, flow: CompiledFlow, level: CompiledLevel, window: str) -> Notice:
        """Prepare the notice for tickets escalating to ``level``, whose ``window`` (as
        their priority scales it, in the flow's language) is what the customer is told to
        expect."""
        return cls(words(flow.language), level.window.max is None, level.name, window)

    def action(self, ticket: Ticket, why: str, key: str, at: datetime) -> Action:
        """Why the ticket moves, to whom, and how long the next level may take."""
        named = ticket.assignee not in (None, self.level_name)
        who = f"{ticket.assignee} ({self.level_name})" if named else self.level_name
        said = self.said
        moving = said.gettext(_MOVING, ticket=ticket.id, who=who, why=_in_sentence(why.rstrip(".")))
        wait = (
            said.gettext(_FINAL, who=who)
            if self.final
            else said.gettext(_ANSWER, who=who, window=self.wait)
        )
        return Action(
            key,
            ticket.id,
            CUSTOMER,
            CUSTOMER,
            {
                "ticket": ticket.id,
                "message": f"{moving} {wait}",
                "reason": why,
                "to": who,
                "window": self.wait,
            },
            at,
        )


def warning_action(
    flow: CompiledFlow, ticket: Ticket, level: CompiledLevel, minimum: str, key: str, at: datetime
) -> Action:
    """Tell the level that its window's ``minimum`` passed without anyone taking the ticket."""
    said = words(flow.language)
    fields = {"ticket": ticket.id, "length": minimum, "number": level.number, "level": level.name}
    if ticket.deadline is not None:
        message = said.gettext(
            "Ticket {ticket} has waited {length} at level {number} ({level}) without"
            " acknowledgement; it escalates at {deadline}.",
            deadline=ticket.deadline.isoformat(),
            **fields,
        )
    else:
        message = said.gettext(
            "Ticket {ticket} has waited {length} at level {number} ({level}) without"
            " acknowledgement; it does not escalate by itself.",
            **fields,
        )
    return Action(
        key,
        ticket.id,
        "notify",
        level.contact_id,
        {
            "ticket": ticket.id,
            "contact": level.name,
            "assignee": ticket.assignee,
            "channel": None,
            "channels": level.contact.channels.model_dump(exclude_none=True),
            "message": message,
        },
        at,
    )


def attempt(action: Action, actions: Actions, now: datetime) -> Action:
    """Deliver ``action`` once, at ``now``; the action after the attempt (a deliverer's
    failure is kept in it, never raised)."""
    failure: Exception | None = None
    try:
        actions.deliverer(action)(action)
    except Exception as exc:
        failure = exc
    return attempted(action, actions, now, failure)


def attempted(action: Action, actions: Actions, now: datetime, failure: Exception | None) -> Action:
    """The action after one delivery attempt that raised ``failure`` (None: delivered).

    A :class:`~escflow.errors.DeliveryError` that is ``permanent`` fails the action at
    once; one that says when to try again is honoured, at most ``max_backoff`` away.
    """
    attempts = action.attempts + 1
    if failure is None:
        return replace(action, attempts=attempts, delivered_at=now, last_error=None)
    error, wait, last = f"{type(failure).__name__}: {failure}", None, False
    if isinstance(failure, DeliveryError):
        error, wait, last = str(failure), failure.retry_after, failure.permanent
        if failure.retry_at is not None:
            wait = max(failure.retry_at - now, timedelta(0))
    if last or attempts >= actions.max_attempts:
        return replace(action, attempts=attempts, failed_at=now, last_error=error)
    if wait is None:
        wait = actions.retry_after(attempts)
    return replace(
        action,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + min(wait, actions.max_backoff),
    )


def _in_sentence(text: str) -> str:
    """``text`` to follow 'because': a capital that only opened a label goes
    ('Unresolved after 2 days'), an acronym or a name keeps its own ('SLA breached')."""
    if text[:1].isupper() and text[1:2].islower():
        return text[0].lower() + text[1:]
    return text
