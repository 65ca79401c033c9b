"""A call made for one state of a ticket never lands on another: ``from_step`` and
``if_version``, a retry that finds the ticket moved, a press just after the timer moved it
up, the timer's own trigger, empty keys, and a keyed retry racing its original."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from escflow import Matrix, load_matrix
from escflow.errors import InputError, InvalidTrigger, StaleTicket, TicketClosed
from escflow.records import Ticket
from escflow.runtime import Actions, Engine
from escflow.store import MemoryStore, Write
from escflow.timing import ManualClock
from tests.conftest import MATRIX
from tests.runtime.conftest import MONDAY_9_UTC, Inbox, MakeEngine

# Three levels that each go "up" (no `to`: the next level), with 15-30 minute windows.
UP_FLOW = """\
escflow: 1
kind: flow
id: up
name: Up
issue_type: support
levels:
  - level: 1
    contact: agent
    window: 15-30 minutes
    triggers:
      - {id: up, label: Up one level}
      - {id: done, label: Done, to: resolved}
  - level: 2
    contact: agent
    window: 15-30 minutes
    triggers:
      - {id: up, label: Up one level}
      - {id: done, label: Done, to: resolved}
  - level: 3
    contact: lead
    window: until resolution
    triggers:
      - {id: done, label: Done, to: resolved}
