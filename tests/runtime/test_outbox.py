"""Actions leave through the outbox: after the commit, at least once, retried with backoff."""

from __future__ import annotations

import string
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escflow.errors import KeyReused
from escflow.runtime import Action, Engine
from escflow.runtime._actions import Message
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import Inbox, MakeEngine


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
    assert again.replayed and not first.replayed
    assert again.events == first.events and again.ticket == first.ticket
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
