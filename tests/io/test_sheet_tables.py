"""The table sheets are data: every column's cell grammar has a way in and a way out."""

from __future__ import annotations

from escflow import load_matrix
from escflow.io._sheet_book import Book
from escflow.io._sheet_layout import SETTING_ROWS, TABLES
from escflow.io._sheet_read import Reader
from escflow.io._sheet_write import _BookWriter
from tests.conftest import FLOWS

# Cells the reader reads by hand, beside the matrix sheet: a level's lists (they may
# come from the article's matrix cell instead) and a category's issue type (made up
# when the book has no Issue types sheet).
BY_HAND = {"responses", "triggers", "issue type"}


def test_every_grammar_is_read_and_written() -> None:
    columns = [c for table in TABLES.values() for c in table if c.path] + list(SETTING_ROWS)
    grammars = {c.cell for c in columns}
    readers = Reader(Book("matrix.xlsx"), None).cell_readers
    writers = _BookWriter(load_matrix(FLOWS), "-").cell_writers
    assert grammars - set(writers) == set()
    assert grammars - set(readers) == BY_HAND


def test_each_sheet_names_a_column_once() -> None:
    for sheet, columns in TABLES.items():
        headers = [c.header for c in columns]
        assert len(headers) == len(set(headers)), sheet
