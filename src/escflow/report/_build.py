"""A report from a store: the named SQL queries' rows turned into a :class:`HistoryReport`.

The store does the counting (``store/sql/report/``): what comes back is a row per flow and
level, per flow and priority, per week, never a row per event, so a report over a million
events holds little more in memory than one over a thousand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from escflow.compile import CompiledFlow, compile_source
from escflow.errors import DefinitionError, InputError, TimeError, UnknownName
from escflow.report._findings import findings
from escflow.report._model import (
    Dwell,
    HistoryReport,
    LevelStats,
    Load,
    OpenAt,
    SlaStats,
    Week,
)
from escflow.spec._load import did_you_mean
from escflow.timing import ensure_aware

EXAMPLES = 5
"""How many tickets a breach list or a finding names at most (the count says the rest)."""
_FIRST = datetime(1, 1, 2, tzinfo=UTC)  # "since the beginning": before any event
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@runtime_checkable
class ReportSource(Protocol):
    """What a report needs of a store: the named queries, and the flow versions (for the
    names of levels, contact points and the teams triggers lead to)."""

    def report_rows(self, name: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
        """The rows of the report query ``name``."""
        ...

    def load_version(self, digest: str) -> str | None:
        """The canonical text of a flow version, or None."""
        ...


def _source(store: object) -> ReportSource:
    if not isinstance(store, ReportSource):
        raise InputError(
            f"{type(store).__name__} cannot make a report: reports count in SQL; open a"
            " SQLite or PostgreSQL store (escflow.store.open_store(url))"
        )
    return store


def check_period(since: datetime | None, until: datetime) -> tuple[datetime | None, datetime]:
    """The period in UTC; :class:`TimeError` when it ends before it begins."""
    end = ensure_aware(until, "until")
    start = ensure_aware(since, "since") if since is not None else None
    if start is not None and start > end:
        raise TimeError(
            f"the period begins ({start.isoformat()}) after it ends ({end.isoformat()}):"
            " give --since before --until"
        )
    return start, end


def build_report(
    store: object,
    *,
    until: datetime,
    since: datetime | None = None,
    flow: str | None = None,
    priority: str | None = None,
) -> HistoryReport:
    """The report of the tickets in ``store`` over ``since``..``until`` (both included;
    events after ``until`` are not read: the report says how things stood then).

    ``flow`` and ``priority`` keep the tickets of that flow and priority; a name no ticket
    in the store has is refused (:class:`~escflow.errors.UnknownName`), with the close names.
    """
    source = _source(store)
    start, end = check_period(since, until)
    _check_names(source, flow, priority)
    params = {
        "since": start or _FIRST,
        "until": end,
        "until_t": (end - _EPOCH).total_seconds(),
        "flow": flow,
        "priority": priority,
        "examples": EXAMPLES,
    }

    parts: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for part, *row in source.report_rows("report", params):
        parts[str(part)].append(tuple(row))
    load_rows = sorted(
        ((k1, k2, k3, k4, n1) for k1, k2, k3, k4, n1, *_ in parts["load"]),
        key=lambda row: (row[0], row[1], row[2], row[3] or ""),  # nobody on duty: None
    )
    flows = _versions(source, {str(r[1]) for r in load_rows})
    levels = _levels(
        [(k1, k2, k3, k4, n1, n2, n3) for k1, k2, k3, k4, n1, n2, n3, *_ in parts["levels"]],
        [(k1, k2, n1, n2, n3, n4) for k1, k2, _, _, n1, n2, n3, n4, *_ in parts["dwell"]],
        flows,
    )
    sla = _sla(
        sorted((k1, k2, *numbers) for k1, k2, _, _, *numbers in parts["sla"]),
        sorted((k1, k2, k3, k4) for k1, k2, k3, k4, *_ in parts["breach"]),
    )
    exits = [(n1, k1, k2, n2, n3) for k1, k2, _, _, n1, n2, n3, *_ in parts["exits"]]
    by_level: dict[tuple[str, str], list[tuple[datetime, int, int]]] = defaultdict(list)
    for week, flow_id, level_id, ended, timer in exits:
        by_level[(flow_id, level_id)].append((_day(week), int(ended), int(timer or 0)))
    weeks = _weeks(
        sorted(
            (n1, k1, n2, n3, n4, n5, n6, n7, n8)
            for k1, _, _, _, n1, n2, n3, n4, n5, n6, n7, n8, *_ in parts["week"]
        ),
        exits,
    )
    load = [
        Load(f, lv, _contact(flows, f, lv), person, int(n)) for f, _, lv, person, n in load_rows
    ]
    examples: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for k1, k2, k3, k4, *_ in sorted(parts["example"]):
        examples[(k1, k2, k3)].append(k4)
    open_at = [
        OpenAt(k1, k2, int(n1), int(n2 or 0)) for k1, k2, _, _, n1, n2, *_ in sorted(parts["open"])
    ]
    return HistoryReport(
        start,
        end,
        flow,
        priority,
        levels,
        sla,
        _merged(load),
        weeks,
        findings(levels, sla, by_level, examples),
        open_at,
    )


def open_at(store: object, at: datetime, *, flow: str | None = None) -> list[OpenAt]:
    """The tickets open at ``at`` by flow and level (and how many of them are paused),
    from the events up to that instant."""
    source = _source(store)
    instant = ensure_aware(at, "at")
    _check_names(source, flow, None)
    params = {
        "since": _FIRST,
        "until": instant,
        "until_t": (instant - _EPOCH).total_seconds(),
        "flow": flow,
        "priority": None,
        "examples": EXAMPLES,
    }
    return [
        OpenAt(f, lv, int(n), int(p or 0)) for f, lv, n, p in source.report_rows("open_at", params)
    ]


def _check_names(source: ReportSource, flow: str | None, priority: str | None) -> None:
    if flow is None and priority is None:
        return
    known = source.report_rows("names", {})
    for given, names, what in (
        (flow, sorted({str(f) for f, _ in known}), "flow"),
        (priority, sorted({str(p) for _, p in known}), "priority"),
    ):
        if given is not None and given not in names:
            shown = ", ".join(names) if names else "none: the store holds no tickets"
            raise UnknownName(
                f"no ticket of {what} '{given}' in the store ({what} names there: {shown})"
                f"{did_you_mean(given, names)}"
            )


def _versions(source: ReportSource, digests: set[str]) -> dict[str, list[CompiledFlow]]:
    """The flow versions the tickets ran on, by flow id (newest name wins for labels)."""
    found: dict[str, list[CompiledFlow]] = defaultdict(list)
    for digest in sorted(digests):
        text = source.load_version(digest)
        if text is None:
            continue
        try:
            compiled = compile_source(text)
        except DefinitionError:
            continue  # a version this escflow cannot read: its ids stand for its names
        found[compiled.id].append(compiled)
    return found


def _level_of(flows: Mapping[str, list[CompiledFlow]], flow: str, level: str) -> Any:
    for version in flows.get(flow, []):
        found = next((lv for lv in version.levels if lv.id == level), None)
        if found is not None:
            return found
    return None


def _contact(flows: Mapping[str, list[CompiledFlow]], flow: str, level: str) -> str:
    found = _level_of(flows, flow, level)
    return str(found.contact_id) if found is not None else "?"


def _targets(flows: Mapping[str, list[CompiledFlow]], flow: str, level: str) -> dict[str, str]:
    """Each trigger of the level's steps, and the name of the level or team it leads to."""
    targets: dict[str, str] = {}
    for version in flows.get(flow, []):
        for step in version.steps.values():
            if step.level != level:
                continue
            for trigger in step.triggers:
                if trigger.resolves:
                    targets.setdefault(trigger.id, "resolved")
                elif trigger.target in version.steps:
                    there = version.level_of(trigger.target)
                    targets.setdefault(trigger.id, there.name)
    return targets


