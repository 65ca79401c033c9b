"""The store protocol: the in-memory, SQLite and PostgreSQL stores behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from escflow.errors import ConflictError, DuplicateTicket
from escflow.records import Action, Event, Status, Ticket, apply
from escflow.store import KeyRecord, MemoryStore, SlaFilter, Store, TicketQuery, Write
from escflow.store._sqlite import SQLiteStore
from tests.store.conftest import postgres_store

if TYPE_CHECKING:
    from escflow.store import Admin

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Admin]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "postgres":
        yield postgres_store(request)
    else:
        sqlite = SQLiteStore(tmp_path / "escflow.db")
        yield sqlite
        sqlite.close()


def opened(ticket_id: str, deadline: datetime | None, key: str | None = None) -> Event:
    return Event(
        ticket_id,
        1,
        T0,
        "opened",
        "system",
        None,
        "level-1",
        None,
        None,
        None,
        key,
        {
            "flow": "f",
            "digest": "d" * 64,
            "priority": "medium",
            "level": "level-1",
            "deadline": deadline,
            "warn_at": None,
            "assignee": "ana",
            "attrs": {"crm": "x-1"},
            "first_response_due": None,
            "resolution_due": None,
        },
    )


def create(
    store: Store,
    ticket_id: str,
    deadline: datetime | None = None,
    actions: tuple[Action, ...] = (),
    key: str | None = None,
) -> Ticket:
    store.save_version("d" * 64, "f", '{"source": 1}')
    event = opened(ticket_id, deadline, key)
    ticket = apply(None, event)
    store.append([Write(ticket, [event], list(actions), 0)])
    return ticket


def moved(
    ticket: Ticket, at: datetime, deadline: datetime | None, key: str | None = None
) -> tuple[Ticket, Event]:
    event = Event(
        ticket.id,
        ticket.version + 1,
        at,
        "moved",
        "ana",
        ticket.step,
        "level-2",
        "up",
        "because",
        None,
        key,
        {"level": "level-2", "deadline": deadline, "warn_at": None, "assignee": None, "repeats": 0},
    )
    return apply(ticket, event), event


def test_tickets_and_events_round_trip(store: Store) -> None:
    ticket = create(store, "T-1", T0 + timedelta(minutes=30))
    after, event = moved(ticket, T0 + timedelta(minutes=5), T0 + timedelta(hours=1))
    store.append([Write(after, [event], [], ticket.version)])
    assert store.get("T-1") == after
    history = store.history("T-1")
    assert [e.kind for e in history] == ["opened", "moved"]
    assert history[1] == event
    assert store.history("T-1", upto=1) == history[:1]
    assert store.get("nope") is None
    assert store.history("nope") == []
    assert store.load_version("d" * 64) == '{"source": 1}'
    assert store.load_version("x") is None


def test_tickets_are_read_together(store: Store) -> None:
    one, two = create(store, "T-1"), create(store, "T-2")
    assert store.get_many(["T-2", "nope", "T-1", "T-2"]) == {"T-1": one, "T-2": two}
    assert store.get_many([]) == {}
    # More ids than one SQLite statement takes: read in chunks, all of them found.
    events = [opened(f"B-{n}", None) for n in range(1_201)]
    store.append([Write(apply(None, e), [e], [], 0) for e in events])
    found = store.get_many([f"B-{n}" for n in range(1_201)] + ["nope"])
    assert sorted(found) == sorted(f"B-{n}" for n in range(1_201))
    assert found["B-1200"] == store.get("B-1200")


def test_duplicates_and_conflicts_write_nothing(store: Store) -> None:
    ticket = create(store, "T-1")
    with pytest.raises(DuplicateTicket, match="a ticket with the id 'T-1' exists already"):
        create(store, "T-1")
    after, event = moved(ticket, T0, None)
    store.append([Write(after, [event], [], 1)])
    stale, stale_event = moved(ticket, T0, None)
    other = create  # a second ticket in the same failed transaction must not land either
    del other
    fresh_event = opened("T-2", None)
    with pytest.raises(ConflictError, match="ticket 'T-1' changed since it was read"):
        store.append(
            [
                Write(apply(None, fresh_event), [fresh_event], [], 0),
                Write(stale, [stale_event], [], 1),
            ]
        )
    assert store.get("T-2") is None
    assert store.history("T-2") == []
    assert store.get("T-1") == after
    assert len(store.history("T-1")) == 2


def test_a_batch_may_write_a_ticket_twice_and_names_the_one_that_moved(store: Store) -> None:
    first, second = create(store, "T-1"), create(store, "T-2")
    once, event_1 = moved(first, T0 + timedelta(minutes=1), None)
    twice, event_2 = moved(once, T0 + timedelta(minutes=2), None)
    store.append([Write(once, [event_1], [], 1), Write(twice, [event_2], [], 2)])
    assert store.get("T-1") == twice
    assert [e.seq for e in store.history("T-1")] == [1, 2, 3]
    stale, stale_event = moved(first, T0 + timedelta(minutes=3), None)
    fresh, fresh_event = moved(second, T0 + timedelta(minutes=3), None)
    with pytest.raises(ConflictError, match="ticket 'T-1' changed since it was read"):
        store.append([Write(fresh, [fresh_event], [], 1), Write(stale, [stale_event], [], 1)])
    assert store.get("T-2") == second
    assert len(store.history("T-2")) == 1


def test_idempotency_keys(store: Store) -> None:
    ticket = create(store, "T-1", key="open-1")
    assert store.find_key("open-1") is not None
    assert store.find_key("open-1") == KeyRecord("T-1", 1, 1, 1)
    after, event = moved(ticket, T0, None, key="open-1")
    with pytest.raises(ConflictError, match="the idempotency key 'open-1' was used already"):
        store.append([Write(after, [event], [], 1)])
    assert store.get("T-1") == ticket
    assert len(store.history("T-1")) == 1
    assert store.find_key("missing") is None


def test_a_key_knows_where_its_call_began(store: Store) -> None:
    # A call's write begins with the timer events it caught up on, which carry no key.
    ticket = create(store, "T-1")
    once, caught_up = moved(ticket, T0 + timedelta(minutes=1), None)
    twice, own = moved(once, T0 + timedelta(minutes=2), None, key="call-1")
    store.append([Write(twice, [caught_up, own], [], ticket.version)])
    assert store.find_key("call-1") == KeyRecord("T-1", 3, 3, 2)


def test_due_tickets_soonest_first(store: Store) -> None:
    create(store, "T-late", T0 + timedelta(hours=2))
    create(store, "T-soon", T0 + timedelta(minutes=30))
    create(store, "T-none", None)
    assert store.next_due() == T0 + timedelta(minutes=30)
    assert [t.id for t in store.due(T0 + timedelta(hours=3), 10)] == ["T-soon", "T-late"]
    assert [t.id for t in store.due(T0 + timedelta(hours=1), 10)] == ["T-soon"]
    assert [t.id for t in store.due(T0 + timedelta(hours=3), 1)] == ["T-soon"]
    assert store.due(T0, 10) == []


def test_a_batch_of_outcomes_is_recorded_together(store: Store) -> None:
    actions = tuple(
        Action(f"T-1:1:{n}", "T-1", "notify", "lead", {"message": f"m{n}"}, T0) for n in range(3)
    )
    create(store, "T-1", actions=actions)
    pending = store.pending_actions(T0, 10)
    assert [a.key for a in pending] == ["T-1:1:0", "T-1:1:1", "T-1:1:2"]
    delivered, failed, retried = pending
    store.record_attempts(
        [
            replace(delivered, attempts=1, delivered_at=T0),
            replace(failed, attempts=8, failed_at=T0, last_error="gone"),
            replace(
                retried, attempts=1, last_error="down", next_attempt_at=T0 + timedelta(hours=1)
            ),
        ]
    )
    assert [(a.key, a.status) for a in store.actions("T-1")] == [
        ("T-1:1:0", "delivered"),
        ("T-1:1:1", "failed"),
        ("T-1:1:2", "pending"),
    ]
    assert store.pending_actions(T0 + timedelta(minutes=59), 10) == []
    assert [a.key for a in store.pending_actions(T0 + timedelta(hours=1), 10)] == ["T-1:1:2"]
    store.record_attempts([])


def test_of_two_outcomes_of_one_action_in_a_batch_the_last_is_kept(store: Store) -> None:
    action = Action("T-1:1:0", "T-1", "notify", "lead", {"message": "m"}, T0)
    create(store, "T-1", actions=(action,))
    [pending] = store.pending_actions(T0, 10)
    store.record_attempts(
        [
            replace(pending, attempts=1, last_error="down", next_attempt_at=T0 + timedelta(1)),
            replace(pending, attempts=2, delivered_at=T0 + timedelta(minutes=1)),
        ]
    )
    [kept] = store.actions("T-1")
    assert (kept.status, kept.attempts, kept.last_error) == ("delivered", 2, None)
    assert store.pending_actions(T0 + timedelta(days=2), 10) == []


def test_outbox_pending_and_attempts(store: Store) -> None:
    action = Action("T-1:1:0", "T-1", "notify", "lead", {"message": "hello", "n": 1}, T0)
    create(store, "T-1", actions=(action,))
    [pending] = store.pending_actions(T0, 10)
    assert (pending.key, pending.payload, pending.status) == (
        "T-1:1:0",
        {"message": "hello", "n": 1},
        "pending",
    )
    retry = replace(
        pending, attempts=1, last_error="down", next_attempt_at=T0 + timedelta(minutes=1)
    )
    store.record_attempts([retry])
    assert store.pending_actions(T0, 10) == []
    [again] = store.pending_actions(T0 + timedelta(minutes=1), 10)
    assert (again.attempts, again.last_error) == (1, "down")
    store.record_attempts(
        [replace(again, attempts=2, delivered_at=T0 + timedelta(minutes=1), last_error=None)]
    )
    assert store.pending_actions(T0 + timedelta(days=1), 10) == []
    [done] = store.actions("T-1")
    assert (done.status, done.attempts) == ("delivered", 2)


def test_tickets_are_listed_soonest_due_first_and_filtered(store: Store) -> None:
    create(store, "T-b", T0 + timedelta(hours=2))
    create(store, "T-a", T0 + timedelta(hours=2))  # the same instant as T-b: by id
    create(store, "T-soon", T0 + timedelta(minutes=30))
    create(store, "T-Z", None)
    create(store, "T-none", None)
    first = opened("T-g", T0 + timedelta(hours=1))
    other = replace(first, data={**first.data, "flow": "g"})
    store.append([Write(apply(None, other), [other], [], 0)])
    waiting = create(store, "T-p", T0 + timedelta(minutes=10))
    pause = Event("T-p", 2, T0 + timedelta(minutes=1), "paused", "ana")
    store.append([Write(apply(waiting, pause), [pause], [], 1)])

    def ids(
        status: Status | None = None,
        flow: str | None = None,
        due_by: datetime | None = None,
        limit: int = 50,
    ) -> list[str]:
        found = store.tickets(status=status, flow=flow, due_by=due_by, limit=limit)
        return [t.id for t in found]

    # Those without a deadline come last, by id byte by byte ('Z' before 'n'), whatever
    # the database's collation says.
    assert ids() == ["T-soon", "T-g", "T-a", "T-b", "T-Z", "T-none", "T-p"]
    assert ids(limit=2) == ["T-soon", "T-g"]
    assert ids(status="paused") == ["T-p"]
    assert ids(status="resolved") == []
    assert ids(flow="g") == ["T-g"]
    assert ids(flow="nope") == []
    assert ids(due_by=T0 + timedelta(hours=1)) == ["T-soon", "T-g"]
    assert ids(status="open", flow="f", due_by=T0 + timedelta(hours=2)) == ["T-soon", "T-a", "T-b"]
    assert ids(due_by=T0) == []
    listed = store.tickets(status="paused", flow=None, due_by=None, limit=1)
    assert listed == [store.get("T-p")]
    assert listed[0].status == "paused"


def with_sla(ticket_id: str, response: datetime | None, resolution: datetime) -> Ticket:
    """A ticket opened at T0 whose first response (None: made) and resolution are due then."""
    event = opened(ticket_id, None)
    data = {**event.data, "first_response_due": response, "resolution_due": resolution}
    return apply(None, replace(event, data=data))


def test_sla_timers_are_kept_due_and_listed_by_breach(store: Store) -> None:
    store.save_version("d" * 64, "f", '{"source": 1}')
    hour = timedelta(hours=1)
    late = with_sla("T-late", T0 + hour, T0 + 9 * hour)  # breaches at 10:00
    soon = with_sla("T-soon", None, T0 + 3 * hour)  # at 12:00
    never = with_sla("T-never", None, T0 + 30 * hour)  # the next day
    store.append([Write(t, [opened(t.id, None)], [], 0) for t in (late, soon, never)])
    breach = Event("T-late", 2, T0 + hour, "sla_breach", "timer", data={"target": "resolution"})
    gone = apply(late, breach)  # a breach of the resolution: the first response's stays
    store.append([Write(gone, [breach], [], 1)])
    assert store.get("T-late") == gone
    assert (gone.breached_at, gone.breach_due) == (T0 + hour, T0 + hour)
    assert store.history("T-late")[1] == breach
    assert [t.id for t in store.due(T0 + 3 * hour, 10)] == ["T-late", "T-soon"]
    assert store.next_due() == T0 + hour

    def ids(sla: SlaFilter) -> list[str]:
        return [t.id for t in store.tickets(status=None, flow=None, due_by=None, limit=9, sla=sla)]

    at = T0 + 2 * hour
    assert ids(SlaFilter(breached_by=T0)) == ["T-late"], "recorded"
    assert ids(SlaFilter(breached_by=T0 + 3 * hour)) == ["T-late", "T-soon"], "or due by then"
    assert ids(SlaFilter(breaching=(at, at + hour))) == ["T-soon"]
    assert ids(SlaFilter(breaching=(at, at + 30 * hour))) == ["T-soon", "T-never"]
    assert ids(SlaFilter(breached_by=at, breaching=(at, at + hour))) == []


def test_counts_give_open_tickets_by_flow_and_level_and_the_backlog(store: Admin) -> None:
    queued = tuple(Action(f"T-1:1:{n}", "T-1", "notify", "lead", {}, T0) for n in range(2))
    create(store, "T-1", T0, actions=queued)
    create(store, "T-2", None)
    waiting = create(store, "T-3", T0)
    pause = Event("T-3", 2, T0 + timedelta(minutes=1), "paused", "ana")
    store.append([Write(apply(waiting, pause), [pause], [], 1)])
    counts = store.counts()
    assert counts.open == {("f", "level-1"): 2}
    assert (counts.backlog, counts.failed) == (2, 0)


def test_the_versions_of_a_flow_are_listed_oldest_first(store: Admin) -> None:
    store.save_version("a" * 64, "f", '{"source": 1}')
    store.save_version("b" * 64, "g", '{"source": 2}')
    store.save_version("c" * 64, "f", '{"source": 3}')
    assert [d for d, _ in store.flow_versions("f")] == ["a" * 64, "c" * 64]
    assert store.flow_versions("nope") == []


def test_pages_of_tickets_follow_one_another_and_filter(store: Admin) -> None:
    create(store, "T-b", T0 + timedelta(hours=2))
    create(store, "T-a", T0 + timedelta(hours=2))
    create(store, "T-soon", T0 + timedelta(minutes=30))
    create(store, "T-Z", None)
    create(store, "T-none", None)
    first = opened("T-g", T0 + timedelta(hours=1))
    other = replace(first, data={**first.data, "flow": "g", "priority": "high"})
    store.append([Write(apply(None, other), [other], [], 0)])
    everything = ["T-soon", "T-g", "T-a", "T-b", "T-Z", "T-none"]

    def pages(size: int, **filters: object) -> list[list[str]]:
        found: list[list[str]] = []
        after = None
        while True:
            query = TicketQuery(after=after, limit=size, **filters)  # type: ignore[arg-type]
            page = store.ticket_page(query)
            if not page:
                return found
            found.append([t.id for t in page])
            after = (page[-1].next_due, page[-1].id)

    assert pages(50) == [everything]
    # Each page starts right after the last: across equal deadlines and into the
    # tickets without one.
    assert pages(2) == [["T-soon", "T-g"], ["T-a", "T-b"], ["T-Z", "T-none"]]
    assert pages(3) == [["T-soon", "T-g", "T-a"], ["T-b", "T-Z", "T-none"]]
    assert pages(1, priority="high") == [["T-g"]]
    assert pages(2, flow="f", due_by=T0 + timedelta(hours=2)) == [["T-soon", "T-a"], ["T-b"]]
    assert pages(50, level="level-1", places=(("g", "level-1"),)) == [["T-g"]]
    assert pages(50, places=()) == []
    assert pages(50, level="level-9") == []


# --- the operator's view (StoreAdmin) -------------------------------------------------


def _outcome(action: Action, **changes: object) -> Action:
    return replace(action, attempts=1, **changes)  # type: ignore[arg-type]


def keys(actions: list[Action]) -> list[str]:
    return [a.key for a in actions]


def test_the_outbox_is_listed_by_stored_status_across_tickets(store: Admin) -> None:
    one = [Action(f"T-1:1:{n}", "T-1", "notify", "lead", {"n": n}, T0) for n in range(3)]
    two = [Action("T-2:1:0", "T-2", "webhook", "https://x.example", {}, T0)]
    create(store, "T-1", actions=tuple(one))
    create(store, "T-2", actions=tuple(two))
    store.pending_actions(T0, 10)
    store.record_attempts(
        [
            _outcome(one[0], delivered_at=T0),
            _outcome(one[1], failed_at=T0, last_error="410 Gone"),
            _outcome(two[0], failed_at=T0, last_error="down"),
        ]
    )
    assert keys(store.outbox(statuses=("failed",))) == ["T-1:1:1", "T-2:1:0"], "oldest first"
    assert keys(store.outbox(statuses=("pending",))) == ["T-1:1:2"]
    assert keys(store.outbox(statuses=("delivered",))) == ["T-1:1:0"]
    assert keys(store.outbox(statuses=("failed", "pending"), ticket_id="T-1")) == [
        "T-1:1:1",
        "T-1:1:2",
    ]
    assert keys(store.outbox(statuses=("failed",), limit=1)) == ["T-1:1:1"]
    assert store.outbox(statuses=()) == []
    [failed] = store.outbox(statuses=("failed",), ticket_id="T-2")
    assert (failed.status, failed.last_error, failed.attempts) == ("failed", "down", 1)


def test_failed_actions_are_queued_again_under_their_keys(store: Admin) -> None:
    actions = [Action(f"T-1:1:{n}", "T-1", "notify", "lead", {"n": n}, T0) for n in range(3)]
    create(store, "T-1", actions=tuple(actions))
    store.pending_actions(T0, 2)  # the third stays unclaimed: a store's live claims are its own
    store.record_attempts(
        [
            _outcome(actions[0], failed_at=T0, last_error="down"),
            _outcome(actions[1], delivered_at=T0),
        ]
    )
    later = T0 + timedelta(hours=2)
    # Only the failed one: a delivered, a pending or an unknown key is left as it is.
    assert store.requeue(["T-1:1:0", "T-1:1:1", "T-1:1:2", "T-9:1:0"], later) == ["T-1:1:0"]
    assert store.requeue(["T-1:1:0"], later) == [], "pending now: nothing to queue again"
    again = {a.key: a for a in store.actions("T-1")}["T-1:1:0"]
    assert (again.status, again.attempts, again.failed_at) == ("pending", 0, None)
    assert again.last_error == "down", "kept until the next attempt"
    assert {a.key for a in store.pending_actions(later, 10)} == {"T-1:1:0", "T-1:1:2"}


def test_a_discarded_action_is_kept_with_who_when_and_why(store: Admin) -> None:
    actions = [Action(f"T-1:1:{n}", "T-1", "notify", "lead", {}, T0) for n in range(3)]
    create(store, "T-1", actions=tuple(actions))
    store.pending_actions(T0, 2)  # the third stays unclaimed: no worker holds it
    store.record_attempts(
        [
            _outcome(actions[0], failed_at=T0, last_error="down"),
            _outcome(actions[1], delivered_at=T0),
        ]
    )
    later = T0 + timedelta(hours=1)
    assert store.discard("T-1:1:0", actor="ana", note="sent by hand", now=later)
    assert not store.discard("T-1:1:0", actor="ana", note=None, now=later), "once"
    assert not store.discard("T-1:1:1", actor="ana", note=None, now=later), "delivered"
    assert store.discard("T-1:1:2", actor="bo", note=None, now=later), "pending, not held"
    found = {a.key: a for a in store.actions("T-1")}
    kept = found["T-1:1:0"]
    assert (kept.status, kept.discarded_by, kept.discard_note) == (
        "discarded",
        "ana",
        "sent by hand",
    )
    assert kept.discarded_at == later
    assert kept.last_error == "down"
    assert found["T-1:1:2"].status == "discarded"
    assert [a.key for a in store.outbox(statuses=("discarded",))] == ["T-1:1:0", "T-1:1:2"]
    assert store.pending_actions(later, 10) == [], "never delivered"
    assert store.requeue(["T-1:1:0"], later) == [], "a discarded action stays so"
