"""From checked definitions to a workbook in the sheet layout (docs/sheets.md).

The first sheet is the article's matrix table: one block (levels, contact points,
timelines) per distinct ladder, then a row per category. Everything else a definition
can say goes to the other sheets, one fact in one place, so that importing the book
gives back the same definitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from escflow.compile import CompiledFlow, Matrix
from escflow.io._sheet_book import Book, CellValue, Sheet
from escflow.io._sheet_cells import CELLS, CellWriter, plain_or_quoted
from escflow.io._sheet_layout import (
    ABSENT_MARK,
    CATEGORIES,
    CATEGORY_PRIORITIES,
    COLUMNS,
    HEADER_LABELS,
    KEY,
    LEVELS,
    MATRIX,
    MATRIX_TABLES,
    SETTING_ROWS,
    SETTINGS,
    TABLES,
    Column,
    column,
    level_label,
    timeline_text,
)
from escflow.io._sheet_lines import RESPONSE, TRIGGER, Option, format_args, format_item
from escflow.io._sheet_read_base import Names
from escflow.problems import YamlPath
from escflow.spec._models import (
    HandlerAction,
    Level,
    NotifyAction,
    Response,
    Trigger,
    WebhookAction,
)

Place = tuple[str, int, int]  # sheet name, 0-based row and column
# A document, the path of a table row's entry in it, the columns whose cells stand for
# paths below it, and the key a column's path may hold.
Spot = tuple[str, YamlPath, tuple[Column, ...], str]


@dataclass
class Written:
    """The book, and the cell each part of each document went to (for notes)."""

    book: Book
    places: dict[tuple[str, YamlPath], Place] = field(default_factory=dict)
    blocks: list[list[CompiledFlow]] = field(default_factory=list)

    def place(self, doc: str, path: YamlPath) -> Place | None:
        """The cell of ``path`` or of its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            found = self.places.get((doc, path[:end]))
            if found is not None:
                return found
        return None


def ordered_flows(matrix: Matrix) -> list[CompiledFlow]:
    """Flows by issue type (the matrix's order), then by id."""
    order = list(matrix.doc.issue_types)
    return sorted(
        matrix.flows.values(),
        key=lambda f: (order.index(f.issue_type) if f.issue_type in order else len(order), f.id),
    )


def ladder_blocks(flows: Iterable[CompiledFlow]) -> list[list[CompiledFlow]]:
    """Flows grouped by identical ladders (numbers, contact points, windows)."""
    blocks: dict[Any, list[CompiledFlow]] = {}
    for flow in flows:
        signature = tuple(
            (level.level, level.contact, level.window.model_dump_json())
            for level in flow.spec.levels
        )
        blocks.setdefault(signature, []).append(flow)
    return list(blocks.values())


def write_book(matrix: Matrix, file: str = "-") -> Written:
    """The definitions as a workbook."""
    return _BookWriter(matrix, file).write()


