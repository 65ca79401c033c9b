"""The rules a definition must follow: one function per rule, each with a stable code.

A rule yields ``(path, message)`` pairs; the registry turns them into located
problems with the rule's code and severity. Codes never change meaning; new rules get
new codes. ``E`` codes are errors (the flow cannot run), ``W`` codes are warnings.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from escflow._i18n import LANGUAGES, catalogued, language_name, meant
from escflow.compile._duty import duty_gap
from escflow.compile._graph import FlowGraph, timer_cycles
from escflow.compile._index import FlowIndex, StepRef, UnitRef
from escflow.problems import Problem, Severity, YamlPath
from escflow.spec._load import Loaded, did_you_mean
from escflow.spec._models import (
    CUSTOMER,
    PLACEHOLDERS,
    RESOLVED,
    FlowDoc,
    MatrixDoc,
    NotifyAction,
    Window,
)
from escflow.timing import Duration, calendar_problem, cron_problem

Finding = tuple[YamlPath, str] | tuple[YamlPath, str, str]
"""Where (a YAML path), what is wrong, and optionally the text inside the value to point
at (a misspelt word in a message)."""
_HTTP_URL = re.compile(r"^https?://\S+$")  # as the format's own webhook responses


@dataclass
class FlowContext:
    """What a flow rule can look at.

    ``matrix`` is None when there is none or it failed its own checks; a rule that needs
    it then says nothing, since E121 or the matrix's own problems already say why.
    """

    loaded: Loaded[FlowDoc]
    index: FlowIndex
    matrix: MatrixDoc | None
    graph: FlowGraph

    @property
    def flow(self) -> FlowDoc:
        return self.loaded.model

    def calendar_of(self, unit: UnitRef) -> str | None:
        """The calendar a level's window counts in: its own, the flow's, the matrix's."""
        return (
            unit.level.window.calendar
            or self.flow.calendar
            or (self.matrix.calendar if self.matrix else None)
        )

    def day_minutes(self, calendar: str | None) -> int | None:
        """Minutes in one business day of ``calendar`` (8 hours when the matrix does not
        define it; None without a matrix, which would define it)."""
        if self.matrix is None:
            return None
        if calendar in self.matrix.calendars:
            return self.matrix.calendars[calendar].day_minutes()
        return 480

    def entries(self) -> dict[str, StepRef | None]:
        """The entry step of each priority (None when its level does not exist)."""
        found: dict[str, StepRef | None] = {"": self.index.ladder[0].entry}
        if self.matrix is None:
            return found
        for name, priority in self.matrix.priorities.items():
            override = self.flow.priorities.get(name)
            number = override.entry if override and override.entry is not None else priority.entry
            if number is not None:
                found[name] = self.index.entry_step(number)
        return found


@dataclass
class MatrixContext:
    """What a matrix-wide rule can look at."""

    loaded: Loaded[MatrixDoc]
    flows: list[FlowContext]
    complete: bool = True
    """False when some flow could not be read, or the matrix was found beside flow files
    given without the others of their folder: rules about what no flow uses (every rule
    that looks across ``flows``) then stay quiet."""

    @property
    def matrix(self) -> MatrixDoc:
        return self.loaded.model


C = TypeVar("C", FlowContext, MatrixContext)


@dataclass(frozen=True)
class Rule(Generic[C]):
    """One check: a stable code, a name, a severity and the function that finds breaches."""

    code: str
    name: str
    severity: Severity
    summary: str
    find: Callable[[C], Iterator[Finding]]


FLOW_RULES: list[Rule[FlowContext]] = []
MATRIX_RULES: list[Rule[MatrixContext]] = []


def flow_rule(
    code: str, name: str, summary: str
) -> Callable[
    [Callable[[FlowContext], Iterator[Finding]]], Callable[[FlowContext], Iterator[Finding]]
]:
    """Register a flow rule; the code's first letter gives the severity."""

    def register(
        find: Callable[[FlowContext], Iterator[Finding]],
    ) -> Callable[[FlowContext], Iterator[Finding]]:
        FLOW_RULES.append(Rule(code, name, _severity(code), summary, find))
        return find

    return register


