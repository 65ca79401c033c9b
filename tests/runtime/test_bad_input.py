"""Refused calls: each a clear error, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from escflow import EscflowError, Matrix
from escflow.errors import (
    DuplicateTicket,
    InvalidTrigger,
    KeyReused,
    RuntimeFlowError,
    TicketClosed,
    TimeError,
    UnknownHandler,
    UnknownTicket,
    UnknownTrigger,
)
from escflow.runtime import Actions, Engine
from escflow.runtime._worker import Worker
from escflow.store import KeyRecord
from escflow.store._sqlite import SQLiteStore
from escflow.timing._clock import ManualClock
from tests.runtime.conftest import Inbox


@pytest.fixture
def opened(engine: Engine) -> Engine:
    engine.open("complaint", priority="medium", ticket_id="T-1")
    return engine


CASES: list[tuple[str, type[EscflowError], str, Callable[[Engine], object]]] = [
    ("unknown ticket", UnknownTicket, "no ticket 'T-404'", lambda e: e.fire("T-404", "solved")),
    (
        "unknown trigger",
        UnknownTrigger,
        "has no trigger 'asks-for-manger'; did you mean 'asks-for-manager'?",
        lambda e: e.fire("T-1", "asks-for-manger"),
    ),
    (
        "trigger not valid here",
        InvalidTrigger,
        "ticket 'T-1' is at step 'level-1', where 'bad-review' does not apply; valid from"
        " 'level-1': unable-to-solve, asks-for-manager, solved",
        lambda e: e.fire("T-1", "bad-review"),
    ),
    (
        "naive datetime",
        TimeError,
        "at must be timezone-aware",
        lambda e: e.fire("T-1", "solved", at=datetime(2026, 11, 23, 10, 0)),
    ),
    (
        "duplicate ticket",
        DuplicateTicket,
        "a ticket with the id 'T-1' exists already",
        lambda e: e.open("complaint", priority="medium", ticket_id="T-1"),
    ),
    (
        "unknown flow",
        EscflowError,
        "no flow 'complain'; did you mean 'complaint'?",
        lambda e: e.open("complain"),
    ),
    (
        "unknown priority",
        RuntimeFlowError,
        "unknown priority 'urgent'",
        lambda e: e.open("complaint", priority="urgent"),
    ),
    (
        "evidence kind",
        RuntimeFlowError,
        "'fax' is not a kind of evidence",
        lambda e: e.attach("T-1", "fax", "hello"),  # type: ignore[arg-type]
    ),
    ("resume an open ticket", RuntimeFlowError, "is open, not paused", lambda e: e.resume("T-1")),
    (
        "attribute not a number the stores keep",
        RuntimeFlowError,
        "attribute 'weight' is nan; an attribute is text, true/false",
        lambda e: e.open(
            "complaint", priority="medium", ticket_id="T-2", attrs={"weight": float("nan")}
        ),
    ),
    (
        "attribute beyond 64 bits",
        RuntimeFlowError,
        f"attribute 'account' is {2**64}",
        lambda e: e.open("complaint", priority="medium", ticket_id="T-2", attrs={"account": 2**64}),
    ),
    (
        "attribute of another type",
        RuntimeFlowError,
        "attribute 'tags' is ['vip']",
        lambda e: e.open("complaint", priority="medium", ticket_id="T-2", attrs={"tags": ["vip"]}),  # type: ignore[dict-item]
    ),
    # Text no store can keep: what Python makes of bytes that were not UTF-8, and NUL.
    (
        "a note from bytes that were not UTF-8",
        RuntimeFlowError,
        "note is not valid text: position 5 holds '\\udcff', a lone surrogate",
        lambda e: e.fire("T-1", "asks-for-manager", note="bad \udcff note"),
    ),
    (
        "a NUL in a ticket id",
        RuntimeFlowError,
        "ticket_id holds a NUL character (at position 3); remove it",
        lambda e: e.open("complaint", priority="medium", ticket_id="T-\x002"),
    ),
    (
        "an attribute from bytes that were not UTF-8",
        RuntimeFlowError,
        "attribute 'crm' is not valid text: position 2 holds '\\udce9'",
        lambda e: e.open("complaint", priority="medium", ticket_id="T-2", attrs={"crm": "x\udce9"}),
    ),
    (
        "an idempotency key from bytes that were not UTF-8",
        RuntimeFlowError,
        "key is not valid text",
        lambda e: e.acknowledge("T-1", key="k-\udcff"),
    ),
    (
        "evidence from bytes that were not UTF-8",
        RuntimeFlowError,
        "summary is not valid text",
        lambda e: e.attach("T-1", "email", "caf\udce9"),
    ),
    (
        "an empty ticket id",
        RuntimeFlowError,
        "the ticket id is empty; give one, or none to have one made",
        lambda e: e.open("complaint", priority="medium", ticket_id=" "),
    ),
    # SQLite reads a negative LIMIT as none at all: a tick would take every due ticket.
    (
        "a negative tick",
        RuntimeFlowError,
        "limit is -1; give a whole number from 1 to 100,000",
        lambda e: e.tick(limit=-1),
    ),
    (
        "a tick beyond the bound",
        RuntimeFlowError,
        "limit is 1000000",
        lambda e: e.tick(limit=10**6),
    ),
    ("an empty delivery round", RuntimeFlowError, "limit is 0", lambda e: e.deliver(limit=0)),
    # A service's code, not type-checked, passing what is not text: named, not an
    # AttributeError from deep inside.
    (
        "a ticket id that is a number",
        RuntimeFlowError,
        "ticket_id must be text, got 123",
        lambda e: e.fire(123, "asks-for-manager"),  # type: ignore[arg-type]
    ),
    (
        "no trigger",
        RuntimeFlowError,
        "trigger must be text, got None",
        lambda e: e.fire("T-1", None),  # type: ignore[arg-type]
    ),
    (
        "no actor",
        RuntimeFlowError,
        "actor must be text, got None",
        lambda e: e.acknowledge("T-1", actor=None),  # type: ignore[arg-type]
    ),
    (
        "a note in bytes",
        RuntimeFlowError,
        "note must be text, got b'angry'",
        lambda e: e.acknowledge("T-1", note=b"angry"),  # type: ignore[arg-type]
    ),
    (
        "a burst of ticket ids without triggers",
        RuntimeFlowError,
        "each call is a (ticket_id, trigger) pair; got 'T-1'",
        lambda e: e.fire_many(["T-1"]),  # type: ignore[list-item]
    ),
    # Python's calendar ends in 9999: a deadline after such an instant could not be put.
    (
        "an instant past the years escflow schedules",
        TimeError,
        "at 9999-12-31T23:00:00+00:00 is out of range; escflow schedules instants from",
        lambda e: e.fire("T-1", "asks-for-manager", at=datetime(9999, 12, 31, 23, tzinfo=UTC)),
    ),
    (
        "evidence of a call before the year 1",
        TimeError,
        "occurred_at 0001-01-01T00:00:00+05:00 is out of range",
        lambda e: e.attach(
            "T-1",
            "call",
            "rang",
            occurred_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        ),
    ),
    (
        "a burst naming a ticket from bytes that were not UTF-8",
        RuntimeFlowError,
        "ticket_id is not valid text",
        lambda e: e.fire_many([("T-1", "asks-for-manager"), ("T-\udcff", "solved")]),
    ),
    (
        "a ticket id with spaces around it",
        RuntimeFlowError,
        "the ticket id ' T-2 ' starts or ends with spaces; give it without them",
        lambda e: e.open("complaint", priority="medium", ticket_id=" T-2 "),
    ),
    (
        "a ticket id over two lines",
        RuntimeFlowError,
        "the ticket id 'T-2\\nX' holds U+000A, a control character (at position 4)",
        lambda e: e.open("complaint", priority="medium", ticket_id="T-2\nX"),
    ),
    (
        "a ticket id with a terminal escape",
        RuntimeFlowError,
        "holds U+001B, a control character (at position 1)",
        lambda e: e.open("complaint", priority="medium", ticket_id="\x1b[31mT-2"),
    ),
    (
        "a ticket id longer than any helpdesk's",
        RuntimeFlowError,
        "the ticket id is 201 characters long; give at most 200",
        lambda e: e.open("complaint", priority="medium", ticket_id="T" * 201),
    ),
    (
        "nobody did it",
        RuntimeFlowError,
        "actor is empty; say who does it",
        lambda e: e.acknowledge("T-1", actor=" "),
    ),
    (
        "nobody opened it",
        RuntimeFlowError,
        "actor is empty; say who does it",
        lambda e: e.open("complaint", priority="medium", ticket_id="T-2", actor=""),
    ),
    (
        "no actor for a trigger",
        RuntimeFlowError,
        "actor must be text, got None",
        lambda e: e.fire("T-1", "asks-for-manager", actor=None),  # type: ignore[arg-type]
    ),
    (
        "no actor for a pause",
        RuntimeFlowError,
        "actor must be text, got None",
        lambda e: e.pause("T-1", actor=None),  # type: ignore[arg-type]
    ),
    (
        "nobody fired the burst",
        RuntimeFlowError,
        "actor is empty; say who does it",
        lambda e: e.fire_many([("T-1", "asks-for-manager")], actor=" "),
    ),
    (
        "a reason of spaces, told to the customer",
        RuntimeFlowError,
        "reason is empty; say why, or leave it out",
        lambda e: e.fire("T-1", "asks-for-manager", reason="   "),
    ),
    (
        "no burst at all",
        RuntimeFlowError,
        "calls is None; give a list of (ticket_id, trigger) pairs",
        lambda e: e.fire_many(None),  # type: ignore[arg-type]
    ),
    (
        "attributes that are not a mapping",
        RuntimeFlowError,
        "attrs is [('region', 'north')]; give a mapping of names to values",
        lambda e: e.open(
            "complaint",
            priority="medium",
            ticket_id="T-2",
            attrs=[("region", "north")],  # type: ignore[arg-type]
        ),
    ),
    (
        "an empty priority",
        RuntimeFlowError,
        "unknown priority ''",
        lambda e: e.open("complaint", priority="", ticket_id="T-2"),
    ),
    (
        "a naive tick names its argument",
        TimeError,
        "now must be timezone-aware",
        lambda e: e.tick(datetime(2026, 11, 23, 10, 0)),
    ),
    (
        "a naive delivery round names its argument",
        TimeError,
        "now must be timezone-aware",
        lambda e: e.deliver(datetime(2026, 11, 23, 10, 0)),
    ),
]


@pytest.mark.parametrize(("name", "error", "text", "call"), CASES, ids=[c[0] for c in CASES])
def test_refused_calls_change_nothing(
    opened: Engine,
    name: str,
    error: type[EscflowError],
    text: str,
    call: Callable[[Engine], object],
) -> None:
    before = (opened.get("T-1"), opened.history("T-1"), opened.outbox("T-1"))
    with pytest.raises(error) as raised:
        call(opened)
    assert text in str(raised.value)
    assert (opened.get("T-1"), opened.history("T-1"), opened.outbox("T-1")) == before
    assert opened.store.get("T-2") is None


# A key names one call: a new call under an old key must not get the old result.
KEYED: list[tuple[str, type[EscflowError], str, Callable[[Engine], object]]] = [
    (
        "a key used again for another trigger",
        KeyReused,
        "the idempotency key 'k-1' was used on ticket 'T-1' for another call (moved by"
        " 'asks-for-manager', actor system, at 2026-11-23T09:00:00+00:00); a new call needs"
        " a new key",
        lambda e: e.fire("T-1", "solved", key="k-1"),
    ),
    (
        "a key used again for a pause",
        KeyReused,
        "the idempotency key 'k-1' was used on ticket 'T-1' for another call",
        lambda e: e.pause("T-1", key="k-1"),
    ),
    (
        "a key used again by another actor",
        KeyReused,
        "the idempotency key 'k-1' was used on ticket 'T-1' for another call",
        lambda e: e.fire("T-1", "asks-for-manager", actor="ana", key="k-1"),
    ),
    (
        "a key used again with another note",
        KeyReused,
        "the idempotency key 'k-1' was used on ticket 'T-1' for another call",
        lambda e: e.fire("T-1", "asks-for-manager", note="again", key="k-1"),
    ),
    (
        "a key used again to open a ticket",
        KeyReused,
        "the idempotency key 'k-1' was used for ticket 'T-1'; a new call needs a new key",
        lambda e: e.open("complaint", priority="medium", ticket_id="T-2", key="k-1"),
    ),
]


@pytest.mark.parametrize(("name", "error", "text", "call"), KEYED, ids=[c[0] for c in KEYED])
def test_a_key_used_again_for_another_call_is_refused(
    opened: Engine,
    name: str,
    error: type[EscflowError],
    text: str,
    call: Callable[[Engine], object],
) -> None:
    opened.fire("T-1", "asks-for-manager", key="k-1")
    test_refused_calls_change_nothing(opened, name, error, text, call)
    assert opened.fire("T-1", "asks-for-manager", key="k-1").replayed, "the same call replays"


def test_events_on_a_resolved_ticket_are_refused(opened: Engine) -> None:
    opened.fire("T-1", "solved")
    before = opened.history("T-1")
    calls: list[Callable[[], object]] = [
        lambda: opened.fire("T-1", "asks-for-manager"),
        lambda: opened.pause("T-1"),
        lambda: opened.resolve("T-1"),
        lambda: opened.acknowledge("T-1"),
    ]
    for call in calls:
        with pytest.raises(TicketClosed, match="resolved"):
            call()
    assert opened.history("T-1") == before


def test_a_worker_needs_a_batch_and_a_poll_interval(engine: Engine) -> None:
    with pytest.raises(RuntimeFlowError, match="batch is 0; give a whole number from 1"):
        Worker(engine, batch=0)
    with pytest.raises(RuntimeFlowError, match="poll is -1 seconds; give a positive interval"):
        Worker(engine, poll=timedelta(seconds=-1))


class SetBack:
    """A clock that an operator (or a time sync) can set back."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def test_a_clock_that_goes_backwards(matrix: Matrix, clock: ManualClock) -> None:
    inbox = Inbox()
    wall = SetBack(clock.now())
    engine = Engine(
        matrix,
        clock=wall,
        actions=Actions(notify=inbox, handlers=dict.fromkeys(matrix.handler_names, inbox)),
    )
    engine.open("complaint", priority="medium", ticket_id="T-1")
    wall.at += timedelta(minutes=5)
    engine.fire("T-1", "asks-for-manager")
    before = engine.history("T-1")
    wall.at -= timedelta(minutes=1)
    with pytest.raises(TimeError, match=r"the clock went backwards: it says .*, after saying"):
        engine.open("complaint", priority="medium", ticket_id="T-2")
    assert engine.history("T-1") == before
    assert [t.id for t in engine.tickets()] == ["T-1"]


