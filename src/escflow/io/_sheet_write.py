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
from escflow.io._sheet_book import Book, CellValue, Sheet, unquote_cell
from escflow.io._sheet_layout import (
    ABSENT_MARK,
    CALENDAR_FIELDS,
    CALENDARS,
    CATEGORIES,
    CATEGORY_PRIORITIES,
    COLUMNS,
    CONTACTS,
    HEADER_LABELS,
    ISSUE_TYPES,
    LEVELS,
    LIST_COLUMNS,
    MATRIX,
    PRIORITIES,
    SETTINGS,
    level_label,
    timeline_text,
)
from escflow.io._sheet_lines import (
    RESPONSE,
    SHIFT,
    TRIGGER,
    Option,
    format_args,
    format_item,
    quote,
)
from escflow.io._sheet_read_base import Names, description_cell
from escflow.problems import YamlPath
from escflow.spec._models import (
    FlowDoc,
    HandlerAction,
    Level,
    MatrixDoc,
    NotifyAction,
    Response,
    Trigger,
    WebhookAction,
)

Place = tuple[str, int, int]  # sheet name, 0-based row and column


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
        self.doc: MatrixDoc = matrix.doc
        self.out = Written(Book(file))
        self.flows = ordered_flows(matrix)
        self.contacts = Names("contact point")
        for key, contact in self.doc.contacts.items():
            self.contacts.add(key, contact.name)
        self.priorities = Names("priority")
        for key, priority in self.doc.priorities.items():
            self.priorities.add(key, priority.name)
        self.issue_types = Names("issue type")
        for key, issue_type in self.doc.issue_types.items():
            self.issue_types.add(key, issue_type.name)

    def write(self) -> Written:
        """Every sheet, in the layout's order."""
        self._matrix_sheet()
        self._levels()
        self._categories()
        self._category_priorities()
        self._contacts()
        self._calendars()
        self._priorities()
        self._issue_types()
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
                contacts.append(_cell("Contact point", shown))
                timelines.append(timeline_text(level.window) if level else None)
            sheet.append(header, heading=True)
            sheet.append(contacts, heading=True)
            sheet.append(timelines, heading=True)
            for flow in block:
                cells: list[CellValue] = [_cell("Category", flow.name)]
                cells += [None if n in by_number else ABSENT_MARK for n in numbers]
                row = sheet.append(cells)
                self.at(flow.id, (), sheet, row, 0)
                for index, level in enumerate(flow.spec.levels):
                    self.at(flow.id, ("levels", index), sheet, row, numbers.index(level.level) + 1)

    # -- levels, steps and teams

    def _levels(self) -> None:
        sheet = self.sheet(LEVELS, COLUMNS[LEVELS])
        for flow in self.flows:
            spec = flow.spec
            for index, level in enumerate(spec.levels):
                self._unit(sheet, flow, ("levels", index), level, team=False)
            for index, team in enumerate(spec.teams):
                self._unit(sheet, flow, ("teams", index), team, team=True)

    def _unit(
        self, sheet: Sheet, flow: CompiledFlow, path: YamlPath, level: Level, *, team: bool
    ) -> None:
        attributes: dict[str, CellValue] = {
            "Name": level.name,
            "Repeat": level.repeat or None,
            "Escalates to": level.escalates_to,
        }
        if team:
            attributes["Contact point"] = self.shown(self.contacts, level.contact)
            attributes["Timeline"] = timeline_text(level.window)
        else:
            attributes["Level id"] = level.id
        base: dict[str, CellValue] = {
            "Category": flow.name,
            "Level": level_label(level.level),
            "Team": level.id if team else None,
        }
        if level.steps is None:
            if not team and not any([level.responses, level.triggers, *attributes.values()]):
                return  # nothing beyond the matrix table to say about this level
            row = self._row(
                sheet, {**base, **attributes, **self._lists(level.responses, level.triggers)}
            )
            self._mark_unit(sheet, flow, path, row, level)
            self._mark_lists(sheet, flow, path, row)
            return
        for position, step in enumerate(level.steps):
            values = {**base, "Step": step.id, "Step name": step.name}
            if position == 0:
                values.update(attributes)
            values.update(self._lists(step.responses, step.triggers))
            row = self._row(sheet, values)
            if position == 0:
                self._mark_unit(sheet, flow, path, row, level)
            step_path: YamlPath = (*path, "steps", position)
            self.at(flow.id, step_path, sheet, row, "Step")
            self.at(flow.id, (*step_path, "name"), sheet, row, "Step name")
            self._mark_lists(sheet, flow, step_path, row)

    def _mark_unit(
        self, sheet: Sheet, flow: CompiledFlow, path: YamlPath, row: int, level: Level
    ) -> None:
        self.at(flow.id, path, sheet, row, "Team" if path[0] == "teams" else "Level")
        for column, key in (
            ("Name", "name"),
            ("Contact point", "contact"),
            ("Timeline", "window"),
            ("Repeat", "repeat"),
            ("Escalates to", "escalates_to"),
            ("Level id", "id"),
        ):
            self.at(flow.id, (*path, key), sheet, row, column)

    def _mark_lists(self, sheet: Sheet, flow: CompiledFlow, path: YamlPath, row: int) -> None:
        self.at(flow.id, (*path, "responses"), sheet, row, "Responses")
        self.at(flow.id, (*path, "triggers"), sheet, row, "Triggers")

    def _row(self, sheet: Sheet, values: dict[str, CellValue]) -> int:
        columns = COLUMNS[sheet.name]
        return sheet.append([_cell(c, values.get(c)) for c in columns])

    def _lists(
        self, responses: list[Response] | None, triggers: list[Trigger] | None
    ) -> dict[str, CellValue]:
        return {
            "Responses": "\n".join(_response(r) for r in responses or []) or None,
            "Triggers": "\n".join(_trigger(t) for t in triggers or []) or None,
        }

    # -- categories

    def _categories(self) -> None:
        sheet = self.sheet(CATEGORIES, COLUMNS[CATEGORIES])
        for flow in self.flows:
            spec: FlowDoc = flow.spec
            row = self._row(
                sheet,
                {
                    "Category": spec.name,
                    "Id": spec.id,
                    "Issue type": self.shown(self.issue_types, spec.issue_type),
                    "Language": spec.language if spec.language != "en" else None,
                    "Calendar": spec.calendar,
                    "Description": spec.description,
                },
            )
            for column, key in (
                ("Id", "id"),
                ("Issue type", "issue_type"),
                ("Language", "language"),
                ("Calendar", "calendar"),
                ("Description", "description"),
            ):
                self.at(flow.id, (key,), sheet, row, column)

    def _category_priorities(self) -> None:
        sheet = self.sheet(CATEGORY_PRIORITIES, COLUMNS[CATEGORY_PRIORITIES])
        for flow in self.flows:
            spec = flow.spec
            keys = list(dict.fromkeys([*self.doc.priorities, *spec.sla, *spec.priorities]))
            for key in keys:
                sla = spec.sla.get(key)
                override = spec.priorities.get(key)
                if sla is None and override is None:
                    continue
                values: dict[str, CellValue] = {
                    "Category": spec.name,
                    "Priority": self.shown(self.priorities, key),
                }
                if sla is not None:
                    values["First response"] = str(sla.first_response)
                    values["Resolution"] = str(sla.resolution)
                if override is not None:
                    if override.entry is not None:
                        values["Entry level"] = level_label(override.entry)
                    values["Factor"] = override.factor
                    values["Windows"] = (
                        "\n".join(
                            f"{level_label(n)}: {timeline_text(w)}"
                            for n, w in override.windows.items()
                        )
                        or None
                    )
                row = self._row(sheet, values)
                if sla is not None:
                    self.at(flow.id, ("sla",), sheet, row, "First response")
                    self.at(flow.id, ("sla", key), sheet, row, "First response")
                    self.at(flow.id, ("sla", key, "resolution"), sheet, row, "Resolution")
                if override is not None:
                    self.at(flow.id, ("priorities",), sheet, row, "Priority")
                    self.at(flow.id, ("priorities", key), sheet, row, "Priority")
                    self.at(flow.id, ("priorities", key, "entry"), sheet, row, "Entry level")
                    self.at(flow.id, ("priorities", key, "factor"), sheet, row, "Factor")
                    self.at(flow.id, ("priorities", key, "windows"), sheet, row, "Windows")

    # -- the matrix document's sheets

    def _contacts(self) -> None:
        sheet = self.sheet(CONTACTS, COLUMNS[CONTACTS])
        for key, contact in self.doc.contacts.items():
            shifts = [
                format_item(
                    shift.starts,
                    [
                        *([("lasts", str(shift.lasts))]),
                        *([("members", _members(shift.members))] if shift.members else []),
                        *([("since", shift.since.isoformat())] if shift.since else []),
                    ],
                    SHIFT,
                )
                for shift in contact.shifts
            ]
            row = self._row(
                sheet,
                {
                    "Id": key,
                    "Name": contact.name,
                    "Kind": contact.kind,
                    "Email": contact.channels.email,
                    "Phone": contact.channels.phone,
                    "Chat": contact.channels.chat,
                    "Webhook": contact.channels.webhook,
                    "Members": "\n".join(contact.members) or None,
                    "Calendar": contact.calendar,
                    "Off duty": contact.off_duty if contact.off_duty != "hold" else None,
                    "Shifts": "\n".join(shifts) or None,
                },
            )
            self.at("matrix", ("contacts", key), sheet, row, "Id")
            for column in ("Members", "Shifts", "Calendar", "Name", "Kind"):
                self.at("matrix", ("contacts", key, column.lower()), sheet, row, column)
            self.at("matrix", ("contacts", key, "off_duty"), sheet, row, "Off duty")
            self.at("matrix", ("contacts", key, "channels"), sheet, row, "Email")
        self.at("matrix", ("contacts",), sheet, 0, 0)

    def _calendars(self) -> None:
        sheet = self.sheet(CALENDARS, COLUMNS[CALENDARS])
        for key, calendar in self.doc.calendars.items():
            row = self._row(
                sheet,
                {
                    "Id": key,
                    "Time zone": calendar.timezone,
                    "Hours": "\n".join(f"{d}: {h}" for d, h in calendar.hours.items()),
                    "Holidays": calendar.holidays.country if calendar.holidays else None,
                    "Holiday subdivision": (
                        calendar.holidays.subdivision if calendar.holidays else None
                    ),
                    "Closed": "\n".join(d.isoformat() for d in calendar.closed) or None,
                    "Open": "\n".join(d.isoformat() for d in calendar.open) or None,
                    "Business day": str(calendar.business_day) if calendar.business_day else None,
                },
            )
            self.at("matrix", ("calendars", key), sheet, row, "Id")
            for column, name in CALENDAR_FIELDS:
                self.at("matrix", ("calendars", key, name), sheet, row, column)
        self.at("matrix", ("calendars",), sheet, 0, 0)

    def _priorities(self) -> None:
        sheet = self.sheet(PRIORITIES, COLUMNS[PRIORITIES])
        for key, priority in self.doc.priorities.items():
            row = self._row(
                sheet,
                {
                    "Id": key,
                    "Name": priority.name,
                    "Entry level": (
                        level_label(priority.entry) if priority.entry is not None else None
                    ),
                    "Factor": priority.factor if priority.factor != 1.0 else None,
                },
            )
            self.at("matrix", ("priorities", key), sheet, row, "Id")
            self.at("matrix", ("priorities", key, "entry"), sheet, row, "Entry level")
            self.at("matrix", ("priorities", key, "factor"), sheet, row, "Factor")
        self.at("matrix", ("priorities",), sheet, 0, 0)

    def _issue_types(self) -> None:
        sheet = self.sheet(ISSUE_TYPES, COLUMNS[ISSUE_TYPES])
        for key, issue_type in self.doc.issue_types.items():
            row = self._row(
                sheet, {"Id": key, "Name": issue_type.name, "Description": issue_type.description}
            )
            self.at("matrix", ("issue_types", key), sheet, row, "Id")
        self.at("matrix", ("issue_types",), sheet, 0, 0)

    def _settings(self) -> None:
        sheet = self.sheet(SETTINGS, COLUMNS[SETTINGS])
        default = self.doc.default_priority
        for name, key, value in (
            ("Name", "name", self.doc.name),
            ("Description", "description", self.doc.description),
            ("Calendar", "calendar", self.doc.calendar),
            (
                "Default priority",
                "default_priority",
                self.shown(self.priorities, default) if default else None,
            ),
        ):
            column = "Description" if name == "Description" else "Value"
            row = sheet.append([name, _cell(column, value)])
            self.at("matrix", (key,), sheet, row, "Value")


def _cell(column: str, value: CellValue) -> CellValue:
    """A single-value cell as the reader reads it back: plain when it can, else quoted."""
    if not isinstance(value, str) or column in LIST_COLUMNS:
        return value
    read = description_cell(value) if column == "Description" else unquote_cell(value.strip())
    return value if read == value else quote(value)


def _members(members: list[str]) -> str:
    return ", ".join(
        quote(m) if m != m.strip() or any(c in m for c in ',;"[]') else m for m in members
    )


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