def matrix_rule(
    code: str, name: str, summary: str
) -> Callable[
    [Callable[[MatrixContext], Iterator[Finding]]], Callable[[MatrixContext], Iterator[Finding]]
]:
    """Register a matrix-wide rule; the code's first letter gives the severity."""

    def register(
        find: Callable[[MatrixContext], Iterator[Finding]],
    ) -> Callable[[MatrixContext], Iterator[Finding]]:
        MATRIX_RULES.append(Rule(code, name, _severity(code), summary, find))
        return find

    return register


def _severity(code: str) -> Severity:
    return "warning" if code.startswith("W") else "error"


def run_flow_rules(context: FlowContext) -> list[Problem]:
    """Every flow rule's findings, located in the flow's file."""
    return [
        context.loaded.problem(
            rule.code, finding[1], finding[0], severity=rule.severity, within=_within(finding)
        )
        for rule in FLOW_RULES
        for finding in rule.find(context)
    ]


def _within(finding: Finding) -> str | None:
    return finding[2] if len(finding) == 3 else None


def run_matrix_rules(context: MatrixContext) -> list[Problem]:
    """Every matrix-wide rule's findings, located in the matrix file or the flow's file."""
    return [
        context.loaded.problem(
            rule.code, finding[1], finding[0], severity=rule.severity, within=_within(finding)
        )
        for rule in MATRIX_RULES
        for finding in rule.find(context)
    ]


def _targets(ctx: FlowContext) -> list[str]:
    return [RESOLVED, *ctx.index.unit_by_id, *ctx.index.step_by_id]


# --- references ----------------------------------------------------------------------


@flow_rule("E101", "unknown-target", "a trigger or escalation names no level, team or step")
def unknown_target(ctx: FlowContext) -> Iterator[Finding]:
    for unit in ctx.index.units:
        name = unit.level.escalates_to
        if name is None or name in ctx.index.unit_by_id or name == RESOLVED:
            continue
        step = ctx.index.step_by_id.get(name)
        if step is not None:
            where = f"team '{step.unit.id}'" if step.unit.team else f"level {step.unit.level.level}"
            message = (
                f"escalates_to must name a level or a team, not a step (step '{name}' is in"
                f" {where}: write '{step.unit.id}')"
            )
        else:
            message = f"unknown level or team '{name}'{did_you_mean(name, ctx.index.unit_by_id)}"
        yield (*unit.path, "escalates_to"), message
    for trigger in ctx.index.triggers:
        name = trigger.trigger.to
        if name is not None and trigger.target is None:
            yield (
                (*trigger.path, "to"),
                (
                    f"unknown target '{name}'{did_you_mean(name, _targets(ctx))}; a target is a"
                    " level, team or step id, or 'resolved'"
                ),
            )


@flow_rule("E114", "no-next-level", "a trigger without 'to' where no next level exists")
def no_next_level(ctx: FlowContext) -> Iterator[Finding]:
    for trigger in ctx.index.triggers:
        written = ctx.loaded.source.has((*trigger.path, "to"))  # an empty 'to:' is E132
        if trigger.trigger.to is None and trigger.source.unit.next is None and not written:
            unit = trigger.source.unit
            what = "a team has no next level" if unit.team else "this is the last level"
            yield (
                trigger.path,
                (
                    f"trigger '{trigger.id}' goes to the next level, but {what}: add"
                    " 'to: resolved' or 'to: <level or team id>'"
                    + ("" if not unit.team else ", or give the team 'escalates_to'")
                ),
            )


@flow_rule("E108", "unknown-contact", "a level or notification names no contact point")
def unknown_contact(ctx: FlowContext) -> Iterator[Finding]:
    if ctx.matrix is None:
        return
    contacts = ctx.matrix.contacts
    for n, name in enumerate(ctx.flow.sla_notify):
        if name not in contacts:
            yield (
                ("sla_notify", n),
                (
                    f"unknown contact point '{name}'{did_you_mean(name, contacts)}; the"
                    " contact points told of SLA warnings and breaches are defined in the"
                    " matrix file under 'contacts'"
                ),
            )
    for unit in ctx.index.units:
        if unit.level.contact not in contacts:
            yield (
                (*unit.path, "contact"),
                (
                    f"unknown contact point '{unit.level.contact}'"
                    f"{did_you_mean(unit.level.contact, contacts)}; contact points are defined in"
                    " the matrix file under 'contacts'"
                ),
            )
        for step in unit.steps:
            for r, response in enumerate(step.step.responses):
                if (
                    isinstance(response, NotifyAction)
                    and response.notify != CUSTOMER
                    and response.notify not in contacts
                ):
                    yield (
                        (*step.path, "responses", r, "notify"),
                        (
                            f"unknown contact point '{response.notify}'"
                            f"{did_you_mean(response.notify, [*contacts, CUSTOMER])}"
                            " ('customer' notifies the customer)"
                        ),
                    )