def _seconds(value: Any) -> float | None:
    """A duration from SQL, to the millisecond (both dialects agree to that)."""
    return None if value is None else round(float(value), 3)


def _levels(
    exits: list[tuple[Any, ...]],
    dwell: list[tuple[Any, ...]],
    flows: Mapping[str, list[CompiledFlow]],
) -> list[LevelStats]:
    left: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for flow, level, how, trigger, n, warnings, holds in exits:
        way = f"trigger:{trigger}" if how == "trigger" else str(how)
        left[(flow, level)][way] = left[(flow, level)].get(way, 0) + int(n)
        total = counts[(flow, level)]
        total[0] += int(n)
        total[1] += int(warnings or 0)
        total[2] += int(holds or 0)
    dwells = {
        (f, lv): Dwell(int(n), _seconds(p50), _seconds(p90), _seconds(mean))
        for f, lv, n, p50, p90, mean in dwell
    }
    out = []
    for key in sorted(left, key=lambda k: (k[0], _number(flows, *k), k[1])):
        found = _level_of(flows, *key)
        entered, warnings, holds = counts[key]
        out.append(
            LevelStats(
                key[0],
                key[1],
                _number(flows, *key),
                found.name if found is not None else key[1],
                found.contact_id if found is not None else "?",
                entered,
                dict(sorted(left[key].items())),
                _targets(flows, *key),
                warnings,
                holds,
                dwells.get(key, Dwell()),
            )
        )
    return out


