"""Actions leave through the outbox: after the commit, at least once, retried with backoff."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escflow import DefinitionError, load_matrix
from escflow.errors import KeyReused
from escflow.records import Action
from escflow.runtime import Actions, Engine
from escflow.runtime._actions import Message
from escflow.store import MemoryStore
from escflow.timing._clock import ManualClock
from tests.conftest import FLOW, MATRIX, Write, escflow
from tests.runtime.conftest import Inbox, MakeEngine, Receiver


class FailsTwice:
    """A handler whose backend is down for its first two calls."""

    def __init__(self) -> None:
        self.calls: list[Action] = []

    def __call__(self, action: Action) -> None:
        self.calls.append(action)
        if len(self.calls) <= 2:
            raise ConnectionError("incident tracker unavailable")


def test_a_handler_that_fails_twice_is_retried_with_backoff(
    make_engine: MakeEngine, clock: ManualClock
) -> None:
    handler = FailsTwice()
    engine = make_engine(**{"create-incident-report": handler})
    engine.open(
        "complaint", priority="critical", ticket_id="T-1"
    )  # critical enters level 3: the incident report
    [first] = [a for a in engine.deliver() if a.kind == "handler"]
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error == "ConnectionError: incident tracker unavailable"
    assert first.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert engine.deliver() == [], "not due again before its backoff"
    clock.advance(timedelta(seconds=30))
    [second] = engine.deliver()
    assert second.next_attempt_at == clock.now() + timedelta(seconds=60), "the wait doubles"
    clock.advance(timedelta(seconds=60))
    [third] = engine.deliver()
    assert (third.status, third.attempts, third.last_error) == ("delivered", 3, None)
    assert [a.key for a in handler.calls] == [first.key] * 3, "one stable key for every attempt"
    stored = next(a for a in engine.outbox("T-1") if a.key == first.key)
    assert (stored.status, stored.attempts) == ("delivered", 3)


def test_retries_stop_after_the_last_attempt_and_are_recorded(
    make_engine: MakeEngine, clock: ManualClock
) -> None:
    def down(action: Action) -> None:
        raise TimeoutError("no answer")

    engine = make_engine(**{"create-incident-report": down})
    engine.open("complaint", priority="critical", ticket_id="T-2")
    for _ in range(8):
        engine.deliver()
        clock.advance(timedelta(hours=1))
    [report] = [a for a in engine.outbox("T-2") if a.kind == "handler"]
    assert (report.status, report.attempts) == ("failed", 8)
    assert report.last_error == "TimeoutError: no answer"


def test_actions_wait_in_the_outbox_until_delivered(engine: Engine, inbox: Inbox) -> None:
    opened = engine.open("complaint", priority="medium", ticket_id="T-3")
    moved = engine.fire("T-3", "asks-for-manager", actor="ana")
    assert inbox.received == [], "nothing is sent inside the transaction"
    queued = [a.key for a in (*opened.actions, *moved.actions)]
    assert [a.key for a in engine.outbox("T-3")] == queued
    engine.deliver()
    assert sorted(a.key for a in inbox.received) == sorted(queued)
    notice = next(a for a in inbox.received if a.key.endswith(":notice"))
    assert notice.payload["to"] == "Call centre support manager"
    assert notice.payload["window"] == "30 minutes - 1 hour"
    assert "because you asked to speak to a manager" in notice.payload["message"]


def test_an_event_key_is_applied_once(engine: Engine, clock: ManualClock) -> None:
    engine.open("complaint", priority="medium", ticket_id="T-4")
    first = engine.fire("T-4", "asks-for-manager", key="web-123")
    clock.advance(timedelta(minutes=1))
    again = engine.fire("T-4", "asks-for-manager", key="web-123")
    assert again.replayed
    assert not first.replayed
    assert again.events == first.events
    assert again.ticket == first.ticket
    assert len(engine.history("T-4")) == 2
    with pytest.raises(KeyReused, match="was used for ticket 'T-4'"):
        engine.open("complaint", priority="medium", ticket_id="T-5", key="web-123")


_FIELD_VALUES = {
    "ticket": "T-1",
    "reason": "costs $5",
    "level": "2 (Manager)",
    "contact": "Ana",
    "window": "1-2 hours",
}


@given(
    st.lists(
        st.sampled_from(
            ["$", "$$", "${", "}", "ticket", "reason", "level", "contact", "window", "x", " ", "_"]
        )
        | st.text(max_size=3),
        max_size=12,
    ).map("".join)
)
def test_a_message_reads_as_string_template_would(text: str) -> None:
    """Designers write messages as string.Template text; the prepared form must agree."""
    expected = string.Template(text).safe_substitute(**_FIELD_VALUES)
    assert Message.parse(text).fill(_FIELD_VALUES) == expected


# --- webhooks, against a real HTTP server on this machine ----------------------------------


WEBHOOK_MATRIX = MATRIX.replace(
    "  lead: {name: Lead, kind: person}",
    "  lead: {name: Lead, kind: person}\n"
    "  desk: {name: Desk, kind: team, channels: {webhook: '%(desk)s', email: d@example.com}}",
)
WEBHOOK_FLOW = FLOW.replace(
    "    window: 15-30 minutes\n",
    "    window: 15-30 minutes\n"
    "    responses:\n"
    "      - {webhook: '%(hook)s', label: Tell the CRM}\n"
    "      - {notify: desk, message: 'New ticket $ticket', channel: webhook}\n"
    "      - {notify: desk, message: 'Also by mail: $ticket', channel: email}\n",
    1,
)


def hooked(write: Write, clock: ManualClock, inbox: Inbox, hook: str, desk: str) -> Engine:
    """An engine on a flow whose first level POSTs to ``hook`` and notifies a contact
    point on its webhook channel (address ``desk``) and by email; ``webhook`` is the
    default, :func:`post_json`."""
    write("flows/matrix.yaml", WEBHOOK_MATRIX % {"desk": desk})
    path = write("flows/f.yaml", WEBHOOK_FLOW % {"hook": hook})
    return Engine(
        load_matrix(path.parent), MemoryStore(), clock=clock, actions=Actions(notify=inbox)
    )


def webhook_of(engine: Engine) -> Action:
    [action] = [a for a in engine.outbox("T-1") if a.kind == "webhook"]
    return action


@pytest.mark.parametrize(("status", "again"), [(302, True), (307, True), (301, False)])
def test_a_redirect_is_not_followed_and_names_the_new_address(
    receiver: Receiver, write: Write, clock: ManualClock, inbox: Inbox, status: int, again: bool
) -> None:
    moved = receiver.answer("/new", 200)
    hook = receiver.answer("/hook", status, Location="/new")
    engine = hooked(write, clock, inbox, hook, receiver.answer("/desk", 204))
    engine.open("f", priority="normal", ticket_id="T-1")
    engine.deliver()
    action = webhook_of(engine)
    assert action.status == ("pending" if again else "failed")
    assert action.attempts == 1
    assert action.last_error is not None
    assert action.last_error.startswith(f"{hook} answered {status} ")
    assert f", moving to {moved}; a POST is not redirected" in action.last_error
    assert [(m, p) for m, p, _, _ in receiver.got if p in ("/hook", "/new")] == [("POST", "/hook")]


@pytest.mark.parametrize("status", [400, 404, 410, 422])
def test_a_receiver_that_refuses_for_good_fails_the_webhook_at_once(
    receiver: Receiver, write: Write, clock: ManualClock, inbox: Inbox, status: int
) -> None:
    hook = receiver.answer("/hook", status, b"this hook was removed,\n  ask the admin\n" * 20)
    engine = hooked(write, clock, inbox, hook, receiver.answer("/desk", 204))
    engine.open("f", priority="normal", ticket_id="T-1")
    engine.deliver()
    action = webhook_of(engine)
    assert (action.status, action.attempts, action.failed_at) == ("failed", 1, clock.now())
    reason = HTTPStatus(status).phrase
    body = " ".join(("this hook was removed, ask the admin " * 20).split())
    assert action.last_error == (
        f"{hook} answered {status} {reason}: {body[:200]}... (not retried: the receiver refused it)"
    )


@pytest.mark.parametrize(
    ("status", "headers", "wait"),
    [
        (429, {"Retry-After": "120"}, timedelta(seconds=120)),
        (503, {"Retry-After": "Mon, 23 Nov 2026 09:10:00 GMT"}, timedelta(minutes=10)),
        (429, {"Retry-After": "7200"}, timedelta(hours=1)),  # at most the backoff's cap
        (503, {}, timedelta(seconds=30)),
        (500, {"Retry-After": "120"}, timedelta(seconds=30)),  # said with a 500: not heeded
        (408, {}, timedelta(seconds=30)),
    ],
)
def test_a_busy_receiver_is_tried_again_when_it_asks(
    receiver: Receiver,
    write: Write,
    clock: ManualClock,
    inbox: Inbox,
    status: int,
    headers: dict[str, str],
    wait: timedelta,
) -> None:
    assert clock.now() == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    hook = receiver.answer("/hook", status, b"busy", **headers)
    engine = hooked(write, clock, inbox, hook, receiver.answer("/desk", 204))
    engine.open("f", priority="normal", ticket_id="T-1")
    engine.deliver()
    action = webhook_of(engine)
    assert (action.status, action.attempts) == ("pending", 1)
    assert action.next_attempt_at == clock.now() + wait
    assert action.last_error == f"{hook} answered {status} {HTTPStatus(status).phrase}: busy"


def test_a_notification_on_the_webhook_channel_is_posted_to_the_contact(
    receiver: Receiver, write: Write, clock: ManualClock, inbox: Inbox
) -> None:
    desk = receiver.answer("/desk", 500, b"down for maintenance")
    engine = hooked(write, clock, inbox, receiver.answer("/hook", 200), desk)
    opened = engine.open("f", priority="normal", ticket_id="T-1")
    engine.deliver()
    by_channel = {a.payload.get("channel"): a for a in engine.outbox("T-1") if a.kind == "notify"}
    assert by_channel["webhook"].status == "pending", "not delivered while the desk is down"
    assert by_channel["webhook"].last_error == f"{desk} answered 500 Internal Server Error:" + (
        " down for maintenance"
    )
    assert [a.payload["channel"] for a in inbox.received] == ["email"], "notify got the email"
    receiver.answer("/desk", 202)
    clock.advance(timedelta(seconds=30))
    engine.deliver()
    assert by_channel["webhook"].key in {a.key for a in engine.outbox("T-1") if a.delivered_at}
    posts = [(h, json.loads(b)) for m, p, h, b in receiver.got if p == "/desk"]
    assert len(posts) == 2
    assert all(h["Idempotency-Key"] == by_channel["webhook"].key for h, _ in posts)
    assert posts[-1][1]["message"] == "New ticket T-1"
    assert posts[-1][1]["ticket"] == "T-1"
    assert opened.actions[1].key == by_channel["webhook"].key


def test_the_worker_posts_a_notification_on_the_webhook_channel(
    receiver: Receiver, write: Write, tmp_path: Path
) -> None:
    """The command-line worker: the notification is POSTed, not written to the actions log
    and counted delivered."""
    desk = receiver.answer("/desk", 204)
    write("flows/matrix.yaml", WEBHOOK_MATRIX % {"desk": desk})
    write("flows/f.yaml", WEBHOOK_FLOW % {"hook": receiver.answer("/hook", 204)})
    db = ["--db", f"sqlite:///{tmp_path / 't.db'}", "--flows", str(tmp_path / "flows")]
    assert escflow("ticket", "open", "f", "--id", "T-1", *db).returncode == 0
    log = tmp_path / "log.jsonl"
    done = escflow("worker", "--once", "--log-unhandled", "--actions-log", str(log), *db)
    assert done.returncode == 0, done.stderr
    [post] = [json.loads(b) for m, p, _, b in receiver.got if (m, p) == ("POST", "/desk")]
    assert (post["message"], post["channel"]) == ("New ticket T-1", "webhook")
    channels = [json.loads(line).get("channel") for line in log.read_text().splitlines()]
    assert channels == ["email"], "only the email went to the log"


def test_a_webhook_channel_without_an_address_is_refused_before_anything_runs(
    write: Write,
) -> None:
    write("flows/matrix.yaml", WEBHOOK_MATRIX.replace("webhook: '%(desk)s', ", ""))
    flow = write("flows/f.yaml", WEBHOOK_FLOW % {"hook": "https://crm.example/hook"})
    with pytest.raises(DefinitionError, match="E127") as refused:
        load_matrix(flow.parent)
    assert "contact point 'desk' has no webhook address" in str(refused.value)