@flow_rule(
    "E127", "webhook-channel-without-address", "a notification on a webhook channel with no URL"
)
def webhook_channel_without_address(ctx: FlowContext) -> Iterator[Finding]:
    # A notification on the webhook channel is POSTed to the contact point's webhook
    # address (the other channels go to the service's notify deliverer): without an
    # http(s) address it could never be delivered.
    if ctx.matrix is None:
        return
    for unit in ctx.index.units:
        for step in unit.steps:
            for r, response in enumerate(step.step.responses):
                if not isinstance(response, NotifyAction) or response.channel != "webhook":
                    continue
                where = (*step.path, "responses", r, "channel")
                if response.notify == CUSTOMER:
                    yield (
                        where,
                        "the customer has no webhook address: notify the customer on email,"
                        " phone or chat (or leave 'channel' out)",
                    )
                    continue
                contact = ctx.matrix.contacts.get(response.notify)
                if contact is None:
                    continue  # E108 says so
                address = contact.channels.webhook
                if address is None:
                    yield (
                        where,
                        f"contact point '{response.notify}' has no webhook address: give it"
                        " 'channels: {webhook: https://...}' in the matrix file, or notify it"
                        " on another channel",
                    )
                elif not _HTTP_URL.match(address):
                    yield (
                        where,
                        f"the webhook address of contact point '{response.notify}' is"
                        f" {address!r}, not an http:// or https:// URL",
                    )


@flow_rule("W134", "when-skipped-never-applies", "'when_skipped' on a level that is never skipped")
def when_skipped_never_applies(ctx: FlowContext) -> Iterator[Finding]:
    # A ticket skips a level only when nobody is on duty there and its contact point says
    # so (shifts, off_duty: skip), to a next level: elsewhere the key says nothing.
    if ctx.matrix is None:
        return
    for unit in ctx.index.units:
        contact = ctx.matrix.contacts.get(unit.level.contact)
        if contact is None:
            continue  # E108 says so
        if not contact.shifts:
            why = f"contact point '{unit.level.contact}' has no shifts (it is always on duty)"
        elif contact.off_duty != "skip":
            why = f"contact point '{unit.level.contact}' holds tickets for the next shift"
            why += " (off_duty: hold)"
        elif unit.next is None:
            why = "no level follows it (a ticket waits there for the next shift)"
        else:
            continue
        for step in unit.steps:
            for r, response in enumerate(step.step.responses):
                if not isinstance(response, str) and response.when_skipped is not None:
                    yield (
                        (*step.path, "responses", r, "when_skipped"),
                        f"'when_skipped' has no effect here: this level is never skipped, as"
                        f" {why}; remove it, or give the contact point shifts and"
                        " 'off_duty: skip'",
                    )


@flow_rule("E109", "unknown-calendar", "a calendar is named that the matrix does not define")
def unknown_calendar(ctx: FlowContext) -> Iterator[Finding]:
    if ctx.matrix is None:
        return
    calendars = ctx.matrix.calendars
    named: list[tuple[YamlPath, str | None]] = [(("calendar",), ctx.flow.calendar)]
    named += [((*u.path, "window", "calendar"), u.level.window.calendar) for u in ctx.index.units]
    for path, name in named:
        if name is not None and name not in calendars:
            yield path, f"unknown calendar '{name}'{did_you_mean(name, calendars)}"


@flow_rule("E117", "business-time-without-calendar", "a business-time window with no calendar")
def business_without_calendar(ctx: FlowContext) -> Iterator[Finding]:
    if ctx.matrix is None:
        return  # the matrix's calendar may be the one that applies
    for unit in ctx.index.units:
        if unit.level.window.business and ctx.calendar_of(unit) is None:
            yield (
                (*unit.path, "window"),
                (
                    "this window counts business time but no calendar applies: set 'calendar'"
                    " on the window, the flow, or the matrix"
                ),
            )