class _BookWriter:
    def __init__(self, matrix: Matrix, file: str) -> None:
        self.matrix = matrix
        self.doc = matrix.doc
        self.out = Written(Book(file))
        self.flows = ordered_flows(matrix)
        self.contacts = Names("contact point")
        self.priorities = Names("priority")
        self.issue_types = Names("issue type")
        for names, entries in (
            (self.contacts, self.doc.contacts),
            (self.priorities, self.doc.priorities),
            (self.issue_types, self.doc.issue_types),
        ):
            for key, entry in entries.items():
                names.add(key, entry.name)
        self.cell_writers: dict[str, CellWriter] = {n: write for n, (_, write) in CELLS.items()}
        self.cell_writers.update(
            {
                "contact": lambda key: self.shown(self.contacts, key),
                "priority": lambda key: self.shown(self.priorities, key),
                "issue type": lambda key: self.shown(self.issue_types, key),
                "target": plain_or_quoted,
                "responses": lambda values: "\n".join(_response(r) for r in values),
                "triggers": lambda values: "\n".join(_trigger(t) for t in values),
            }
        )

    def write(self) -> Written:
        """Every sheet, in the layout's order."""
        self._matrix_sheet()
        self._levels()
        self._categories()
        self._category_priorities()
        for sheet, key, _ in reversed(MATRIX_TABLES):
            self._matrix_table(sheet, key)
        self._settings()
        return self.out

    # -- helpers

    def sheet(self, name: str, columns: tuple[str, ...] | None = None) -> Sheet:
        """A new sheet at the end of the book, with its header row when it is a table."""
        sheet = Sheet(name)
        self.out.book.sheets.append(sheet)
        if columns is not None:
            sheet.append(list(columns), heading=True)
        return sheet

    def at(self, doc: str, path: YamlPath, sheet: Sheet, row: int, column: str | int) -> None:
        """Remember the cell ``path`` of document ``doc`` was written to (the first one wins)."""
        index = column if isinstance(column, int) else COLUMNS[sheet.name].index(column)
        self.out.places.setdefault((doc, path), (sheet.name, row, index))

    @staticmethod
    def shown(names: Names, key: str) -> str:
        """The display name when it leads back to ``key`` on import, else the id."""
        name = names.names.get(key)
        return name if name and names.find(name) == key else key

    def cells(self, entry: Any, columns: Iterable[Column], key: str = "") -> dict[str, CellValue]:
        """The cells of ``columns`` for ``entry`` (a model), each in its column's grammar;
        values a column leaves out (empty, or its default) are not written."""
        values: dict[str, CellValue] = {}
        for wanted in columns:
            value = entry
            for part in _path(wanted, key):
                if value is None:
                    break
                value = value.get(part) if isinstance(value, dict) else getattr(value, str(part))
            empty = value is None or (isinstance(value, list | dict) and not value)
            if wanted.path and not empty and (wanted.omit is None or value != wanted.omit):
                values[wanted.header] = self.cell_writers[wanted.cell](value)
        return values

    def row(self, sheet: Sheet, values: dict[str, CellValue], *placed: Spot) -> int:
        """Append a table row and say where each path of ``placed`` went."""
        row = sheet.append([values.get(header) for header in COLUMNS[sheet.name]])
        for doc, base, columns, key in placed:
            for wanted in columns:
                path = (*base, *_path(wanted, key))
                # A column without a path stands for the entry itself.
                for end in range(len(base) + bool(wanted.path), len(path) + 1):
                    self.at(doc, path[:end], sheet, row, wanted.header)
        return row

    # -- the matrix table

    def _matrix_sheet(self) -> None:
        sheet = self.sheet(MATRIX)
        self.at("matrix", (), sheet, 0, 0)
        self.out.blocks = ladder_blocks(self.flows)
        for block in self.out.blocks:
            if sheet.rows:
                sheet.append([])
            ladder = block[0].spec.levels
            numbers = list(range(ladder[0].level, ladder[-1].level + 1))
            by_number = {level.level: level for level in ladder}
            header: list[CellValue] = [HEADER_LABELS[0], *(level_label(n) for n in numbers)]
            contacts: list[CellValue] = [HEADER_LABELS[1]]
            timelines: list[CellValue] = [HEADER_LABELS[2]]
            for number in numbers:
                level = by_number.get(number)
                shown = self.shown(self.contacts, level.contact) if level else None
                contacts.append(plain_or_quoted(shown))
                timelines.append(timeline_text(level.window) if level else None)
            sheet.append(header, heading=True)
            sheet.append(contacts, heading=True)
            sheet.append(timelines, heading=True)
            for flow in block:
                cells: list[CellValue] = [plain_or_quoted(flow.name)]
                cells += [None if n in by_number else ABSENT_MARK for n in numbers]
                row = sheet.append(cells)
                self.at(flow.id, (), sheet, row, 0)
                for index, level in enumerate(flow.spec.levels):
                    self.at(flow.id, ("levels", index), sheet, row, numbers.index(level.level) + 1)

    # -- levels, steps and teams
    # -- levels, steps and teams

    def _levels(self) -> None:
        sheet = self.sheet(LEVELS, COLUMNS[LEVELS])
        for flow in self.flows:
            for index, level in enumerate(flow.spec.levels):
                self._unit(sheet, flow, ("levels", index), level, team=False)
            for index, team in enumerate(flow.spec.teams):
                self._unit(sheet, flow, ("teams", index), team, team=True)

    def _unit(
        self, sheet: Sheet, flow: CompiledFlow, path: YamlPath, level: Level, *, team: bool
    ) -> None:
        base: dict[str, CellValue] = {"Category": flow.name, "Level": level_label(level.level)}
        base["Team"] = level.id if team else None
        attributes = self.cells(level, _TEAM if team else _LADDER)
        unit: Spot = (flow.id, path, (_UNIT[team], *_ATTRIBUTES), "")
        if level.steps is None:
            lists = self.cells(level, _LISTS)
            if team or attributes or lists:
                self.row(sheet, {**base, **attributes, **lists}, unit, (flow.id, path, _LISTS, ""))
            return
        for position, step in enumerate(level.steps):
            values = {**base, **(attributes if position == 0 else {}), **self.cells(step, _STEP)}
            step_place: Spot = (flow.id, (*path, "steps", position), (_STEP_ID, *_STEP[1:]), "")
            self.row(sheet, values, *([unit] if position == 0 else []), step_place)

    # -- categories

    def _categories(self) -> None:
        sheet = self.sheet(CATEGORIES, COLUMNS[CATEGORIES])
        columns = TABLES[CATEGORIES]
        for flow in self.flows:
            self.row(sheet, self.cells(flow.spec, columns), (flow.id, (), columns[1:], ""))

    def _category_priorities(self) -> None:
        sheet = self.sheet(CATEGORY_PRIORITIES, COLUMNS[CATEGORY_PRIORITIES])
        columns = TABLES[CATEGORY_PRIORITIES][2:]
        for flow in self.flows:
            spec = flow.spec
            for key in dict.fromkeys([*self.doc.priorities, *spec.sla, *spec.priorities]):
                if key not in spec.sla and key not in spec.priorities:
                    continue
                values = {
                    "Category": spec.name,
                    "Priority": self.shown(self.priorities, key),
                    **self.cells(spec, columns, key),
                }
                # An override's priority cell stands for the override as a whole.
                whole = _PRIORITY if key in spec.priorities else ()
                given = tuple(c for c in columns if key in getattr(spec, str(c.path[0])))
                self.row(sheet, values, (flow.id, (), whole, key), (flow.id, (), given, key))

    # -- the matrix document's sheets

    def _matrix_table(self, name: str, key: str) -> None:
        sheet = self.sheet(name, COLUMNS[name])
        columns = TABLES[name][1:]
        for entry_key, entry in getattr(self.doc, key).items():
            values = {"Id": entry_key, **self.cells(entry, columns)}
            here = (key, entry_key)
            self.row(sheet, values, ("matrix", here, _ID, ""), ("matrix", here, columns, ""))
        self.at("matrix", (key,), sheet, 0, 0)

    def _settings(self) -> None:
        sheet = self.sheet(SETTINGS, COLUMNS[SETTINGS])
        for setting in SETTING_ROWS:
            value = self.cells(self.doc, [setting]).get(setting.header)
            row = sheet.append([setting.header, value])
            self.at("matrix", setting.path, sheet, row, "Value")


