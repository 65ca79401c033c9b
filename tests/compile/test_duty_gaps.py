"""W126: shifts that leave nobody on duty while a level's calendar works, and where."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from escflow.compile import check_paths
from escflow.compile._duty import contact_rotation
from escflow.spec._models import Calendar, Contact
from tests.conftest import Write

MATRIX = """\
escflow: 1
kind: matrix
name: Test matrix
calendar: {calendar}
issue_types: {{support: {{name: Support}}}}
calendars:
  every-day: {{timezone: Europe/Paris, hours: {{daily: "00:00-24:00"}}}}
  office: {{timezone: Europe/Paris, hours: {{mon-fri: "09:00-17:00"}}, holidays: {{country: FR}}}}
contacts:
  desk:
    name: Desk
    kind: team
    members: [ana, ben, cy]
    off_duty: {off_duty}
    shifts:
{shifts}
"""

FLOW = """\
escflow: 1
kind: flow
id: f
name: F
issue_type: support
levels:
  - level: 1
    contact: desk
    window: 15-30 minutes
    triggers:
      - {id: done, label: Done, to: resolved}
"""


def warnings(
    write: Write, shifts: str, calendar: str = "every-day", off_duty: str = "hold"
) -> list[str]:
    write("m.yaml", MATRIX.format(calendar=calendar, shifts=shifts, off_duty=off_duty))
    report = check_paths([write("f.yaml", FLOW).parent])
    assert not report.errors, [p.format() for p in report.errors]
    return [p.message for p in report.problems if p.code == "W126"]


def test_a_round_the_clock_rota_across_both_clock_changes_has_no_gap(write: Write) -> None:
    # 12-hour shifts from 08:00 and 20:00 cover every hour of the year from 2026-01-05,
    # the night the clocks go back (13 elapsed hours) and forward (11) included.
    shifts = '      - {starts: "0 8,20 * * *", lasts: 12 hours, since: 2026-01-05}'
    assert warnings(write, shifts) == []


def test_the_first_gap_is_named_by_weekday_local_times_and_date(write: Write) -> None:
    shifts = '      - {starts: "0 8,20 * * *", lasts: 11 hours, since: 2026-01-05}'
    assert warnings(write, shifts) == [
        "nobody is on duty mon 19:00-20:00 Europe/Paris (first on 2026-01-05), in the"
        " working hours of calendar 'every-day' that level 'level-1' of flow 'f' counts in:"
        " tickets wait there for the next shift; let each shift last until the next one"
        " starts, or add a shift"
    ]


def test_a_gap_over_midnight_names_both_days(write: Write) -> None:
    # Since Tue 2026-01-06: 06:00-22:00 by day, nobody from 22:00 to 06:00 the next day.
    shifts = '      - {starts: "0 6 * * *", lasts: 16 hours, since: 2026-01-06}'
    [message] = warnings(write, shifts)
    assert message.startswith("nobody is on duty tue 22:00 - wed 06:00 Europe/Paris (first on")


def test_office_hours_only_count_on_working_days(write: Write) -> None:
    # Weekdays 09:00-17:00 fit the office calendar; holidays and weekends do not matter.
    shifts = '      - {starts: "0 9 * * mon-fri", lasts: 8 hours, since: 2026-01-05}'
    assert warnings(write, shifts, calendar="office") == []
    late = '      - {starts: "30 9 * * mon-fri", lasts: 8 hours, since: 2026-01-05}'
    # The year looked at starts with the first shift (Mon 09:30): Tuesday's is the first gap.
    [message] = warnings(write, late, calendar="office")
    assert message.startswith(
        "nobody is on duty tue 09:00-09:30 Europe/Paris (first on 2026-01-06)"
    )


def test_a_contact_point_that_skips_is_not_warned(write: Write) -> None:
    shifts = '      - {starts: "0 8 * * *", lasts: 8 hours, since: 2026-01-05}'
    assert warnings(write, shifts, off_duty="skip") == []
    assert len(warnings(write, shifts, off_duty="hold")) == 1


@pytest.mark.parametrize(
    ("at", "member"),
    [
        # Without 'since', turns count from Mon 2024-01-01 00:00 in the rotation's zone:
        # the 09:00 shift that day is ana's, the next day ben's, and 2026-01-01 is 731 days
        # on (2024 has 366), so 731 % 3 = 2 -> cy.
        (datetime(2024, 1, 1, 9, 30), "ana"),
        (datetime(2024, 1, 2, 9, 30), "ben"),
        (datetime(2026, 1, 1, 9, 30), "cy"),
    ],
)
def test_turns_count_from_2024_without_since(at: datetime, member: str) -> None:
    contact = Contact.model_validate(
        {
            "name": "Desk",
            "kind": "team",
            "members": ["ana", "ben", "cy"],
            "calendar": "office",
            "shifts": [{"starts": "0 9 * * *", "lasts": "1 hour"}],
        }
    )
    calendars = {
        "office": Calendar.model_validate(
            {"timezone": "Europe/Paris", "hours": {"daily": "09:00-17:00"}}
        )
    }
    rotation = contact_rotation(contact, calendars, None)
    assert rotation is not None
    assert rotation.on_duty(at.replace(tzinfo=ZoneInfo("Europe/Paris"))) == member
    assert rotation.since == datetime(2024, 1, 1, 8, tzinfo=UTC)  # 09:00 CET


def test_shifts_kept_in_another_zone_leave_the_hour_the_clocks_move(write: Write) -> None:
    # The desk's shifts run 06:00-18:00 UTC: 07:00-19:00 in Paris in winter, 08:00-20:00 in
    # summer. The level counts Paris hours 07:00-19:00, so from Sun 2026-03-29, the day the
    # clocks go forward, nobody is there from 07:00 to 08:00.
    matrix = MATRIX.format(
        calendar="paris-day",
        off_duty="hold",
        shifts='      - {starts: "0 6 * * *", lasts: 12 hours, since: 2026-01-05}',
    ).replace("    off_duty: hold\n", "    off_duty: hold\n    calendar: utc\n")
    matrix = matrix.replace(
        "calendars:\n",
        "calendars:\n"
        '  paris-day: {timezone: Europe/Paris, hours: {daily: "07:00-19:00"}}\n'
        '  utc: {timezone: UTC, hours: {daily: "00:00-24:00"}}\n',
    )
    write("m.yaml", matrix)
    report = check_paths([write("f.yaml", FLOW).parent])
    assert [p.message.split(", in the")[0] for p in report.problems] == [
        "nobody is on duty sun 07:00-08:00 Europe/Paris (first on 2026-03-29)"
    ], [p.format() for p in report.problems]