@flow_rule("E111", "unknown-entry-level", "a priority enters at, or overrides, a missing level")
def unknown_entry_level(ctx: FlowContext) -> Iterator[Finding]:
    numbers = [u.level.level for u in ctx.index.ladder]
    where = f"(levels here: {', '.join(map(str, numbers))})"
    for name, override in ctx.flow.priorities.items():
        if override.entry is not None and ctx.index.entry_step(override.entry) is None:
            yield ("priorities", name, "entry"), f"level {override.entry} does not exist {where}"
        for number in override.windows:
            if ctx.index.entry_step(number) is None:
                yield (
                    ("priorities", name, "windows", number),
                    (f"level {number} does not exist {where}"),
                )
    if ctx.matrix is None:
        return
    for name, priority in ctx.matrix.priorities.items():
        own = ctx.flow.priorities.get(name)
        if own is not None and own.entry is not None:
            continue
        if priority.entry is not None and ctx.index.entry_step(priority.entry) is None:
            yield (
                ("levels",),
                (
                    f"priority '{name}' enters at level {priority.entry} (from the matrix), which"
                    f" this flow does not have {where}: add 'priorities: {{{name}: {{entry: N}}}}'"
                ),
            )


@flow_rule("E112", "unknown-priority", "a flow names a priority the matrix does not define")
def unknown_priority(ctx: FlowContext) -> Iterator[Finding]:
    if ctx.matrix is None:
        return
    known = ctx.matrix.priorities
    for group in ("priorities", "sla"):
        for name in getattr(ctx.flow, group):
            if name not in known:
                yield (
                    (group, name),
                    (
                        f"unknown priority '{name}'{did_you_mean(name, known)}"
                        f" (priorities: {', '.join(known) or 'none defined'})"
                    ),
                )


@flow_rule("E113", "unknown-issue-type", "a flow names an issue type the matrix does not define")
def unknown_issue_type(ctx: FlowContext) -> Iterator[Finding]:
    if ctx.matrix is None:
        return
    name = ctx.flow.issue_type
    if name not in ctx.matrix.issue_types:
        yield (
            ("issue_type",),
            (f"unknown issue type '{name}'{did_you_mean(name, ctx.matrix.issue_types)}"),
        )


@flow_rule("E130", "unknown-placeholder", "a message uses a $name that is not a placeholder")
def unknown_placeholder(ctx: FlowContext) -> Iterator[Finding]:
    known = ", ".join(f"${name}" for name in PLACEHOLDERS)
    for unit in ctx.index.units:
        for step in unit.steps:
            for r, response in enumerate(step.step.responses):
                if not isinstance(response, NotifyAction):
                    continue
                seen: set[str] = set()
                for match in string.Template.pattern.finditer(response.message):
                    name = match["named"] or match["braced"]
                    if name is None or name in PLACEHOLDERS or name in seen:
                        continue
                    seen.add(name)
                    close = did_you_mean(name, PLACEHOLDERS).replace("mean '", "mean '$")
                    yield (
                        (*step.path, "responses", r, "message"),
                        (
                            f"'${name}' is not a placeholder and would be sent as written"
                            f"{close} (placeholders: {known}; $$ writes a dollar sign)"
                        ),
                        match.group(),
                    )


@flow_rule("E135", "language-without-catalogue", "a flow's language escflow has no words for")
def language_without_catalogue(ctx: FlowContext) -> Iterator[Finding]:
    tag = ctx.flow.language
    if catalogued(tag) is not None:
        return
    name = language_name(tag)
    said = f"'{tag}' ({name})" if name else f"'{tag}'"
    close = meant(tag)
    hint = f"; did you mean '{close}'?" if close else "."
    yield (
        ("language",),
        (
            f"language {said} has no message catalogue, so its customers' notices, durations"
            f" and the engine's reasons could not be written in it{hint} The languages escflow"
            f" writes are {', '.join(LANGUAGES)}: set 'language:' to one of them (a regional"
            " tag such as 'fr-CA' takes its language's words)"
        ),
    )


@flow_rule("E132", "empty-target", "an empty 'to:' or 'escalates_to:'")
def empty_target(ctx: FlowContext) -> Iterator[Finding]:
    written = ctx.loaded.source.has
    for unit in ctx.index.units:
        if unit.level.escalates_to is None and written((*unit.path, "escalates_to")):
            yield (
                (*unit.path, "escalates_to"),
                (
                    "'escalates_to:' is empty: name the level or team the timer sends tickets"
                    " to (e.g. 'level-3'), or remove the key"
                    + (" to take the next level" if not unit.team else "")
                ),
            )
    for trigger in ctx.index.triggers:
        if trigger.trigger.to is None and written((*trigger.path, "to")):
            yield (
                (*trigger.path, "to"),
                (
                    "'to:' is empty: name where the trigger leads (a level, team or step id, or"
                    " 'resolved'), or remove 'to:' if it goes to the next level"
                ),
            )


