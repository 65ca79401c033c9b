"""The ticket list: filters, the order of next deadlines, and pages by cursor.

Four complaints: T-1 opens at 09:00 UTC (medium: level 1, 15-30 minutes, warns 09:15),
T-2 at 09:02 (high: it enters at level 2, 30 minutes - 1 hour halved to 15-30, warns
09:17), T-3 at 09:04 (medium, warns 09:19), T-4 at 09:04 and is resolved (no deadline:
it comes last).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.http.conftest import Api, running


@pytest.fixture
def four(db: str) -> Iterator[Api]:
    with running(db) as api:
        post = api.client.post
        post("/api/v1/tickets", json={"flow": "complaint", "id": "T-1"})
        api.clock.advance(timedelta(minutes=2))
        post("/api/v1/tickets", json={"flow": "complaint", "id": "T-2", "priority": "high"})
        api.clock.advance(timedelta(minutes=2))
        post("/api/v1/tickets", json={"flow": "complaint", "id": "T-3"})
        post("/api/v1/tickets", json={"flow": "complaint", "id": "T-4"})
        post("/api/v1/tickets/T-4/resolve")
        yield api


def ids(api: Api, **params: Any) -> list[str]:
    answer = api.client.get("/api/v1/tickets", params=params)
    assert answer.status_code == 200, answer.text
    return [t["id"] for t in answer.json()["items"]]


def test_the_list_is_ordered_by_the_next_deadline(four: Api) -> None:
    assert ids(four) == ["T-1", "T-2", "T-3", "T-4"]
    first = four.client.get("/api/v1/tickets").json()["items"][0]
    assert first["next_due"]["utc"] == "2026-11-23T09:15:00Z"


def test_pages_follow_one_another_by_cursor(four: Api) -> None:
    seen, cursor = [], None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = four.client.get("/api/v1/tickets", params=params).json()
        seen.append([t["id"] for t in page["items"]])
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [["T-1", "T-2"], ["T-3", "T-4"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"contact": "support-manager"}, ["T-2"]),
        ({"priority": "high"}, ["T-2"]),
        ({"status": "resolved"}, ["T-4"]),
        ({"status": "open", "level": "level-1"}, ["T-1", "T-3"]),
        ({"due_before": "2026-11-23T09:17:00Z"}, ["T-1", "T-2"]),
        ({"due_before": "2026-11-23T10:17:00+01:00"}, ["T-1", "T-2"]),
        ({"breaching_within": 14}, ["T-1", "T-2"]),  # 09:04 + 14 minutes = 09:18
        ({"flow": "helpdesk"}, []),
    ],
)
def test_the_filters(four: Api, params: dict[str, Any], expected: list[str]) -> None:
    assert ids(four, **params) == expected


def test_a_cursor_not_given_by_the_api_is_422(sqlite_api: Api) -> None:
    answer = sqlite_api.client.get("/api/v1/tickets", params={"cursor": "bogus!"})
    assert answer.status_code == 422
    assert "cursor 'bogus!' is not one this API gave" in answer.json()["detail"]


def test_an_unknown_contact_point_is_422_naming_the_close_one(sqlite_api: Api) -> None:
    answer = sqlite_api.client.get("/api/v1/tickets", params={"contact": "support-manger"})
    assert answer.status_code == 422
    assert "did you mean 'support-manager'" in answer.json()["detail"]


def test_a_naive_due_before_is_422(tmp_path: Path) -> None:
    with running(f"sqlite:///{tmp_path / 'x.db'}") as api:
        answer = api.client.get("/api/v1/tickets", params={"due_before": "2026-11-23T09:00"})
        assert answer.status_code == 422
        assert "no offset" in answer.json()["detail"]
