"""A report's figures worked out from a generator's record, by hand: the tests' answers.

Nothing here calls the report code; the rules are the ones the README states.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from escflow.runtime import History, TicketRecord


def nearest_rank(values: list[float], p: float) -> float:
    """The smallest value with at least ``p`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)), 1) - 1]


def levels(history: History, since: datetime | None = None) -> dict[tuple[str, str], Any]:
    """Per flow and level: entered, the ways of leaving, warnings, holds, dwell figures."""
    found: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"entered": 0, "left": Counter(), "warnings": 0, "holds": 0, "dwell": []}
    )
    for record in history.tickets.values():
        for visit in record.visits:
            if since is not None and visit.entered_at < since:
                continue
            row = found[(record.flow, visit.level)]
            row["entered"] += 1
            how = {"trigger": f"trigger:{visit.trigger}", None: "open"}.get(
                visit.left_by, visit.left_by
            )
            row["left"][how] += 1
            row["warnings"] += visit.warned
            row["holds"] += visit.held
            if visit.left_at is not None:
                row["dwell"].append((visit.left_at - visit.entered_at).total_seconds())
    return found


def response_met(record: TicketRecord, end: datetime) -> bool | None:
    """The README's rule for a first response: met, missed, or not judged yet (None)."""
    due = record.first_response_due
    if due is None:
        return None
    if record.acks:
        return record.acks[0][1]
    resolved = record.resolutions[0][0] if record.resolutions else None
    if resolved is not None:
        return resolved <= due
    return False if due < end else None


def resolution_met(record: TicketRecord, end: datetime) -> bool | None:
    """The README's rule for a resolution: met, missed, or not judged yet (None)."""
    if record.resolutions:
        return record.resolutions[0][1]
    due = record.resolution_due
    if due is not None and due < end and record.status != "paused":
        return False
    return None


def sla(history: History, end: datetime) -> dict[tuple[str, str], dict[str, Any]]:
    """Per flow and priority: the ticket figures of the report."""
    found: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "tickets": 0,
            "response": [],
            "resolution": [],
            "ack": [],
            "resolve": [],
            "first_contact": 0,
            "resolved": 0,
            "reopened": 0,
            "escalations": 0,
        }
    )
    for record in history.tickets.values():
        row = found[(record.flow, record.priority)]
        row["tickets"] += 1
        for name, judge in (("response", response_met), ("resolution", resolution_met)):
            verdict = judge(record, end)
            if verdict is not None:
                row[name].append((verdict, record.id))
        if record.acks:
            row["ack"].append((record.acks[0][0] - record.opened_at).total_seconds())
        if record.resolutions:
            row["resolve"].append((record.resolutions[0][0] - record.opened_at).total_seconds())
            row["resolved"] += 1
            row["first_contact"] += record.visits[0].left_by == "resolved"
        row["reopened"] += bool(record.reopens)
        row["escalations"] += len(record.visits) - 1 - len(record.reopens)
    return found
