"""The history generator: seeded, on the real engine, with a record that matches the store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from escflow.compile import Matrix
from escflow.records import replay
from escflow.store import open_store
from tests.report.conftest import START, Made, make


def _shape(made: Made) -> list[tuple[object, ...]]:
    return [
        (
            r.id,
            r.flow,
            r.priority,
            [(v.level, v.entered_at, v.left_at, v.left_by) for v in r.visits],
        )
        for r in made.history.tickets.values()
    ]


def test_the_same_seed_makes_the_same_history(tmp_path: Path, matrix: Matrix) -> None:
    first = make(tmp_path / "a.db", matrix, days=2, seed=5, per_day=15)
    second = make(tmp_path / "b.db", matrix, days=2, seed=5, per_day=15)
    other = make(tmp_path / "c.db", matrix, days=2, seed=6, per_day=15)
    assert _shape(first) == _shape(second)
    assert _shape(first) != _shape(other)


def test_the_record_is_what_the_store_holds(fortnight: Made) -> None:
    with open_store(fortnight.url, readonly=True) as store:
        for record in fortnight.history.tickets.values():
            events = store.history(record.id)
            assert len(events) == record.events
            ticket = replay(events)
            last = record.visits[-1]
            assert ticket.level == last.level
            assert (ticket.status == "resolved") == (last.left_by == "resolved")
            assert ticket.opened_at == record.opened_at >= START


def test_a_fortnight_holds_every_kind_of_move(fortnight: Made, matrix: Matrix) -> None:
    tickets = fortnight.history.tickets.values()
    left_by = Counter(v.left_by for r in tickets for v in r.visits)
    assert len(fortnight.history.tickets) > 300
    assert left_by["resolved"] > 100
    assert left_by["trigger"] > 50
    assert left_by["timer"] > 50
    assert left_by[None] > 0, "some tickets are still open at the end"
    assert sum(len(r.reopens) for r in tickets) > 5
    assert sum(len(r.pauses) for r in tickets) > 10
    assert sum(len(r.acks) for r in tickets) > 100
    assert {r.flow for r in tickets} == set(matrix.flows)
    # Arrivals follow the hour of the week: weekdays' office hours bring most tickets.
    office = sum(1 for r in tickets if r.opened_at.weekday() < 5 and 8 <= r.opened_at.hour < 18)
    assert office > len(fortnight.history.tickets) / 2
