"""A sheet exported from the seed flows, then edited the way people edit spreadsheets.

Each edit is one a tester made: the import either reads it as meant or reports one
problem at the edited cell, and writes nothing; the export refuses what a cell cannot
hold instead of cutting it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest

from escflow import load_matrix
from escflow.cli import main
from escflow.errors import SheetError
from escflow.io import export_matrix, import_sheet
from escflow.io._sheet_lines import RESPONSE, SHIFT, TRIGGER, WINDOW, parse_item
from escflow.problems import Problem
from tests.conftest import FLOWS

Edit = Callable[[Any], None]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("base") / "base.xlsx"
    path.write_bytes(export_matrix(load_matrix(FLOWS), "xlsx"))
    return path


def edited(base: Path, folder: Path, edit: Edit) -> Path:
    book = openpyxl.load_workbook(base)
    edit(book)
    path = folder / "edited.xlsx"
    book.save(path)
    return path


def problems_of(sheet: Path, folder: Path) -> list[Problem]:
    out = folder / "out"
    with pytest.raises(SheetError) as info:
        import_sheet(sheet, out)
    assert not out.exists()
    return [p for p in info.value.problems if p.severity == "error"]


def cell(**cells: str) -> Edit:
    """An edit setting cells, e.g. ``cell(Levels_F2="...")``; ``_`` stands for a space."""

    def edit(book: Any) -> None:
        for where, value in cells.items():
            sheet, _, ref = where.rpartition("_")
            book[sheet.replace("_", " ")][ref] = value

    return edit


# --- 1. a cell longer than an .xlsx cell holds ------------------------------------------


def _long_responses(tmp_path: Path, length: int) -> Path:
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS, flows)
    path = flows / "account-access.yaml"
    text = path.read_text(encoding="utf-8")
    responses = "".join(f"      - Response {i:02d} {'x' * length}\n" for i in range(20))
    old = (
        "      - Verify the caller's identity with the security questions\n"
        "      - Send a password reset or unlock the account\n"
    )
    assert old in text
    path.write_text(text.replace(old, responses, 1), encoding="utf-8")
    return flows


def test_export_refuses_a_cell_excel_would_cut_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flows = _long_responses(tmp_path, 1975)  # 20 lines of ~1,990 characters
    sheet = tmp_path / "matrix.xlsx"
    assert main(["export", str(flows), "-o", str(sheet)]) != 0
    err = capsys.readouterr().err
    assert "Levels!E2 (Responses of 'Account management and access', Level 1)" in err
    assert "32,767" in err
    assert "shorten" in err
    assert not sheet.exists()


def test_a_cell_just_under_the_limit_exports_whole(tmp_path: Path) -> None:
    flows = _long_responses(tmp_path, 1600)  # 20 lines, about 32,400 characters
    sheet = tmp_path / "matrix.xlsx"
    sheet.write_bytes(export_matrix(load_matrix(flows), "xlsx"))
    import_sheet(sheet, tmp_path / "out")
    level = load_matrix(tmp_path / "out").flow("account-access").spec.levels[0]
    assert level.responses == load_matrix(flows).flow("account-access").spec.levels[0].responses


# --- 2. misspelt options in brackets -----------------------------------------------------

MISSPELT = {
    "notfy": ("Levels_E2", "Tell the manager $ticket [notfy: support-manager; channel: email]"),
    "chanel": ("Levels_E2", "Tell the manager $ticket [notify: support-manager; chanel: email]"),
    "webhok": ("Levels_E2", "Post it [webhok: https://status.example.com/api]"),
    "too": ("Levels_F2", "Access restored [access-restored; too: resolved]"),
    "automatc": ("Levels_F2", "Timer ran out [timer; automatc]"),
}
MEANT = {"notfy": "notify", "chanel": "channel", "webhok": "webhook", "too": "to"}


@pytest.mark.parametrize("typo", sorted(MISSPELT))
def test_a_misspelt_option_is_an_error_at_the_cell(typo: str, base: Path, tmp_path: Path) -> None:
    where, text = MISSPELT[typo]
    found = problems_of(edited(base, tmp_path, cell(**{where: text})), tmp_path)
    assert [(p.code, p.path) for p in found] == [("X003", (where.replace("_", "!"),))]
    meant = MEANT.get(typo, "automatic")
    assert f"unknown option '{typo}'; did you mean '{meant}'?" in found[0].message


def test_a_skipped_option_other_than_run_or_drop_is_an_error_at_the_cell(
    base: Path, tmp_path: Path
) -> None:
    text = "Post it [webhook: https://status.example.com/api; skipped: sometimes]"
    found = problems_of(edited(base, tmp_path, cell(Levels_E2=text)), tmp_path)
    assert [(p.code, p.path) for p in found] == [("X003", ("Levels!E2",))]
    assert "write 'skipped: run' or 'skipped: drop'" in found[0].message


def test_text_in_brackets_that_is_not_options_stays_text(base: Path, tmp_path: Path) -> None:
    lines = [
        "Read the FAQ [see note: page 3]",
        "Bring the customer's ID [note: passport or card]",
        "Check the status page [https://status.example.com]",
    ]
    quoted = '"Access restored [access-restored; too: resolved]"'
    sheet = edited(base, tmp_path, cell(Levels_E2="\n".join(lines), Levels_F2=quoted))
    import_sheet(sheet, tmp_path / "out")
    level = load_matrix(tmp_path / "out").flow("account-access").spec.levels[0]
    assert level.responses == lines
    assert [t.label for t in level.triggers or []] == [quoted.strip('"')]


@pytest.mark.parametrize(
    ("line", "grammar", "problem"),
    [
        ("Tell [label: Tell; channel: email]", RESPONSE, "exactly one of"),
        ("Tell [notify: a; webhook: b]", RESPONSE, "exactly one of"),
        ("15-30 minutes [calendr: office]", WINDOW, "did you mean 'calendar'?"),
        ("0 8 * * mon-fri [last: 9 hours]", SHIFT, "did you mean 'lasts'?"),
        ("Solved [solved; reasn: fixed]", TRIGGER, "did you mean 'reason'?"),
    ],
)
def test_option_blocks_with_a_wrong_name_are_problems(
    line: str, grammar: Any, problem: str
) -> None:
    item = parse_item(line, grammar)
    assert item.options == ()
    assert item.problem is not None
    assert problem in item.problem


# --- 3. a duplicate category id ----------------------------------------------------------


def test_a_duplicate_category_id_is_an_error(base: Path, tmp_path: Path) -> None:
    def same_id(book: Any) -> None:
        book["Categories"]["B3"] = book["Categories"]["B2"].value

    found = problems_of(edited(base, tmp_path, same_id), tmp_path)
    assert [(p.code, p.path) for p in found] == [("X002", ("Categories!B3",))]
    assert "'account-access' is already the id of" in found[0].message
    assert "Categories!B2" in found[0].message


# --- 4. a cover sheet in front of the matrix ---------------------------------------------


def test_a_cover_sheet_in_front_of_the_matrix_is_passed_over(base: Path, tmp_path: Path) -> None:
    def cover(book: Any) -> None:
        sheet = book.create_sheet("Cover", 0)
        sheet["A1"] = "Customer support escalation matrix"
        sheet["A2"] = "Owner: operations"

    result = import_sheet(edited(base, tmp_path, cover), tmp_path / "out")
    assert sorted(load_matrix(tmp_path / "out").flows) == sorted(load_matrix(FLOWS).flows)
    assert [(p.code, p.path) for p in result.warnings] == [("W005", ("Cover",))]
    assert "read from 'Matrix'" in result.warnings[0].message


# --- 5. and 6. one bad value: one problem, at its cell ---------------------------------

ONE_BAD_VALUE = {
    "Contacts_C2": ("robot", "S003"),
    "Contacts_J2": ("maybe", "S003"),
    "Calendars_B2": ("Europe/Pariss", "S004"),
    "Calendars_C2": ("mon-fri: 9h-17h", "X003"),
    "Calendars_E2": ("XX", "E119"),
    "Calendars_F2": ("24/12/2026", "S003"),
    "Priorities_C2": ("Level 99", "E111"),
}


@pytest.mark.parametrize("where", sorted(ONE_BAD_VALUE))
def test_one_bad_value_gives_one_problem_at_its_cell(
    where: str, base: Path, tmp_path: Path
) -> None:
    value, code = ONE_BAD_VALUE[where]
    found = problems_of(edited(base, tmp_path, cell(**{where: value})), tmp_path)
    assert [(p.code, p.path) for p in found] == [(code, (where.replace("_", "!"),))]


# --- 7. a blank row between categories -------------------------------------------------


def test_a_blank_row_between_categories_is_passed_over(base: Path, tmp_path: Path) -> None:
    def blank_row(book: Any) -> None:
        book["Matrix"].insert_rows(7)

    import_sheet(edited(base, tmp_path, blank_row), tmp_path / "out")
    again = load_matrix(tmp_path / "out")
    original = load_matrix(FLOWS)
    assert {k: f.digest for k, f in again.flows.items()} == {
        k: f.digest for k, f in original.flows.items()
    }