def test_an_event_before_the_tickets_last_change(opened: Engine, clock: ManualClock) -> None:
    later = clock.now() + timedelta(minutes=5)
    opened.fire("T-1", "asks-for-manager", at=later)
    before = opened.history("T-1")
    with pytest.raises(TimeError, match=r"ticket 'T-1' last changed at .* would go back in time"):
        opened.fire("T-1", "solved", at=later - timedelta(minutes=1))
    assert opened.history("T-1") == before


def test_a_call_at_its_own_instant_holds_back_no_other_ticket(
    opened: Engine, clock: ManualClock
) -> None:
    # A report given 'at' five minutes ahead, then a back-filled ticket from two days ago:
    # each ticket's history orders its own events; the clock's calls go on.
    opened.fire("T-1", "asks-for-manager", at=clock.now() + timedelta(minutes=5))
    assert (
        opened.open("complaint", priority="medium", ticket_id="T-2").ticket.opened_at == clock.now()
    )
    assert opened.tick() == []
    past = clock.now() - timedelta(days=2)
    assert (
        opened.open("complaint", priority="medium", ticket_id="T-0", at=past).ticket.opened_at
        == past
    )


def test_a_handler_nobody_registered_is_refused_before_anything_runs(matrix: Matrix) -> None:
    inbox = Inbox()
    with pytest.raises(
        UnknownHandler, match=r"'create-incident-report' \(used in .*complaint/level-3"
    ):
        Engine(matrix, actions=Actions(notify=inbox))
    with pytest.raises(UnknownHandler, match="no 'notify' deliverer"):
        Engine(matrix, actions=Actions(handlers=dict.fromkeys(matrix.handler_names, inbox)))


