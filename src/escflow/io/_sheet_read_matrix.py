"""The matrix document's sheets: Settings, Issue types, Priorities, Calendars, Contacts.

Without them the folder's matrix file is used; with some missing, starters stand in
(an office calendar, contact points made from the matrix table's names).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, get_args

from escflow.io._sheet_book import normalize, sheet_ref
from escflow.io._sheet_layout import (
    CALENDARS,
    CONTACTS,
    ISSUE_TYPES,
    MATRIX_SHEETS,
    MATRIX_TABLES,
    PRIORITIES,
    SETTING_ROWS,
    SETTINGS,
    TABLES,
    slug,
    unique,
)
from escflow.io._sheet_read_base import BaseReader, Draft, Row
from escflow.spec._load import did_you_mean
from escflow.spec._models import FORMAT_VERSION, MatrixDoc
from escflow.timing import calendar_problem

STARTER_CALENDAR = "office"


class MatrixReader(BaseReader):
    """The matrix document, and the names flows use to refer to its parts."""

    # -- the matrix document

    def _matrix_doc(self) -> Draft | None:
        """The matrix from the book's sheets; None to reuse the folder's matrix."""
        present = [name for name in MATRIX_SHEETS if self.book.sheet(name) is not None]
        if not present and self.existing is not None:
            self._names_from(self.existing)
            self.contacts_source = "in the matrix file"
            return None
        draft = Draft("matrix", "matrix")
        # The matrix as a whole is the corner cell of the matrix table.
        assert self.matrix_sheet is not None  # read() returns early without one
        self.record(draft, (), self.matrix_sheet.ref(0, 0))
        data = draft.data
        data.update({"escflow": FORMAT_VERSION, "kind": "matrix"})
        settings = self._settings(draft)
        data["name"] = settings.get("Name") or "Escalation matrix"
        if settings.get("Description"):
            data["description"] = settings["Description"]
        self._starters(draft, settings, self._matrix_tables(draft))
        default = settings.get("Default priority")
        if default:
            found = self.priorities.find(default)
            if found is None:
                self.error(
                    "X004",
                    self.priorities.unknown(default, f"in the {PRIORITIES} sheet"),
                    self._setting_ref,
                )
            data["default_priority"] = found or default
        return draft

    def _names_from(self, matrix: MatrixDoc) -> None:
        for key, contact in matrix.contacts.items():
            self.contacts.add(key, contact.name)
        for key, priority in matrix.priorities.items():
            self.priorities.add(key, priority.name)
        for key, issue_type in matrix.issue_types.items():
            self.issue_types.add(key, issue_type.name)

    def _settings(self, draft: Draft) -> dict[str, str]:
        found: dict[str, Any] = {}
        for row in self._table(SETTINGS) or []:
            name = row.text("Setting")
            match = next((s for s in SETTING_ROWS if normalize(s.header) == normalize(name)), None)
            if match is None:
                hint = did_you_mean(name, [s.header for s in SETTING_ROWS])
                self.warn("W005", f"the setting '{name}' is not read{hint}", row.ref("Setting"))
                continue
            value, cell = self.read_cell(row, replace(match, header="Value"))
            found[match.header] = value
            self.record(draft, match.path, cell.where)
            if match.header == "Default priority":
                self._setting_ref = cell.where
        return found

    def _matrix_tables(self, draft: Draft) -> set[str]:
        """The sheets of the matrix's tables (issue types, priorities, calendars, contacts);
        returns those the book lacks (or that lack a required column)."""
        missing: set[str] = set()
        registries = {"issue_types": self.issue_types, "priorities": self.priorities}
        registries["contacts"] = self.contacts
        for sheet, key, fallback in MATRIX_TABLES:
            rows = self._table(sheet)
            if rows is None:
                missing.add(sheet)
                continue
            entries: dict[str, Any] = {}
            taken: set[str] = set()
            for number, row in enumerate(rows, start=1):
                given = row.text("Id")
                name = row.text("Name")
                made = unique(slug(name, f"{fallback}-{number}"), taken) if fallback else ""
                entry_key = given or made
                taken.add(entry_key)
                entry: dict[str, Any] = {}
                self.record(draft, (key, entry_key), row.ref("Id" if given else "Name"))
                self.fill(draft, (key, entry_key), entry, row, TABLES[sheet][1:])
                # Keys in the order of the format's fields, as a person writes them.
                fields = list(get_args(MatrixDoc.model_fields[key].annotation)[1].model_fields)
                entries[entry_key] = {k: entry[k] for k in sorted(entry, key=fields.index)}
                if key in registries:
                    registries[key].add(entry_key, name or None)
                if sheet == CALENDARS:
                    self._holidays_origin(draft, entry_key, entry, row)
                if sheet == PRIORITIES and isinstance(entry.get("entry"), int):
                    self.priority_entries[entry_key] = (entry["entry"], row.ref("Entry level"))
            draft.data[key] = entries
            self.record(draft, (key,), self.header_refs.get(sheet, sheet_ref(sheet)))
        return missing

    def _holidays_origin(self, draft: Draft, key: str, entry: dict[str, Any], row: Row) -> None:
        holidays = entry.get("holidays", {})
        country, subdivision = holidays.get("country"), holidays.get("subdivision")
        if country and subdivision and calendar_problem(country, None) is None:
            # The country is known: a holidays problem is the subdivision's.
            self.record(draft, ("calendars", key, "holidays"), row.ref("Holiday subdivision"))

    def _starters(self, draft: Draft, settings: dict[str, str], missing: set[str]) -> None:
        """Starters for the matrix sheets the book does not have."""
        if ISSUE_TYPES in missing:
            self.starter_issue_types = {}
        if CONTACTS in missing:
            self.starter_contacts = {}
        if settings.get("Calendar"):
            draft.data["calendar"] = settings["Calendar"]
        if CALENDARS in missing:
            # Business time needs a calendar: start with office hours, to be adjusted.
            draft.data["calendar"] = settings.get("Calendar") or STARTER_CALENDAR
            draft.data["calendars"] = {
                STARTER_CALENDAR: {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}
            }
            draft.notes[("calendars",)] = [
                "A starter calendar: set your time zone, working hours and public holidays"
                " (holidays: {country: FR})."
            ]

    def _finish_starters(self, draft: Draft) -> None:
        if self.starter_issue_types is not None:
            found = self.starter_issue_types or {"general": "General"}
            draft.data["issue_types"] = {k: {"name": n} for k, n in found.items()}
        if self.starter_contacts is not None:
            draft.data["contacts"] = {
                k: {"name": n, "kind": "team"} for k, n in self.starter_contacts.items()
            }
            draft.notes[("contacts",)] = [
                "Made from the sheet's contact points: say whether each is a person or a"
                " team, and how to reach it (channels: {email: ..., phone: ...})."
            ]
        order = ["escflow", "kind", "name", "description", "calendar", "issue_types"]
        order += ["priorities", "default_priority", "calendars", "contacts"]
        draft.data = {k: draft.data[k] for k in order if k in draft.data}

    # -- names used by flows

    def contact(self, text: str, where: str) -> str | None:
        """The contact point id a cell names (made up when the book has no contacts)."""
        found = self.contacts.find(text)
        if found is not None:
            return found
        if self.starter_contacts is not None:
            key = unique(slug(text, f"contact-{len(self.starter_contacts) + 1}"), set(self.names()))
            self.starter_contacts[key] = text
            self.contacts.add(key, text)
            return key
        self.error("X004", self.contacts.unknown(text, self.contacts_source), where)
        return None

    def names(self) -> list[str]:
        """Contact ids taken so far."""
        return list(self.contacts.names)

    def issue_type(self, text: str, where: str) -> str | None:
        """The issue type id a cell names (made up when the book has no issue types)."""
        if self.starter_issue_types is not None:
            if not text:
                return next(iter(self.starter_issue_types), None) or self._general()
            found = self.issue_types.find(text)
            if found is None:
                found = unique(slug(text, "issue-type"), set(self.starter_issue_types))
                self.starter_issue_types[found] = text
                self.issue_types.add(found, text)
            return found
        if not text:
            if len(self.issue_types.names) == 1:
                return next(iter(self.issue_types.names))
            known = ", ".join(repr(n or k) for k, n in self.issue_types.names.items())
            fix = f"write one of {known}" if known else f"the {ISSUE_TYPES} sheet lists none"
            self.error("X004", f"the category's issue type is empty; {fix}", where)
            return None
        found = self.issue_types.find(text)
        if found is None:
            self.error("X004", self.issue_types.unknown(text, f"in the {ISSUE_TYPES} sheet"), where)
        return found

    def _general(self) -> str:
        assert self.starter_issue_types is not None
        self.starter_issue_types["general"] = "General"
        self.issue_types.add("general", "General")
        return "general"
