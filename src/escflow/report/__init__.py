"""What the history tells: reports over a store's events, counted in SQL by the store.

:func:`build_report` makes a :class:`HistoryReport` of a period; :func:`open_at` says
which tickets were open at an instant. Findings follow the rules of
:data:`~escflow.report._findings.RULES`.
"""

from __future__ import annotations

from escflow.report._build import EXAMPLES, ReportSource, build_report, check_period, open_at
from escflow.report._findings import RULES, Rule
from escflow.report._model import (
    Dwell,
    Finding,
    HistoryReport,
    LevelStats,
    Load,
    OpenAt,
    SlaStats,
    Week,
)

__all__ = [
    "EXAMPLES",
    "RULES",
    "Dwell",
    "Finding",
    "HistoryReport",
    "LevelStats",
    "Load",
    "OpenAt",
    "ReportSource",
    "Rule",
    "SlaStats",
    "Week",
    "build_report",
    "check_period",
    "open_at",
]