def test_a_refused_call_at_a_later_time_leaves_the_clock_where_it_was(
    opened: Engine, clock: ManualClock
) -> None:
    """A call refused for its content, whatever its ``at``, must not hold back the calls
    after it until that time comes."""
    next_year = clock.now() + timedelta(days=365)
    with pytest.raises(UnknownTrigger):
        opened.fire("T-1", "no-such-trigger", at=next_year)
    with pytest.raises(DuplicateTicket):
        opened.open("complaint", priority="medium", ticket_id="T-1", at=next_year)
    with pytest.raises(UnknownTicket):
        opened.fire_many([("T-404", "solved")], at=next_year)
    assert opened.fire("T-1", "asks-for-manager").ticket.level == "level-2"
    assert opened.open("complaint", priority="medium", ticket_id="T-2").ticket.level == "level-1"


def test_a_store_or_clock_that_is_not_one_is_refused_when_the_engine_is_made(
    matrix: Matrix,
) -> None:
    actions = Actions(notify=Inbox(), handlers=dict.fromkeys(matrix.handler_names, Inbox()))
    with pytest.raises(RuntimeFlowError, match=r"open it first: escflow.store.open_store\("):
        Engine(matrix, "sqlite:///x.db", actions=actions)  # type: ignore[arg-type]
    with pytest.raises(RuntimeFlowError, match="is not a store: it has no save_version, "):
        Engine(matrix, {}, actions=actions)  # type: ignore[arg-type]
    with pytest.raises(RuntimeFlowError, match="has no now\\(\\) method"):
        Engine(matrix, clock=object(), actions=actions)  # type: ignore[arg-type]