# --- ids and order --------------------------------------------------------------------


@flow_rule(
    "E102", "duplicate-id", "two levels, teams or steps (or two triggers of a step) share an id"
)
def duplicate_id(ctx: FlowContext) -> Iterator[Finding]:
    seen: dict[str, YamlPath] = {}
    for unit in ctx.index.units:
        if unit.team and unit.level.id is None:
            yield (*unit.path, "level"), "a team needs an 'id' (triggers name it in 'to')"
        for key, path in [(unit.id, unit.path)] + [
            (s.id, s.path) for s in unit.steps if s.path != unit.path
        ]:
            if key == RESOLVED:
                yield path, "'resolved' is reserved for the end of a flow; choose another id"
            elif key in seen:
                first = ctx.loaded.source.locate(seen[key])[0]
                yield path, f"the id '{key}' is used twice (first at line {first})"
            else:
                seen[key] = path
    for unit in ctx.index.units:
        for step in unit.steps:
            names: dict[str, YamlPath] = {}
            for trigger in step.triggers:
                if trigger.implicit and trigger.id in names:
                    yield (
                        (*names[trigger.id], "id"),
                        f"'{trigger.id}' names the automatic trigger this level's window adds;"
                        " rename this trigger, or make it 'automatic: true'",
                    )
                elif trigger.id in names:
                    yield (
                        (*trigger.path, "id"),
                        f"step '{step.id}' has two triggers named '{trigger.id}'",
                    )
                names.setdefault(trigger.id, trigger.path)


@flow_rule("E115", "level-order", "ladder levels must be numbered in increasing order")
def level_order(ctx: FlowContext) -> Iterator[Finding]:
    ladder = ctx.index.ladder
    for before, after in itertools.pairwise(ladder):
        if after.level.level <= before.level.level:
            yield (
                (*after.path, "level"),
                (
                    f"level {after.level.level} comes after level {before.level.level}; number the"
                    " ladder in increasing order (functional teams go under 'teams')"
                ),
            )


# --- graph ------------------------------------------------------------------------------


@flow_rule("E103", "unreachable-step", "no trigger or entry leads to a step")
def unreachable_step(ctx: FlowContext) -> Iterator[Finding]:
    if ctx.matrix is None:
        return  # the matrix's priorities say where tickets enter
    entries = [s.id for s in ctx.entries().values() if s is not None]
    for step_id in sorted(ctx.graph.unreachable(entries), key=_order(ctx)):
        ref = ctx.index.step_by_id[step_id]
        yield (
            ref.path,
            (
                f"no ticket can reach step '{step_id}': no trigger leads to it and no priority"
                " enters there"
            ),
        )


@flow_rule("E104", "no-path-to-resolution", "a step from which a ticket can never be resolved")
def no_path_to_resolution(ctx: FlowContext) -> Iterator[Finding]:
    for step_id in sorted(ctx.graph.stranded(), key=_order(ctx)):
        ref = ctx.index.step_by_id[step_id]
        cycle = ctx.graph.cycle_through(step_id)
        trap = f" (it cycles {' -> '.join([*cycle, cycle[0]])} with no exit)" if cycle else ""
        yield (
            ref.path,
            (
                f"a ticket in step '{step_id}' can never be resolved{trap}: add a trigger that"
                " leads on, eventually 'to: resolved'"
            ),
        )


@flow_rule("E105", "level-without-exit", "a level with neither a trigger nor a timer")
def level_without_exit(ctx: FlowContext) -> Iterator[Finding]:
    for unit in ctx.index.units:
        if not any(step.triggers for step in unit.steps):
            yield (
                unit.path,
                (
                    f"level '{unit.id}' has no trigger and no timer, so tickets stay there for"
                    " ever: add a trigger (e.g. 'to: resolved') or a window with a maximum"
                ),
            )


