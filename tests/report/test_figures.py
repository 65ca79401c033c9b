"""Every figure of a report, checked against what the generator's record says happened."""

from __future__ import annotations

from statistics import fmean

import pytest

from escflow.report import HistoryReport, build_report
from escflow.store import open_store
from tests.report import expected
from tests.report.conftest import Made

TOLERANCE = 0.01  # seconds: the store keeps instants to the microsecond, reports to the ms


@pytest.fixture(scope="module")
def report(fortnight: Made) -> HistoryReport:
    with open_store(fortnight.url, readonly=True) as store:
        return build_report(store, until=fortnight.history.end)


def test_levels_entered_and_left(fortnight: Made, report: HistoryReport) -> None:
    want = expected.levels(fortnight.history)
    got = {(lv.flow, lv.level): lv for lv in report.levels}
    assert set(got) == set(want)
    for key, row in want.items():
        assert got[key].entered == row["entered"], key
        assert got[key].left == dict(row["left"]), key
        assert got[key].warnings == row["warnings"], key
        assert got[key].holds == row["holds"], key


def test_dwell_median_p90_and_mean(fortnight: Made, report: HistoryReport) -> None:
    want = expected.levels(fortnight.history)
    for lv in report.levels:
        dwell = want[(lv.flow, lv.level)]["dwell"]
        assert lv.dwell.ended == len(dwell)
        if not dwell:
            assert lv.dwell.median is None
            continue
        assert lv.dwell.median == pytest.approx(expected.nearest_rank(dwell, 0.5), abs=TOLERANCE)
        assert lv.dwell.p90 == pytest.approx(expected.nearest_rank(dwell, 0.9), abs=TOLERANCE)
        assert lv.dwell.mean == pytest.approx(fmean(dwell), abs=TOLERANCE)


def test_sla_per_flow_and_priority(fortnight: Made, report: HistoryReport) -> None:
    want = expected.sla(fortnight.history, fortnight.history.end)
    got = {(s.flow, s.priority): s for s in report.sla}
    assert set(got) == set(want)
    for key, row in want.items():
        stats = got[key]
        assert stats.tickets == row["tickets"]
        assert stats.response_judged == len(row["response"]), key
        assert stats.response_met == sum(ok for ok, _ in row["response"]), key
        assert stats.resolution_judged == len(row["resolution"]), key
        assert stats.resolution_met == sum(ok for ok, _ in row["resolution"]), key
        for name, values in (("mtta", row["ack"]), ("mttr", row["resolve"])):
            if values:
                assert getattr(stats, name) == pytest.approx(fmean(values), abs=TOLERANCE)
            else:
                assert getattr(stats, name) is None
        assert stats.first_contact == row["first_contact"], key
        assert stats.resolved == row["resolved"], key
        assert stats.reopened == row["reopened"], key
        assert stats.escalations == row["escalations"], key
        for target in ("response", "resolution"):
            missed = sorted(ticket for ok, ticket in row[target] if not ok)
            assert stats.breaches.get(target, []) == missed[:5], (key, target)


def test_the_history_reaches_every_rule_of_judgement(fortnight: Made) -> None:
    """The record holds each case the rules tell apart, so the tests above test them."""
    end, records = fortnight.history.end, fortnight.history.tickets.values()
    unacked = [(r, r.first_response_due) for r in records if not r.acks and r.first_response_due]
    assert any(r.resolutions and r.resolutions[0][0] <= due for r, due in unacked)
    assert any(not r.resolutions and due < end for r, due in unacked)
    assert any(expected.resolution_met(r, end) is False and not r.resolutions for r in records)