def _path(wanted: Column, key: str) -> YamlPath:
    return tuple(key if part == KEY else part for part in wanted.path)


_ATTRIBUTES = tuple(column(LEVELS, h) for h in ("Name", "Contact point", "Timeline"))
_ATTRIBUTES += tuple(column(LEVELS, h) for h in ("Repeat", "Escalates to", "Level id"))
_LADDER = tuple(c for c in _ATTRIBUTES if c.header not in ("Contact point", "Timeline"))
_TEAM = _ATTRIBUTES[:-1]
_LISTS = tuple(column(LEVELS, h) for h in ("Responses", "Triggers"))
_STEP = (column(LEVELS, "Step"), column(LEVELS, "Step name"), *_LISTS)
_STEP_ID = Column("Step")  # the cell standing for a step
_UNIT = (Column("Level"), column(LEVELS, "Team"))  # the cell standing for a level, a team
_ID = (Column("Id"),)
_PRIORITY = (Column("Priority", ("priorities", KEY)),)


def _response(response: Response) -> str:
    if isinstance(response, str):
        return format_item(response, [], RESPONSE)
    skipped: list[Option] = [("skipped", response.when_skipped)] if response.when_skipped else []
    if isinstance(response, NotifyAction):
        options: list[Option] = [("notify", response.notify)]
        if response.channel:
            options.append(("channel", response.channel))
        if response.label:
            options.append(("label", response.label))
        return format_item(response.message, [*options, *skipped], RESPONSE)
    if isinstance(response, WebhookAction):
        options = [("webhook", response.webhook), *skipped]
        return format_item(response.label or "", options, RESPONSE)
    assert isinstance(response, HandlerAction)
    options = [("handler", response.handler)]
    if response.args:
        options.append(("with", format_args(dict(response.args))))
    return format_item(response.label or "", [*options, *skipped], RESPONSE)


def _trigger(trigger: Trigger) -> str:
    options: list[Option] = [
        ("id", trigger.id) if trigger.id in TRIGGER.flags else (None, trigger.id)
    ]
    if trigger.to is not None:
        options.append(("to", trigger.to))
    if trigger.automatic:
        options.append(("automatic", None))
    if trigger.reason is not None:
        options.append(("reason", trigger.reason))
    return format_item(trigger.label, options, TRIGGER)
