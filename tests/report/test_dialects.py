"""SQLite and PostgreSQL count the same history alike: the same report, figure for figure."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from escflow.compile import Matrix
from escflow.report import build_report, open_at
from escflow.runtime import generate_history
from escflow.store import open_store
from escflow.store._named import named_query
from tests.report.conftest import START, Made


def test_sqlite_and_postgresql_give_the_same_report(
    tmp_path: Path, matrix: Matrix, pg_url: str
) -> None:
    reports, open_lists = [], []
    for url in (f"sqlite:///{tmp_path / 'h.db'}", pg_url):
        with open_store(url) as store:
            history = generate_history(matrix, store, start=START, days=5, seed=11, per_day=30)
            reports.append(asdict(build_report(store, until=history.end)))
            reports.append(
                asdict(
                    build_report(
                        store,
                        since=START + timedelta(days=2),
                        until=START + timedelta(days=4),
                        flow="complaint",
                    )
                )
            )
            open_lists.append(open_at(store, START + timedelta(days=3, hours=5)))
    assert reports[0]["levels"], "the history is not empty"
    assert reports[0] == reports[2]
    assert reports[1] == reports[3]
    assert open_lists[0] == open_lists[1]
    assert open_lists[0]


def test_a_report_of_one_flow_finds_its_tickets_by_the_index(fortnight: Made) -> None:
    """Schema 10's index: the flows and priorities a report may be asked for, and the
    tickets of one flow, are read from it rather than from the whole table."""
    path = fortnight.url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        plan = " ".join(
            str(row[-1])
            for row in db.execute(
                "EXPLAIN QUERY PLAN " + named_query("sqlite", "names"), {}
            ).fetchall()
        )
    assert "COVERING INDEX tickets_flow_priority" in plan