"""


@pytest.fixture
def up_matrix(tmp_path: Path) -> Matrix:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (folder / "up.yaml").write_text(UP_FLOW, encoding="utf-8")
    return load_matrix(folder)


@pytest.fixture
def up(make_engine: MakeEngine, up_matrix: Matrix) -> Engine:
    engine = make_engine(up_matrix)
    engine.open("up", ticket_id="U-1")
    return engine


def _unchanged(engine: Engine, call: Callable[[], object], error: type[Exception]) -> str:
    """Run a call that must be refused; the ticket, history and outbox stay as they were."""
    before = (engine.get("U-1"), engine.history("U-1"), engine.outbox("U-1"))
    with pytest.raises(error) as raised:
        call()
    assert (engine.get("U-1"), engine.history("U-1"), engine.outbox("U-1")) == before
    return str(raised.value)


def test_from_step_refuses_a_call_meant_for_another_step(up: Engine) -> None:
    message = _unchanged(up, lambda: up.fire("U-1", "up", from_step="level-2"), StaleTicket)
    assert "is at step 'level-1', not 'level-2' as the call says" in message
    assert up.fire("U-1", "up", from_step="level-1").ticket.level == "level-2"


def test_if_version_compares_the_ticket_as_its_flow_has_taken_it(
    up: Engine, clock: ManualClock
) -> None:
    assert up.get("U-1").version == 1
    clock.advance(timedelta(minutes=20))  # the warning at 15 minutes is due, not stored
    seen = up.preview("U-1").ticket
    assert seen.version == 2
    assert up.get("U-1").version == 1
    message = _unchanged(up, lambda: up.acknowledge("U-1", if_version=1), StaleTicket)
    assert "is at version 2, not 1 as the call says" in message
    change = up.acknowledge("U-1", if_version=seen.version)
    assert [e.kind for e in change.events] == ["warned", "acknowledged"]


def test_a_press_just_after_the_timer_moved_the_ticket_up_is_refused(
    up: Engine, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=31))
    up.tick()  # the window of level 1 ended at 30 minutes: the timer took it to level 2
    ticket = up.get("U-1")
    assert (ticket.level, ticket.timer_left) == ("level-2", "level-1")
    message = _unchanged(up, lambda: up.fire("U-1", "up"), StaleTicket)
    assert "the timer moved it from 'level-1' to 'level-2'" in message
    assert "--from-step level-2" in message
    # Said where it is meant, it fires; a trigger with a target of its own is not refused.
    assert up.fire("U-1", "up", from_step="level-2").ticket.level == "level-3"


def test_the_press_is_refused_when_the_call_itself_catches_the_timer_up(
    up: Engine, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=31))  # nobody ticked: the call applies the escalation
    _unchanged(up, lambda: up.fire("U-1", "up"), StaleTicket)
    assert up.fire("U-1", "done").ticket.status == "resolved"


def test_once_someone_acted_at_the_new_level_up_means_up_again(
    up: Engine, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=31))
    up.tick()
    up.acknowledge("U-1", actor="bo")
    assert up.get("U-1").timer_left is None
    assert up.fire("U-1", "up").ticket.level == "level-3"


def test_the_timers_trigger_cannot_be_fired_by_hand(engine: Engine) -> None:
    engine.open("complaint", ticket_id="U-1")
    assert "timeout" not in engine.valid_triggers("U-1")
    message = _unchanged(engine, lambda: engine.fire("U-1", "timeout"), InvalidTrigger)
    assert "'timeout' is the timer's trigger of step 'level-1'" in message
    assert "valid from 'level-1': unable-to-solve, asks-for-manager, solved" in message


def test_a_refusal_says_where_the_ticket_stood_in_fields(engine: Engine) -> None:
    engine.open("complaint", ticket_id="U-1")
    with pytest.raises(InvalidTrigger) as raised:
        engine.fire("U-1", "bad-review")
    assert raised.value.ticket_id == "U-1"
    assert raised.value.step == "level-1"
    assert raised.value.valid_triggers == ("unable-to-solve", "asks-for-manager", "solved")


@pytest.mark.parametrize("key", ["", "   "])
def test_an_empty_idempotency_key_is_refused(engine: Engine, key: str) -> None:
    with pytest.raises(InputError, match="the idempotency key is empty"):
        engine.open("complaint", ticket_id="U-1", key=key)
    engine.open("complaint", ticket_id="U-1")
    _unchanged(engine, lambda: engine.fire("U-1", "solved", key=key), InputError)


class Interleaved(MemoryStore):
    """A store on which another writer's call lands at a chosen moment of this call: just
    before its write, or just after it reads the ticket."""

    def __init__(self) -> None:
        super().__init__()
        self.before_append: Callable[[], object] | None = None
        self.after_get: Callable[[], object] | None = None

    def append(self, writes: Sequence[Write]) -> None:
        hook, self.before_append = self.before_append, None
        if hook is not None:
            hook()
        super().append(writes)

    def get(self, ticket_id: str) -> Ticket | None:
        found = super().get(ticket_id)
        hook, self.after_get = self.after_get, None
        if hook is not None:
            hook()
        return found


def _two_engines(matrix: Matrix, clock: ManualClock) -> tuple[Engine, Engine, Interleaved]:
    store = Interleaved()
    inbox = Inbox()
    actions = Actions(
        notify=inbox, webhook=inbox, handlers=dict.fromkeys(matrix.handler_names, inbox)
    )
    first = Engine(matrix, store, clock=clock, actions=actions)
    return first, Engine(matrix, store, clock=clock, actions=actions), store


def test_a_press_that_meets_another_writers_move_is_not_applied_again(
    up_matrix: Matrix,
) -> None:
    clock = ManualClock(MONDAY_9_UTC)
    mine, theirs, store = _two_engines(up_matrix, clock)
    mine.open("up", ticket_id="U-1")
    store.before_append = lambda: theirs.fire("U-1", "up", actor="bo")
    with pytest.raises(StaleTicket, match="moved from 'level-1' to 'level-2' while the call"):
        mine.fire("U-1", "up", actor="ana")
    history = mine.history("U-1")
    assert [(e.kind, e.actor) for e in history] == [("opened", "system"), ("moved", "bo")]
    assert mine.get("U-1").level == "level-2"


def test_a_keyed_retry_racing_its_original_gets_the_original_result(
    matrix: Matrix,
) -> None:
    clock = ManualClock(MONDAY_9_UTC)
    retry, original, store = _two_engines(matrix, clock)
    retry.open("complaint", ticket_id="T-1")
    first: list[object] = []
    # The retry finds no key yet; the original lands before the retry reads the ticket.
    store.after_get = lambda: first.append(original.resolve("T-1", actor="ana", key="k-9"))
    again = retry.resolve("T-1", actor="ana", key="k-9")
    assert again.replayed
    assert [e.kind for e in again.events] == ["resolved"]
    assert len(retry.history("T-1")) == 2
    with pytest.raises(TicketClosed):  # without a key the same call is a state error
        retry.resolve("T-1", actor="ana")