@flow_rule("E116", "bad-automatic-trigger", "an automatic trigger that can never fire, or two")
def bad_automatic(ctx: FlowContext) -> Iterator[Finding]:
    for unit in ctx.index.units:
        for step in unit.steps:
            automatic = [t for t in step.triggers if t.trigger.automatic and not t.implicit]
            for extra in automatic[1:]:
                yield (
                    (*extra.path, "automatic"),
                    (
                        f"step '{step.id}' already has the automatic trigger '{automatic[0].id}';"
                        " a window ends once, so keep one"
                    ),
                )
            if automatic and unit.level.window.max is None:
                yield (
                    (*automatic[0].path, "automatic"),
                    ("this automatic trigger never fires: the level's window has no maximum"),
                )


@flow_rule(
    "E131", "team-timer-goes-nowhere", "a team whose window ends but whose timer leads nowhere"
)
def team_timer_goes_nowhere(ctx: FlowContext) -> Iterator[Finding]:
    for unit in ctx.index.units:
        maximum = unit.level.window.max
        if not unit.team or maximum is None or unit.level.escalates_to is not None:
            continue
        silent = [s.id for s in unit.steps if not any(t.trigger.automatic for t in s.triggers)]
        if silent:
            steps = "" if silent == [unit.id] else f" (steps {', '.join(silent)})"
            yield (
                (*unit.path, "window", "max"),
                (
                    f"team '{unit.id}' has a window that ends at {maximum}, but nothing says"
                    f" where its timer sends tickets{steps}: the window would end and the ticket"
                    " stay; give the team 'escalates_to: <level or team>', an automatic"
                    " trigger, or the window 'until resolution'"
                ),
            )


@flow_rule("E133", "timer-cycle", "timers that send a ticket round a loop with nobody acting")
def timer_cycle(ctx: FlowContext) -> Iterator[Finding]:
    steps = [step for unit in ctx.index.units for step in unit.steps]
    if any(ctx.index.step_by_id[step.id] is not step for step in steps):
        return  # two steps share an id (E102): which one a timer enters is not known
    moves: dict[tuple[str, str], YamlPath] = {}
    entering: set[tuple[str, str]] = set()  # the moves into another level
    restarts: set[tuple[str, str]] = set()
    contacts = ctx.matrix.contacts if ctx.matrix is not None else {}
    for unit in ctx.index.units:
        for step in unit.steps:
            timer = next((t for t in step.triggers if t.trigger.automatic), None)
            if unit.level.window.max is None:
                continue
            if unit.level.repeat:
                # The window restarts at the level's entry, a bounded number of times: the
                # count starts again only when a move enters the level from another.
                restarts.add((step.id, unit.entry.id))
            if timer is None or timer.target in (None, RESOLVED):
                continue
            assert timer.target is not None
            if not timer.implicit:
                where = timer.path
            elif unit.level.escalates_to is not None:
                where = (*unit.path, "escalates_to")
            else:
                where = (*unit.path, "window")
            moves.setdefault((step.id, timer.target), where)
            if ctx.index.step_by_id[timer.target].unit is not unit:
                entering.add((step.id, timer.target))
        contact = contacts.get(unit.level.contact)
        following = ctx.index.unit_by_id.get(unit.next or "")
        if contact and contact.shifts and contact.off_duty == "skip" and following:
            # Nobody on duty: the ticket moves on by itself, as a timer moves it.
            moves.setdefault((unit.entry.id, following.entry.id), (*unit.path, "contact"))
            entering.add((unit.entry.id, following.entry.id))
    order = _order(ctx)
    for cycle in timer_cycles(moves, entering, restarts):
        back = min(range(len(cycle)), key=lambda i: order(cycle[i]))
        cycle = cycle[back:] + cycle[:back]
        round_trip = " -> ".join([*cycle, cycle[0]])
        # Located at the move that closes the loop: the timer that sends the ticket back.
        closing = [(a, b) for a, b in itertools.pairwise([*cycle, cycle[0]]) if (a, b) in moves]
        yield (
            moves[closing[-1]],
            (
                f"the timers send a ticket round {round_trip} for ever when nobody acts, each"
                " window's end moving it on, so its history grows without bound: let one of"
                " these timers lead out of the loop (escalates_to a later level, an automatic"
                " trigger to 'resolved'), or restart a window a bounded number of times with"
                " 'repeat: N'"
            ),
        )


# --- windows ----------------------------------------------------------------------------


