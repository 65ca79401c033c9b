"""The report as data: what ``escflow report`` prints, in every format, and the charts draw.

Durations are seconds of wall-clock time; shares are fractions (0 to 1), None where
nothing was there to count (no division by zero: an empty period has no shares).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or None when ``whole`` is 0."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Dwell:
    """How long the stays at a level that ended lasted: their number, median, 90th
    percentile (nearest rank) and mean, in seconds; None when none ended."""

    ended: int = 0
    median: float | None = None
    p90: float | None = None
    mean: float | None = None


@dataclass(frozen=True)
class LevelStats:
    """One level of one flow: the stays that began in the period and how they ended.

    ``number`` is the level's rung (0 when its flow version is not in the store).
    ``left`` counts the stays by way of leaving: ``resolved``, ``timer``, ``skipped``
    (nobody on duty), ``open`` (still there at the period's end) and ``trigger:ID`` for
    each person's trigger; ``to`` names, for each trigger, the level or team it leads to.
    """

    flow: str
    level: str
    number: int
    name: str
    contact: str
    entered: int
    left: dict[str, int]
    to: dict[str, str]
    warnings: int
    holds: int
    dwell: Dwell

    @property
    def timer_share(self) -> float | None:
        """The share of the stays that ended which the timer ended."""
        ended = self.entered - self.left.get("open", 0)
        return share(self.left.get("timer", 0), ended)


@dataclass(frozen=True)
class SlaStats:
    """One flow and priority: the tickets opened in the period and their targets.

    A first response is judged once it is met (the first acknowledgement in time, or a
    resolution before the target without one) or missed (acknowledged late, or neither by
    the target); a resolution once the ticket is resolved, or open past its target (and
    not waiting on the customer). ``breaches`` names up to a few tickets of each.
    """

    flow: str
    priority: str
    tickets: int
    response_judged: int
    response_met: int
    resolution_judged: int
    resolution_met: int
    mtta: float | None
    mttr: float | None
    first_contact: int
    resolved: int
    reopened: int
    escalations: int
    breaches: dict[str, list[str]] = field(default_factory=dict)

    @property
    def response_attainment(self) -> float | None:
        """The share of judged first responses that met the target."""
        return share(self.response_met, self.response_judged)

    @property
    def resolution_attainment(self) -> float | None:
        """The share of judged resolutions that met the target."""
        return share(self.resolution_met, self.resolution_judged)

    @property
    def first_contact_rate(self) -> float | None:
        """The share of resolved tickets first resolved at the level they entered at."""
        return share(self.first_contact, self.resolved)

    @property
    def reopen_rate(self) -> float | None:
        """The share of resolved tickets that were reopened."""
        return share(self.reopened, self.resolved)

    @property
    def escalations_per_ticket(self) -> float | None:
        """Levels entered after the first, per ticket."""
        return share(self.escalations, self.tickets)


@dataclass(frozen=True)
class Load:
    """Stays that began in the period at one flow's level, by contact point and person."""

    flow: str
    level: str
    contact: str
    person: str | None
    stays: int


@dataclass(frozen=True)
class Week:
    """One week (Monday, UTC) of one flow: tickets opened, and how they fared."""

    week: datetime
    flow: str
    opened: int
    first_contact: int
    resolved: int
    resolution_judged: int
    resolution_met: int
    response_judged: int
    response_met: int
    exits: int
    timer_exits: int


@dataclass(frozen=True)
class Finding:
    """A sentence a rule made, with the rule's name and the tickets behind it."""

    rule: str
    text: str
    tickets: list[str]


@dataclass(frozen=True)
class OpenAt:
    """Tickets open at an instant at one flow's level, and how many of them are paused."""

    flow: str
    level: str
    open: int
    paused: int


@dataclass(frozen=True)
class HistoryReport:
    """Everything ``escflow report`` tells about a period (``since`` None: from the
    first event), for the tickets of ``flow`` and ``priority`` when given."""

    since: datetime | None
    until: datetime
    flow: str | None
    priority: str | None
    levels: list[LevelStats]
    sla: list[SlaStats]
    load: list[Load]
    weeks: list[Week]
    findings: list[Finding]
    open_at_end: list[OpenAt]

    @property
    def tickets(self) -> int:
        """Tickets opened in the period."""
        return sum(s.tickets for s in self.sla)