def test_a_retry_racing_its_original_open_gets_the_original(
    matrix: Matrix, clock: ManualClock, tmp_path: Path
) -> None:
    """Two processes send the same open (a retry while the first is under way): the one
    that loses the race answers with what the other applied, with or without an id."""
    inbox = Inbox()
    actions = Actions(notify=inbox, handlers=dict.fromkeys(matrix.handler_names, inbox))
    path = tmp_path / "race.db"
    first = Engine(matrix, SQLiteStore(path), clock=clock, actions=actions)
    late = Engine(matrix, _KeyFoundLate(SQLiteStore(path)), clock=clock, actions=actions)
    for ticket_id in ("T-race", None):
        key = f"open-{ticket_id}"
        applied = first.open("complaint", priority="medium", ticket_id=ticket_id, key=key)
        # The late one looked the key up before the first committed: it found nothing.
        again = late.open("complaint", priority="medium", ticket_id=ticket_id, key=key)
        assert again.replayed
        assert again.ticket.id == applied.ticket.id
        assert again.events == applied.events
    assert len(first.tickets()) == 2


class _KeyFoundLate:
    """A real store whose first look-up of each key misses it, as a process does that
    looked before another committed."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self._looked: set[str] = set()

    def find_key(self, key: str) -> KeyRecord | None:
        if key not in self._looked:
            self._looked.add(key)
            return None
        return self._store.find_key(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
