"""From a workbook to YAML-shaped documents, remembering the cell each value came from.

The reader checks the layout (sheets, headers, cells it cannot read) and resolves
names (contact points, categories, priorities) itself, with messages that name the
cell. What the format and the flow checks say is left to them: the import validates
the generated YAML and maps each problem back to a cell through :attr:`Draft.origins`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from escflow.io._sheet_book import (
    Sheet,
    cell_text,
    normalize,
    sheet_ref,
)
from escflow.io._sheet_layout import (
    ABSENT,
    CATEGORIES,
    CATEGORY_PRIORITIES,
    LEVELS,
    level_label,
    level_number,
    parse_timeline,
    slug,
    unique,
)
from escflow.io._sheet_read_base import (
    Category,
    Draft,
    LadderColumn,
    Parsed,
    Row,
    Unit,
    is_level_row,
)
from escflow.io._sheet_read_flow import FlowReader
from escflow.spec._load import did_you_mean

__all__ = ["Draft", "Parsed", "Reader"]


class Reader(FlowReader):
    """Reads one workbook into a matrix draft (or None) and one draft per category."""

    # -- the whole book

    def read(self) -> Parsed:
        """Read the book; ``problems`` holds layout errors and warnings."""
        sheet = self.matrix_sheet
        if sheet is None or all(sheet.is_blank(r) for r in range(len(sheet.rows))):
            where = sheet.name if sheet else None
            self.error(
                "X002",
                "the sheet is empty; expected the matrix table: a row of levels ('Level 1',"
                " 'Level 2', ...), a row of contact points, a row of timelines, then one row"
                " per category (see docs/sheets.md)",
                sheet_ref(where) if where else None,
            )
            return Parsed(None, [], self.problems)
        self._check_sheets()
        matrix = self._matrix_doc()
        categories = self._matrix_sheet(sheet)
        self._categories(categories)
        units = self._levels(categories)
        if self.starter_contacts is not None:
            # Made-up contact points come from the contact cells only, all of them before
            # any notify line is read, so that a notify names one of them or is an error.
            self.contacts_source = "in the matrix sheet's row of contact points"
            for category in categories:
                for number in category.cells:
                    column = category.columns[number]
                    if column.contact:
                        self.contact(column.contact, column.contact_ref)
            for unit in units.values():
                given = self._attribute(unit.rows, "Contact point", quiet=True)
                if given:
                    self.contact(given.text("Contact point"), given.ref("Contact point"))
        overrides = self._category_priorities(categories)
        self._check_entries(categories, overrides)
        flows = [self._flow(c, units, overrides) for c in categories]
        if matrix is not None:
            self._finish_starters(matrix)
        self._attach_notes()
        return Parsed(matrix, flows, self.problems)

    # -- the matrix sheet

    def _matrix_sheet(self, sheet: Sheet) -> list[Category]:
        categories: list[Category] = []
        seen: dict[str, str] = {}
        row = 0
        # Titles above the first table (text in the first column only) are not read.
        while row < len(sheet.rows) and not any(
            sheet.text(row, c) for c in range(1, len(sheet.rows[row]))
        ):
            row += 1
        columns: dict[int, LadderColumn] | None = None
        while row < len(sheet.rows):
            if sheet.is_blank(row):
                row += 1
                continue
            # A new table starts with its row of levels (a title right above it is an
            # error that _block_header reports); other rows after a blank row are more
            # categories of the table above: blank rows between them are not read.
            if (
                columns is None
                or is_level_row(sheet, row)
                or (row + 1 < len(sheet.rows) and is_level_row(sheet, row + 1))
            ):
                columns = self._block_header(sheet, row)
                if columns is None:
                    return categories
                row += 3
            while row < len(sheet.rows) and not sheet.is_blank(row):
                if is_level_row(sheet, row):
                    break
                category = self._category(sheet, row, columns)
                if category is not None:
                    first = seen.setdefault(normalize(category.name), category.ref)
                    if first != category.ref:
                        self.error(
                            "X002",
                            f"'{category.name}' is already a category ({first}); give each"
                            " category its own name",
                            category.ref,
                        )
                    else:
                        categories.append(category)
                row += 1
        return categories

    def _block_header(self, sheet: Sheet, row: int) -> dict[int, LadderColumn] | None:
        width = len(sheet.rows[row])
        last = max((c for c in range(1, width) if sheet.text(row, c)), default=0)
        if last == 0:
            self.error(
                "X002",
                "expected the header row of levels: 'Escalation level', 'Level 1', 'Level 2',"
                f" ... (got '{sheet.text(row, 0)}' alone, above a table's row of levels; a"
                " title is read above the first table only: delete this row, or move a"
                " category's row below its table's header rows)",
                sheet.ref(row, 0),
            )
            return None
        numbers: dict[int, int] = {}
        previous: int | None = None
        for c in range(1, last + 1):
            text = sheet.text(row, c)
            number = level_number(text) if text else None
            if number is None:
                expected = level_label(previous + 1 if previous is not None else 1)
                got = f"got '{text}'" if text else "the cell is empty"
                self.error(
                    "X002",
                    f"expected a level header such as '{expected}', {got}; every column right"
                    " of the first is a level",
                    sheet.ref(row, c),
                )
                return None
            if previous is not None and number != previous + 1:
                gap = (
                    f"the '{level_label(previous + 1)}' column is missing"
                    if number > previous + 1
                    else "levels must go up one by one from left to right"
                )
                self.error(
                    "X002",
                    f"'{text}' follows '{level_label(previous)}': {gap} (a category that skips"
                    f" a level writes '—' in that level's cell)",
                    sheet.ref(row, c),
                )
                return None
            numbers[c] = previous = number
        for offset, what in ((1, "contact points"), (2, "timelines")):
            if row + offset >= len(sheet.rows) or sheet.is_blank(row + offset):
                self.error(
                    "X002",
                    f"expected the row of {what} here, below the row of levels",
                    sheet.ref(row + offset, 0),
                )
                return None
        for offset in (1, 2):
            self._beyond(sheet, row + offset, last, row)
        columns: dict[int, LadderColumn] = {}
        for c, number in numbers.items():
            timeline_text = sheet.text(row + 2, c)
            timeline: str | dict[str, Any] | None = None
            if timeline_text:
                try:
                    timeline = parse_timeline(timeline_text)
                except ValueError as exc:
                    self.error("X003", str(exc), sheet.ref(row + 2, c))
            columns[number] = LadderColumn(
                number,
                c,
                sheet.text(row + 1, c),
                sheet.ref(row + 1, c),
                timeline,
                timeline_text,
                sheet.ref(row + 2, c),
            )
        return columns

    def _beyond(self, sheet: Sheet, row: int, last: int, header: int) -> bool:
        extra = [c for c in range(last + 1, len(sheet.rows[row])) if sheet.text(row, c)]
        for c in extra[:1]:
            self.error(
                "X002",
                f"this cell is right of the last level column ({sheet.text(header, last)} in"
                f" {sheet.ref(header, last).split('!')[1]}); add a level header above it or"
                " move its content",
                sheet.ref(row, c),
            )
        return bool(extra)

    def _category(
        self, sheet: Sheet, row: int, columns: dict[int, LadderColumn]
    ) -> Category | None:
        name = sheet.text(row, 0)
        last = max(c.index for c in columns.values())
        header = next(r for r in range(row, -1, -1) if is_level_row(sheet, r))
        self._beyond(sheet, row, last, header)
        if not name:
            self.error(
                "X002",
                "the category's name is empty; write it in the first column",
                sheet.ref(row, 0),
            )
            return None
        cells: dict[int, tuple[str, str]] = {}
        if all(sheet.text(row, c.index).casefold() in ABSENT for c in columns.values()):
            self.error("X002", f"'{name}' skips every level; give it one", sheet.ref(row, 0))
            return None
        for number, column in columns.items():
            text = cell_text(sheet.value(row, column.index)).strip()
            if text.casefold() in ABSENT:
                continue
            if not column.contact and column.contact_ref not in self.unreadable:
                self.error(
                    "X002",
                    f"'{name}' uses {level_label(number)}, whose contact point is empty (write"
                    " it, or '—' in this category's cell if it skips the level)",
                    column.contact_ref,
                )
            empty = column.timeline is None and not column.timeline_text
            if empty and column.timeline_ref not in self.unreadable:
                self.error(
                    "X002",
                    f"'{name}' uses {level_label(number)}, whose timeline is empty; expected"
                    " e.g. '15-30 minutes' or 'Resolution'",
                    column.timeline_ref,
                )
            cells[number] = (text, sheet.ref(row, column.index))
        return Category(name, sheet.ref(row, 0), columns, cells)

    # -- categories

    def _categories(self, categories: list[Category]) -> None:
        rows = self._table(CATEGORIES) or []
        by_name = {normalize(c.name): c for c in categories}
        for row in rows:
            name = row.text("Category")
            category = by_name.get(normalize(name))
            if category is None:
                hint = did_you_mean(name, [c.name for c in categories])
                self.error(
                    "X004",
                    f"'{name}' is not a category of the matrix sheet{hint}",
                    row.ref("Category"),
                )
                continue
            if category.attrs is not None:
                self.error(
                    "X002",
                    f"'{name}' is described twice (first in {category.attrs.ref('Category')})",
                    row.ref("Category"),
                )
                continue
            category.attrs = row
        # Ids given in the Id column come first and must differ; ids made from names
        # then step aside from them (``billing-2``).
        given: dict[str, Row] = {}
        for category in categories:
            attrs = category.attrs
            key = attrs.text("Id") if attrs is not None else ""
            if attrs is None or not key:
                continue
            first = given.setdefault(key, attrs)
            if first is not attrs:
                self.error(
                    "X002",
                    f"'{key}' is already the id of '{first.text('Category')}'"
                    f" ({first.ref('Id')}); give each category its own id (or leave the cell"
                    " empty for an id made from the name)",
                    attrs.ref("Id"),
                )
                continue  # an id of its own below, so that no other row is misread
            category.key = key
        taken = set(given)
        for number, category in enumerate(categories, start=1):
            if not category.key:
                category.key = unique(slug(category.name, f"category-{number}"), taken)

    def category(self, text: str, categories: list[Category]) -> Category | None:
        """The category a cell names, by name or by id."""
        wanted = normalize(text)
        for category in categories:
            if normalize(category.name) == wanted or category.key == text:
                return category
        return None

    def _check_entries(self, categories: list[Category], overrides: dict[str, list[Row]]) -> None:
        """A priority's entry level (Priorities sheet) that categories lack: one problem at
        its cell, rather than the flow check's one per category at the category's row."""
        for key, (number, where) in self.priority_entries.items():
            lacking = [
                category
                for category in categories
                if number not in category.cells
                and not any(
                    self.priorities.find(row.text("Priority")) == key and row.text("Entry level")
                    for row in overrides.get(category.key, [])
                )
            ]
            if not lacking:
                continue
            shown = ", ".join(
                f"'{c.name}' ({', '.join(map(str, sorted(c.cells)))})" for c in lacking[:3]
            )
            more = f" and {len(lacking) - 3} more" if len(lacking) > 3 else ""
            which = "1 category does" if len(lacking) == 1 else f"{len(lacking)} categories do"
            self.error(
                "E111",
                f"priority '{key}' enters at {level_label(number)}, which {which} not have"
                f" (levels of {shown}{more}); choose a level they have, or give them their own"
                f" Entry level for '{key}' in the Category priorities sheet",
                where,
            )

    # -- the levels sheet

    def _levels(self, categories: list[Category]) -> dict[tuple[str, int, str | None], Unit]:
        units: dict[tuple[str, int, str | None], Unit] = {}
        for row, category in self._by_category(LEVELS, categories):
            number = level_number(row.text("Level"))
            if number is None:
                self.error(
                    "X003",
                    f"expected a level such as 'Level 2', got '{row.text('Level')}'",
                    row.ref("Level"),
                )
                continue
            team = row.text("Team") or None
            if team is None and number not in category.cells:
                state = "skips" if number in category.columns else "has no"
                self.error(
                    "X004",
                    f"'{category.name}' {state} {level_label(number)} in the matrix sheet"
                    f" ({category.ref})",
                    row.ref("Level"),
                )
                continue
            key = (category.key, number, team)
            units.setdefault(key, Unit(category, number, team)).rows.append(row)
        return units

    # -- category priorities

    def _category_priorities(self, categories: list[Category]) -> dict[str, list[Row]]:
        found: dict[str, list[Row]] = {}
        for row, category in self._by_category(CATEGORY_PRIORITIES, categories):
            found.setdefault(category.key, []).append(row)
        return found

    def _by_category(
        self, sheet: str, categories: list[Category]
    ) -> Iterator[tuple[Row, Category]]:
        """The rows of ``sheet`` with the category each names; a row naming none is an error."""
        for row in self._table(sheet) or []:
            category = self.category(row.text("Category"), categories)
            if category is not None:
                yield row, category
                continue
            hint = did_you_mean(row.text("Category"), [c.name for c in categories])
            what = (
                f"'{row.text('Category')}' is not a category of the matrix sheet"
                if row.text("Category")
                else "empty category"
            )
            self.error(
                "X004", f"{what}{hint}; write the name as in the first sheet", row.ref("Category")
            )
