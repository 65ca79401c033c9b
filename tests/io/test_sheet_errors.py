"""Bad sheets: every problem names the file, the sheet and the cell; nothing is written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from escflow import DefinitionError
from escflow.errors import SheetError
from escflow.io import import_sheet
from escflow.problems import Problem
from tests.conftest import FLOWS
from tests.io.workbooks import Rows, write_workbook

HEADER: list[object] = ["Escalation level", "Level 1", "Level 2", "Level 3"]
CONTACTS: list[object] = ["Contact point", "Agent", "Team lead", "Manager"]
TIMELINES: list[object] = ["Timeline", "15-30 minutes", "30 minutes-1 hour", "Resolution"]
GOOD: list[list[object]] = [HEADER, CONTACTS, TIMELINES, ["Order status"]]

Make = Callable[[Path], Path]


def xlsx(rows: Rows, merged: dict[str, list[str]] | None = None) -> Make:
    def make(folder: Path) -> Path:
        return write_workbook(folder / "matrix.xlsx", {"Matrix": rows}, merged=merged)

    return make


def raw(name: str, data: bytes) -> Make:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def half_of_a_workbook(folder: Path) -> Path:
    whole = write_workbook(folder / "whole.xlsx", {"Matrix": GOOD}).read_bytes()
    return raw("matrix.xlsx", whole[: len(whole) // 2])(folder)


def empty_workbook(folder: Path) -> Path:
    return write_workbook(folder / "matrix.xlsx", {"Matrix": []})


CASES: dict[str, tuple[Make, str, str | None, str]] = {
    "a missing level column": (
        xlsx([["Escalation level", "Level 1", "Level 3"], *[r[:3] for r in GOOD[1:]]]),
        "X002",
        "Matrix!C1",
        "the 'Level 2' column is missing",
    ),
    "a timeline that does not parse": (
        xlsx([HEADER, CONTACTS, ["Timeline", "15-30 minutes", "soon", "Resolution"], GOOD[3]]),
        "X003",
        "Matrix!C3",
        "expected a timeline such as '15-30 minutes'",
    ),
    "a timeline in a fraction of its unit": (
        # The unit is given once for both ends; the hint must not ask for it again.
        xlsx([HEADER, CONTACTS, ["Timeline", "1.5-2 hours", "2-3 hours", "Resolution"], GOOD[3]]),
        "X003",
        "Matrix!B3",
        "got '1.5-2 hours' ('1.5 hours' is not a whole number; use a smaller unit, e.g."
        " '90 minutes')",
    ),
    "a category with more levels than the header": (
        xlsx([*GOOD[:3], ["Order status", None, None, None, "Response: call"]]),
        "X002",
        "Matrix!E4",
        "right of the last level column (Level 3 in D1)",
    ),
    "merged cells": (
        xlsx(GOOD, merged={"Matrix": ["B4:C4"]}),
        "X002",
        "Matrix!B4:C4",
        "merged cells",
    ),
    "a formula with no saved value": (
        xlsx([HEADER, CONTACTS, ["Timeline", "=B9", "1 hour", "Resolution"], GOOD[3]]),
        "X002",
        "Matrix!B3",
        "a formula with no saved value (=B9)",
    ),
    "an empty sheet": (empty_workbook, "X002", "Matrix", "the sheet is empty"),
    "an empty CSV": (raw("matrix.csv", b""), "X002", None, "the sheet is empty"),
    "a password-protected workbook": (
        # Excel stores an encrypted workbook in an OLE2 container: this is its signature.
        raw("matrix.xlsx", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(1024)),
        "X001",
        None,
        "encrypted with a password",
    ),
    "a truncated workbook": (half_of_a_workbook, "X001", None, "not an .xlsx workbook"),
    "a zip that is not a workbook": (
        raw("matrix.xlsx", bytes.fromhex("504b0506") + bytes(18)),
        "X001",
        None,
        "damaged and cannot be read",
    ),
    "a CSV in Windows-1252": (
        raw(
            "matrix.csv",
            "Escalation level,Level 1\nContact point,Agent\nTimeline,Resolution\n"
            "Réclamation,\n".encode("cp1252"),
        ),
        "X001",
        "Matrix!A4",
        "not UTF-8 text (byte 0xe9",
    ),
    "a CSV in UTF-16": (
        raw("matrix.csv", "Escalation level,Level 1\n".encode("utf-16")),
        "X001",
        None,
        "UTF-16",
    ),
    "an old .xls file name": (raw("matrix.xls", b"x"), "X001", None, "save it as .xlsx"),
    "an unknown contact point": (
        lambda folder: write_workbook(
            folder / "matrix.xlsx",
            {
                "Matrix": [HEADER, ["Contact point", "Agent", "Team leed", "Manager"], *GOOD[2:]],
                "Contacts": [
                    ["Id", "Name"],
                    ["agent", "Agent"],
                    ["lead", "Team lead"],
                    ["manager", "Manager"],
                ],
            },
        ),
        "X004",
        "Matrix!C2",
        "'Team leed' is not a contact point in the Contacts sheet; did you mean 'Team lead'?",
    ),
    "a trigger to an unknown target": (
        xlsx([*GOOD[:3], ["Order status", "Triggers:\nLooked up\nDone [to: resolvd]"]]),
        "E101",
        "Matrix!B4",
        "unknown target 'resolvd'; did you mean 'resolved'?",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_sheets_name_the_cell_and_write_nothing(case: str, tmp_path: Path) -> None:
    make, code, cell, message = CASES[case]
    sheet = make(tmp_path)
    output = tmp_path / "flows"
    with pytest.raises(SheetError) as raised:
        import_sheet(sheet, output)
    problem = _find(raised.value.problems, code)
    assert message in problem.message
    assert problem.path == ((cell,) if cell else ())
    assert problem.file.endswith(sheet.name)
    assert not output.exists()


def _find(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert found, [p.format() for p in problems]
    return found[0]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    sheet = write_workbook(
        tmp_path / "matrix.xlsx",
        {
            "Matrix": [
                HEADER,
                CONTACTS,
                ["Timeline", "soon", "1 hour", "Resolution"],
                ["Order status", None, None, None, "extra"],
            ],
            "Levels": [["Category", "Level"], ["Ordr status", "Level 1"]],
        },
        merged={"Matrix": ["A6:B6"]},
    )
    with pytest.raises(SheetError) as raised:
        import_sheet(sheet, tmp_path / "flows")
    lines = [p.format() for p in raised.value.problems]
    assert lines == [
        f"{sheet}: X002 Matrix!A6:B6: merged cells: unmerge them and give each cell its own value",
        f"{sheet}: X003 Matrix!B3: expected a timeline such as '15-30 minutes', '30 minutes - 1"
        " hour', '1-2 business days' or 'Resolution', got 'soon'",
        f"{sheet}: X002 Matrix!E4: this cell is right of the last level column (Level 3 in D1);"
        " add a level header above it or move its content",
        f"{sheet}: X004 Levels!A2: 'Ordr status' is not a category of the matrix sheet; did you"
        " mean 'Order status'?; write the name as in the first sheet",
    ]
    # A SheetError is a DefinitionError, so callers of the Python API need one except.
    assert isinstance(raised.value, DefinitionError)


def test_a_problem_in_a_list_names_the_line_of_the_cell(tmp_path: Path) -> None:
    sheet = xlsx([*GOOD[:3], ["Order status", "Triggers:\nLooked up\nDone [to: resolvd]"]])
    with pytest.raises(SheetError) as raised:
        import_sheet(sheet(tmp_path), tmp_path / "flows")
    assert _find(raised.value.problems, "E101").message.endswith("(line 3 of the cell)")


def test_a_shared_header_cell_says_which_category(tmp_path: Path) -> None:
    # Both categories read the same timeline cell; each problem says which one it is.
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(
        "Escalation level,Level 1,Level 2\nContact point,Agent,Lead\n"
        "Timeline,30-15 minutes,Resolution\nOrder status,,\nBilling,,\n",
        encoding="utf-8",
    )
    with pytest.raises(SheetError) as raised:
        import_sheet(sheet, tmp_path / "flows")
    found = [p for p in raised.value.problems if p.code == "E106"]
    assert [p.path for p in found] == [("Matrix!B3",), ("Matrix!B3",)]
    assert sorted(p.message.rsplit(" (in ", 1)[1] for p in found) == [
        "category 'Billing', levels[0].window.max)",
        "category 'Order status', levels[0].window.max)",
    ]


def test_an_invalid_sheet_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    sheet = tmp_path / "matrix.csv"
    sheet.write_text(
        "Escalation level,Level 1\nContact point,Call centre representative\nTimeline,Resolution\n"
        "Complaint about product quality or past customer service,\n"
        "\n[Categories]\nCategory,Id,Issue type\n"
        "Complaint about product quality or past customer service,complaint,customer-service\n",
        encoding="utf-8",
    )
    with pytest.raises(SheetError) as raised:
        import_sheet(sheet, folder)
    assert [p.code for p in raised.value.problems] == ["E111", "E111"]  # too few levels
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
