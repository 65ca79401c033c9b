"""A definition using every key of the format survives export and import, with odd text."""

from __future__ import annotations

from pathlib import Path

import pytest

from escflow import load_matrix
from escflow.errors import ExportError
from escflow.io import export_matrix, import_sheet

MATRIX = """\
escflow: 1
kind: matrix
name: "Every key: a matrix"
description: A description without a final line break, long enough to be folded by the writer.
calendar: paris
issue_types:
  support: {name: Support, description: "Questions; and answers"}
priorities:
  normal: {}
  urgent: {name: Urgent, entry: 2, factor: 0.5}
default_priority: urgent
calendars:
  paris:
    timezone: Europe/Paris
    hours: {mon-fri: "08:00-12:00, 13:00-17:00", sat: "09:00-12:00"}
    holidays: {country: DE, subdivision: "BY"}
    closed: [2026-12-24, 2026-12-31]
    open: [2026-05-01]
    business_day: 7 hours
  night:
    timezone: Asia/Seoul
    hours: {daily: "00:00-24:00"}
contacts:
  desk:
    name: "Front desk [tier 1]"
    kind: team
    channels: {email: desk@example.com, phone: "+33 1 70 00 00 01", chat: "#desk", webhook: "https://x.example/h?a=1;b=2"}
    members: [ana, "bruno, jr", 김민지]
    calendar: night
    shifts:
      - {starts: "0 8 * * mon-fri", lasts: 9 hours, since: 2026-01-05}
      - {starts: "0 20 * * *", lasts: 12 hours, members: [ana], since: "2026-01-05T20:00:00+01:00"}
    off_duty: skip
  lead: {name: Lead, kind: person}
  yes: {name: "yes", kind: person}
"""

FLOW = """\
escflow: 1
kind: flow
id: every-key
name: Every key
issue_type: support
language: fr
calendar: night
description: "  Leading spaces and\\na second line"
sla:
  urgent: {first_response: 15 minutes, resolution: 1 business day}
priorities:
  normal: {factor: 2.0}
  urgent:
    entry: 1
    windows:
      1: {min: 1 business hour, max: 2 business hours, calendar: paris}
levels:
  - level: 0
    id: front
    name: Front desk
    contact: desk
    window: 5-10 minutes
    repeat: 2
    escalates_to: lead-level
    steps:
      - id: greet
        name: Greet
        responses:
          - "Check [this]"
          - "- not a bullet"
          - '"Quoted" text'
          - "yes"
          - "a; b ] c"
          - notify: customer
            message: "We are on it: $ticket"
            channel: email
            label: "Tell the customer; politely"
            when_skipped: run
          - webhook: https://x.example/hook
          - webhook: https://x.example/hook2
            label: Post it
            when_skipped: drop
          - handler: open-case
            with: {n: 2, f: 0.5, b: true, s: "true", e: "", q: "a, b=c"}
        triggers:
          - {id: automatic, label: "Named like a flag", to: lead-level}
          - {id: next, label: "Go on [to: nowhere]", to: ask, reason: "we need; more ] info"}
          - {id: done, label: Done, to: resolved}
      - id: ask
        triggers:
          - {id: timer, label: Waited, automatic: true, to: lead-level}
          - {id: back, label: Back, to: greet}
  - level: 1
    id: lead-level
    contact: lead
    window: 4 business hours
    responses: []
    triggers:
      - {id: specialist, label: Specialist, to: special}
      - {id: done, label: Done, to: resolved}
teams:
  - id: special
    level: 1
    name: Specialists
    contact: yes
    window: {min: 5 minutes}
    steps:
      - id: look
        triggers: [{id: solved, label: Solved, to: resolved}]
"""


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_key_comes_back(fmt: str, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (source / "every-key.yaml").write_text(FLOW, encoding="utf-8")
    original = load_matrix(source)
    sheet = tmp_path / f"sheet.{fmt}"
    sheet.write_bytes(export_matrix(original, fmt))
    import_sheet(sheet, tmp_path / "back")
    back = load_matrix(tmp_path / "back")
    assert back.doc.model_dump() == original.doc.model_dump()
    before, after = original.flow("every-key"), back.flow("every-key")
    # ``responses: []`` and no responses mean the same; the sheet writes neither.
    assert after.spec.levels[1].responses is None
    assert after.spec.model_dump(exclude={"levels": {1: {"responses"}}}) == before.spec.model_dump(
        exclude={"levels": {1: {"responses"}}}
    )


def test_definitions_a_sheet_cannot_tell_apart_stop_the_export(tmp_path: Path) -> None:
    # Sheets find a category by its name, so two flows may not share one.
    (tmp_path / "matrix.yaml").write_text(MATRIX, encoding="utf-8")
    (tmp_path / "every-key.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "twin.yaml").write_text(FLOW.replace("id: every-key", "id: twin"))
    with pytest.raises(ExportError, match="'Every key' is already a category"):
        export_matrix(load_matrix(tmp_path), "csv")