def _minutes(ctx: FlowContext, duration: Duration, calendar: str | None) -> int | None:
    """Nominal minutes of ``duration``; None for business days of an unknown length."""
    day = ctx.day_minutes(calendar)
    if day is None:
        return None if duration.business and duration.unit == "days" else duration.minutes
    return duration.nominal_minutes(day)


def _nominal(ctx: FlowContext, unit: UnitRef, window: Window, end: str) -> int | None:
    duration = getattr(window, end)
    if duration is None:
        return None
    return _minutes(ctx, duration, ctx.calendar_of(unit))


@flow_rule("E106", "window-min-over-max", "a window whose minimum is longer than its maximum")
def window_min_over_max(ctx: FlowContext) -> Iterator[Finding]:
    windows = [((*u.path, "window"), u, u.level.window) for u in ctx.index.units]
    for name, override in ctx.flow.priorities.items():
        for number, window in override.windows.items():
            entry = ctx.index.entry_step(number)
            if entry is not None:
                windows.append((("priorities", name, "windows", number), entry.unit, window))
    for path, unit, window in windows:
        low, high = _nominal(ctx, unit, window, "min"), _nominal(ctx, unit, window, "max")
        if low is not None and high is not None and low > high:
            yield (
                (*path, "max"),
                (
                    f"the window's minimum ({window.min}) is longer than its maximum"
                    f" ({window.max}): swap them"
                ),
            )


@flow_rule("W107", "window-shrinks", "a higher level gets less time than the one below it")
def window_shrinks(ctx: FlowContext) -> Iterator[Finding]:
    timed = [(u, _nominal(ctx, u, u.level.window, "max")) for u in ctx.index.ladder]
    for (low, low_max), (high, high_max) in itertools.pairwise(timed):
        if low_max is not None and high_max is not None and high_max < low_max:
            yield (
                (*high.path, "window", "max"),
                (
                    f"level {high.level.level} escalates after {high.level.window.max}, sooner than"
                    f" level {low.level.level} ({low.level.window.max}); windows usually grow with"
                    " the hierarchy"
                ),
            )


@flow_rule(
    "W125", "sla-response-after-resolution", "an SLA whose first response comes after resolution"
)
def sla_order(ctx: FlowContext) -> Iterator[Finding]:
    calendar = ctx.flow.calendar or (ctx.matrix.calendar if ctx.matrix else None)
    for name, target in ctx.flow.sla.items():
        first = _minutes(ctx, target.first_response, calendar)
        resolution = _minutes(ctx, target.resolution, calendar)
        if first is not None and resolution is not None and first > resolution:
            yield (
                ("sla", name, "first_response"),
                (
                    f"the first response target ({target.first_response}) is later than the"
                    f" resolution target ({target.resolution})"
                ),
            )


def _order(ctx: FlowContext) -> Callable[[str], int]:
    order = {step_id: i for i, step_id in enumerate(ctx.index.step_by_id)}
    return lambda step_id: order.get(step_id, len(order))


# --- matrix-wide ------------------------------------------------------------------------


@matrix_rule("W110", "unused-contact", "a contact point no flow uses")
def unused_contact(ctx: MatrixContext) -> Iterator[Finding]:
    if not ctx.complete:
        return
    used: set[str] = set()
    for flow in ctx.flows:
        for unit in flow.index.units:
            used.add(unit.level.contact)
            for step in unit.steps:
                used.update(r.notify for r in step.step.responses if isinstance(r, NotifyAction))
    for name in ctx.matrix.contacts:
        if name not in used:
            yield ("contacts", name), f"no flow uses the contact point '{name}'"


@matrix_rule("E109", "unknown-calendar", "a calendar is named that the matrix does not define")
def matrix_unknown_calendar(ctx: MatrixContext) -> Iterator[Finding]:
    calendars = ctx.matrix.calendars
    named: list[tuple[YamlPath, str | None]] = [(("calendar",), ctx.matrix.calendar)]
    named += [(("contacts", n, "calendar"), c.calendar) for n, c in ctx.matrix.contacts.items()]
    for path, name in named:
        if name is not None and name not in calendars:
            yield path, f"unknown calendar '{name}'{did_you_mean(name, calendars)}"


@matrix_rule("E112", "unknown-priority", "the default priority is not defined")
def matrix_unknown_priority(ctx: MatrixContext) -> Iterator[Finding]:
    name = ctx.matrix.default_priority
    if name is not None and name not in ctx.matrix.priorities:
        yield (
            ("default_priority",),
            (f"unknown priority '{name}'{did_you_mean(name, ctx.matrix.priorities)}"),
        )


