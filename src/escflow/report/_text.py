"""A report as text: JSON values, a CSV table, and plain tables for a terminal.

Durations are seconds in JSON and CSV, and short words in tables (``1h 05m``); shares are
fractions in JSON and CSV, percentages in tables; instants are ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from escflow.report._model import HistoryReport, OpenAt, share


def as_json(report: HistoryReport) -> dict[str, Any]:
    """The report as JSON values, the computed shares beside their counts."""
    data = asdict(report)
    data["since"] = report.since.isoformat() if report.since else None
    data["until"] = report.until.isoformat()
    data["tickets"] = report.tickets
    for row, stats in zip(data["levels"], report.levels, strict=True):
        row["timer_share"] = stats.timer_share
    for row, sla in zip(data["sla"], report.sla, strict=True):
        row |= {
            "response_attainment": sla.response_attainment,
            "resolution_attainment": sla.resolution_attainment,
            "first_contact_rate": sla.first_contact_rate,
            "reopen_rate": sla.reopen_rate,
            "escalations_per_ticket": sla.escalations_per_ticket,
        }
    for row in data["weeks"]:
        row["week"] = row["week"].date().isoformat()
    return data


def as_csv(report: HistoryReport) -> str:
    """The report as one CSV table, a figure a row: ``section, flow, key, measure, value``
    (``key`` is the level, the priority, the week or the person the figure is about)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "flow", "key", "measure", "value"))
    writer.writerows(_figures(report))
    return out.getvalue()


def _figures(report: HistoryReport) -> Iterable[tuple[object, ...]]:
    for lv in report.levels:
        yield ("level", lv.flow, lv.level, "entered", lv.entered)
        for how, n in lv.left.items():
            yield ("level", lv.flow, lv.level, f"left:{how}", n)
        yield ("level", lv.flow, lv.level, "warnings", lv.warnings)
        yield ("level", lv.flow, lv.level, "holds", lv.holds)
        for name in ("median", "p90", "mean"):
            yield ("level", lv.flow, lv.level, f"dwell_{name}_s", _blank(getattr(lv.dwell, name)))
    for s in report.sla:
        for name in (
            "tickets",
            "response_judged",
            "response_met",
            "resolution_judged",
            "resolution_met",
            "mtta",
            "mttr",
            "first_contact",
            "resolved",
            "reopened",
            "escalations",
        ):
            yield ("sla", s.flow, s.priority, name, _blank(getattr(s, name)))
        for target, tickets in s.breaches.items():
            yield ("sla", s.flow, s.priority, f"breaches:{target}", " ".join(tickets))
    for load in report.load:
        yield ("load", load.flow, f"{load.level}/{load.person or '-'}", "stays", load.stays)
    for w in report.weeks:
        week = w.week.date().isoformat()
        for name in ("opened", "first_contact", "resolved", "resolution_met", "timer_exits"):
            yield ("week", w.flow, week, name, getattr(w, name))
    for o in report.open_at_end:
        yield ("open", o.flow, o.level, "open", o.open)
        yield ("open", o.flow, o.level, "paused", o.paused)
    for f in report.findings:
        yield ("finding", "", f.rule, "text", f.text)


def _blank(value: object) -> object:
    return "" if value is None else value


def duration(seconds: float | None) -> str:
    """``45s``, ``12m``, ``1h 05m``, ``2d 3h``; ``-`` for none."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def percent(value: float | None) -> str:
    """``62%``; ``-`` for none."""
    return "-" if value is None else f"{round(value * 100)}%"


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell, no trailing spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def left_text(left: dict[str, int]) -> str:
    """How stays ended, the largest first: ``resolved 17, timer 6, asks-for-manager 4``."""
    ordered = sorted(left.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{how.removeprefix('trigger:')} {n}" for how, n in ordered)


def as_table(report: HistoryReport) -> str:
    """The report as plain tables, one section after the other."""
    since = report.since.isoformat() if report.since else "the first event"
    lines = [
        f"escflow report: {since} to {report.until.isoformat()}"
        + (f", flow {report.flow}" if report.flow else "")
        + (f", priority {report.priority}" if report.priority else ""),
        f"{report.tickets} tickets opened in the period",
        "",
    ]
    if not report.levels and not report.sla:
        lines.append("no tickets in the period")
        lines += _open_lines(report.open_at_end)
        return "\n".join(lines) + "\n"
    lines.append("Levels (stays that began in the period; dwell in wall time)")
    rows: list[tuple[str, ...]] = [
        ("FLOW", "LEVEL", "ENTERED", "MEDIAN", "P90", "TIMER", "WARNED", "HELD", "LEFT BY")
    ]
    for lv in report.levels:
        rows.append(
            (
                lv.flow,
                f"{lv.number} {lv.name}",
                str(lv.entered),
                duration(lv.dwell.median),
                duration(lv.dwell.p90),
                percent(lv.timer_share),
                str(lv.warnings),
                str(lv.holds),
                left_text(lv.left),
            )
        )
    lines += [*_table(rows), "", "SLA (tickets opened in the period)"]
    rows = [
        ("FLOW", "PRIORITY", "TICKETS", "RESPONSE", "RESOLUTION", "MTTA", "MTTR", "FCR", "REOPEN"),
    ]
    for s in report.sla:
        rows.append(
            (
                s.flow,
                s.priority,
                str(s.tickets),
                f"{percent(s.response_attainment)} ({s.response_met}/{s.response_judged})",
                f"{percent(s.resolution_attainment)} ({s.resolution_met}/{s.resolution_judged})",
                duration(s.mtta),
                duration(s.mttr),
                percent(s.first_contact_rate),
                percent(s.reopen_rate),
            )
        )
    lines += [*_table(rows), "", "Load (stays by contact point and person on duty)"]
    rows = [("FLOW", "LEVEL", "CONTACT", "PERSON", "STAYS")]
    rows += [(x.flow, x.level, x.contact, x.person or "-", str(x.stays)) for x in report.load]
    lines += [*_table(rows), "", "Weeks (tickets opened; Monday, UTC)"]
    rows = [("WEEK", "FLOW", "OPENED", "FCR", "RESOLUTION", "TIMER")]
    for w in report.weeks:
        rows.append(
            (
                w.week.date().isoformat(),
                w.flow,
                str(w.opened),
                percent(share(w.first_contact, w.resolved)),
                percent(share(w.resolution_met, w.resolution_judged)),
                percent(share(w.timer_exits, w.exits)),
            )
        )
    lines += _table(rows)
    lines += _open_lines(report.open_at_end)
    lines += ["", "Findings"]
    lines += [f"- {f.text}" for f in report.findings] or ["none: no rule applies"]
    return "\n".join(lines) + "\n"


def _open_lines(open_at: list[OpenAt]) -> list[str]:
    if not open_at:
        return ["", "Open at the end: none"]
    rows = [("FLOW", "LEVEL", "OPEN", "PAUSED")]
    rows += [(o.flow, o.level, str(o.open), str(o.paused)) for o in open_at]
    return ["", "Open at the end", *_table(rows)]


def open_table(open_at: list[OpenAt], instant: str) -> str:
    """``report --at``: the tickets open at an instant, by flow and level."""
    if not open_at:
        return f"no tickets open at {instant}\n"
    rows = [("FLOW", "LEVEL", "OPEN", "PAUSED")]
    rows += [(o.flow, o.level, str(o.open), str(o.paused)) for o in open_at]
    total = sum(o.open for o in open_at)
    return f"{total} tickets open at {instant}\n" + "\n".join(_table(rows)) + "\n"