def _number(flows: Mapping[str, list[CompiledFlow]], flow: str, level: str) -> int:
    found = _level_of(flows, flow, level)
    return int(found.number) if found is not None else 0


def _sla(rows: list[tuple[Any, ...]], breaches: list[tuple[Any, ...]]) -> list[SlaStats]:
    named: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(dict)
    for flow, priority, target, ticket in breaches:
        named[(flow, priority)].setdefault(str(target), []).append(str(ticket))
    out = []
    for flow, priority, *numbers in rows:
        tickets, r_judged, r_met, s_judged, s_met = (int(x or 0) for x in numbers[0:5])
        first_contact, resolved, reopened, escalations = (int(x or 0) for x in numbers[7:11])
        out.append(
            SlaStats(
                flow,
                priority,
                tickets,
                r_judged,
                r_met,
                s_judged,
                s_met,
                _seconds(numbers[5]),
                _seconds(numbers[6]),
                first_contact,
                resolved,
                reopened,
                escalations,
                named.get((flow, priority), {}),
            )
        )
    return out


def _day(days: Any) -> datetime:
    return _EPOCH + timedelta(days=int(days))


def _weeks(opened: list[tuple[Any, ...]], exits: list[tuple[Any, ...]]) -> list[Week]:
    left: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for week, flow, _level, n, timer in exits:
        left[(int(week), flow)][0] += int(n)
        left[(int(week), flow)][1] += int(timer or 0)
    out = []
    for week, flow, *numbers in opened:
        opened_, first, resolved, s_judged, s_met, r_judged, r_met = (int(x or 0) for x in numbers)
        ended, timer = left.get((int(week), flow), [0, 0])
        out.append(
            Week(
                _day(week),
                flow,
                opened_,
                first,
                resolved,
                s_judged,
                s_met,
                r_judged,
                r_met,
                ended,
                timer,
            )
        )
    return out


def _merged(load: list[Load]) -> list[Load]:
    """One row per flow, level and person, whatever the flow version."""
    total: dict[tuple[str, str, str, str | None], int] = defaultdict(int)
    for row in load:
        total[(row.flow, row.level, row.contact, row.person)] += row.stays
    return [Load(f, lv, c, p, n) for (f, lv, c, p), n in total.items()]