@matrix_rule("E118", "bad-shift", "a duty shift with a bad cron, unknown members or no calendar")
def bad_shift(ctx: MatrixContext) -> Iterator[Finding]:
    for name, contact in ctx.matrix.contacts.items():
        members = contact.members if contact.kind == "team" else [name]
        if contact.shifts and contact.kind == "team" and not contact.members:
            yield ("contacts", name, "members"), "a team with shifts needs 'members'"
        if contact.shifts and (contact.calendar or ctx.matrix.calendar) is None:
            yield (
                ("contacts", name, "shifts"),
                ("shifts need a time zone: give the contact point (or the matrix) a 'calendar'"),
            )
        for s, shift in enumerate(contact.shifts):
            path: YamlPath = ("contacts", name, "shifts", s)
            problem = cron_problem(shift.starts)
            if problem is not None:
                yield (*path, "starts"), f"'{shift.starts}' is not a cron expression: {problem}"
            for m, member in enumerate(shift.members or []):
                if member not in members:
                    yield (
                        (*path, "members", m),
                        (f"'{member}' is not a member of '{name}'{did_you_mean(member, members)}"),
                    )


@matrix_rule("E119", "bad-holidays", "a calendar's holiday country or subdivision is unknown")
def bad_holidays(ctx: MatrixContext) -> Iterator[Finding]:
    for name, calendar in ctx.matrix.calendars.items():
        if calendar.holidays is not None:
            problem = calendar_problem(calendar.holidays.country, calendar.holidays.subdivision)
            if problem is not None:
                yield ("calendars", name, "holidays"), problem


@matrix_rule("W120", "issue-type-without-flows", "an issue type no flow belongs to")
def issue_type_without_flows(ctx: MatrixContext) -> Iterator[Finding]:
    if not ctx.complete:
        return
    used = {flow.flow.issue_type for flow in ctx.flows}
    for name in ctx.matrix.issue_types:
        if name not in used:
            yield ("issue_types", name), f"no flow has issue_type '{name}'"


@matrix_rule("W126", "duty-gap", "shifts leave nobody on duty in working hours a level counts")
def duty_gap_in_working_hours(ctx: MatrixContext) -> Iterator[Finding]:
    # A contact point that skips when nobody is on duty says what its gaps do; one that
    # holds (the default) would keep tickets waiting while the calendar counts their time.
    matrix = ctx.matrix
    users: dict[tuple[str, str], str] = {}
    for flow in ctx.flows:
        for unit in flow.index.units:
            name, calendar = unit.level.contact, flow.calendar_of(unit)
            contact = matrix.contacts.get(name)
            if (
                contact is not None
                and contact.shifts
                and contact.off_duty == "hold"
                and calendar in matrix.calendars
                and (contact.calendar or matrix.calendar) in matrix.calendars
            ):
                users.setdefault((name, calendar), f"level '{unit.id}' of flow '{flow.flow.id}'")
    for (name, calendar), user in users.items():
        gap = duty_gap(matrix.contacts[name], matrix.calendars, matrix.calendar, calendar)
        if gap is not None:
            zone = ZoneInfo(matrix.calendars[calendar].timezone)
            yield (
                ("contacts", name, "shifts"),
                (
                    f"nobody is on duty {_stretch(*gap, zone)} (first on"
                    f" {gap[0].astimezone(zone):%Y-%m-%d}), in the working hours of calendar"
                    f" '{calendar}' that {user} counts in: tickets wait there for the next"
                    " shift; let each shift last until the next one starts, or add a shift"
                ),
            )


def _stretch(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """``sun 07:00-08:00 Europe/Paris``: a stretch of time in local weekday and clock times."""
    low, high = start.astimezone(zone), end.astimezone(zone)

    def clock(moment: datetime) -> str:
        return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"

    def day(moment: datetime) -> str:
        return f"{moment:%a}".lower()

    if high.date() == low.date():
        return f"{day(low)} {clock(low)}-{clock(high)} {zone.key}"
    if high.date() == low.date() + timedelta(days=1) and high.time() == time(0):
        return f"{day(low)} {clock(low)}-24:00 {zone.key}"
    return f"{day(low)} {clock(low)} - {day(high)} {clock(high)} {zone.key}"
