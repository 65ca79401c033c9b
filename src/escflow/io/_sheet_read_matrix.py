"""The matrix document's sheets: Settings, Issue types, Priorities, Calendars, Contacts.

Without them the folder's matrix file is used; with some missing, starters stand in
(an office calendar, contact points made from the matrix table's names).
"""

from __future__ import annotations

import re
from typing import Any

from escflow.io._sheet_book import (
    normalize,
    unquote_cell,
)
from escflow.io._sheet_layout import (
    CALENDAR_FIELDS,
    CALENDARS,
    COLUMNS,
    CONTACTS,
    ISSUE_TYPES,
    MATRIX_SHEETS,
    PRIORITIES,
    SETTING_NAMES,
    SETTINGS,
    slug,
    unique,
)
from escflow.io._sheet_lines import (
    PLAIN,
    SHIFT,
    Item,
    items,
    split_outside_quotes,
)
from escflow.io._sheet_read_base import (
    BaseReader,
    Draft,
    date_or_text,
    description_cell,
)
from escflow.problems import YamlPath
from escflow.spec._load import did_you_mean
from escflow.spec._models import FORMAT_VERSION, MatrixDoc, parse_days, parse_hours
from escflow.timing import calendar_problem

STARTER_CALENDAR = "office"
_DAYS_HOURS = re.compile(r"^\s*([^:]+?)\s*:\s*(.+?)\s*$")


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
        self._issue_types_sheet(draft)
        self._priorities_sheet(draft)
        self._calendars_sheet(draft, settings)
        self._contacts_sheet(draft)
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
        rows = self._table(SETTINGS)
        found: dict[str, str] = {}
        for row in rows or []:
            name = row.text("Setting")
            match = next((s for s in SETTING_NAMES if normalize(s) == normalize(name)), None)
            if match is None:
                hint = did_you_mean(name, SETTING_NAMES)
                self.warn("W005", f"the setting '{name}' is not read{hint}", row.ref("Setting"))
                continue
            value = (
                description_cell(row.raw("Value")) if match == "Description" else row.text("Value")
            )
            found[match] = value
            key = {"Default priority": "default_priority"}.get(match, match.lower())
            self.record(draft, (key,), row.ref("Value"))
            if match == "Default priority":
                self._setting_ref = row.ref("Value")
        return found

    def _issue_types_sheet(self, draft: Draft) -> None:
        rows = self._table(ISSUE_TYPES)
        if rows is None:
            self.starter_issue_types = {}
            return
        types: dict[str, Any] = {}
        taken: set[str] = set()
        for number, row in enumerate(rows, start=1):
            name = row.text("Name")
            key = row.text("Id") or slug(name, f"issue-type-{number}")
            taken.add(key)
            entry: dict[str, Any] = {"name": name}
            if row.text("Description"):
                entry["description"] = description_cell(row.raw("Description"))
            types[key] = entry
            self.issue_types.add(key, name)
            self.record(draft, ("issue_types", key), row.ref("Id" if row.text("Id") else "Name"))
            self.record(draft, ("issue_types", key, "name"), row.ref("Name"))
            self.record(draft, ("issue_types", key, "description"), row.ref("Description"))
        draft.data["issue_types"] = types
        self.record(draft, ("issue_types",), self.header_refs[ISSUE_TYPES])

    def _priorities_sheet(self, draft: Draft) -> None:
        rows = self._table(PRIORITIES)
        if rows is None:
            return
        priorities: dict[str, Any] = {}
        for row in rows:
            key = row.text("Id")
            entry: dict[str, Any] = {"name": row.text("Name")} if row.text("Name") else {}
            entry.update(self._entry_and_factor(row))
            if isinstance(entry.get("entry"), int):
                self.priority_entries[key] = (entry["entry"], row.ref("Entry level"))
            priorities[key] = entry
            self.priorities.add(key, row.text("Name") or None)
            self.record(draft, ("priorities", key), row.ref("Id"))
            for column, field_name in (("Entry level", "entry"), ("Factor", "factor")):
                self.record(draft, ("priorities", key, field_name), row.ref(column))
        draft.data["priorities"] = priorities
        self.record(draft, ("priorities",), self.header_refs[PRIORITIES])

    def _calendars_sheet(self, draft: Draft, settings: dict[str, str]) -> None:
        rows = self._table(CALENDARS)
        if rows is None:
            # Business time needs a calendar: start with office hours, to be adjusted.
            draft.data["calendar"] = settings.get("Calendar") or STARTER_CALENDAR
            draft.data["calendars"] = {
                STARTER_CALENDAR: {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}
            }
            draft.notes[("calendars",)] = [
                "A starter calendar: set your time zone, working hours and public holidays"
                " (holidays: {country: FR})."
            ]
            return
        if settings.get("Calendar"):
            draft.data["calendar"] = settings["Calendar"]
        calendars: dict[str, Any] = {}
        for row in rows:
            key = row.text("Id")
            entry: dict[str, Any] = {"timezone": row.text("Time zone")}
            hours: dict[str, str] = {}
            for item in items(row.raw("Hours"), PLAIN):
                match = _DAYS_HOURS.match(item.text)
                if match is None:
                    self.error(
                        "X003",
                        f"expected 'days: hours' such as 'mon-fri: 09:00-17:00', got"
                        f" '{item.text}' (line {item.line})",
                        row.ref("Hours"),
                    )
                    continue
                try:
                    # The format checks hours for the whole calendar (at its Id cell);
                    # here a bad line is reported at the Hours cell, with its line.
                    parse_days(match[1])
                    parse_hours(match[2])
                except ValueError as exc:
                    self.error("X003", f"{exc} (line {item.line})", row.ref("Hours"))
                hours[match[1]] = match[2]
            entry["hours"] = hours
            holidays_ref = row.ref("Holidays")
            if row.text("Holidays"):
                holidays = {"country": row.text("Holidays")}
                if row.text("Holiday subdivision"):
                    holidays["subdivision"] = row.text("Holiday subdivision")
                    if calendar_problem(holidays["country"], None) is None:
                        # The country is known: a holidays problem is the subdivision's.
                        holidays_ref = row.ref("Holiday subdivision")
                entry["holidays"] = holidays
            for column in ("Closed", "Open"):
                dates = [date_or_text(i.text) for i in items(row.raw(column), PLAIN)]
                if dates:
                    entry[column.lower()] = dates
            if row.text("Business day"):
                entry["business_day"] = row.text("Business day")
            calendars[key] = entry
            self.record(draft, ("calendars", key), row.ref("Id"))
            for column, name in CALENDAR_FIELDS:
                self.record(draft, ("calendars", key, name), row.ref(column))
            self.record(draft, ("calendars", key, "holidays"), holidays_ref)
            self.record(
                draft, ("calendars", key, "holidays", "subdivision"), row.ref("Holiday subdivision")
            )
        draft.data["calendars"] = calendars
        self.record(draft, ("calendars",), self.header_refs[CALENDARS])

    def _contacts_sheet(self, draft: Draft) -> None:
        rows = self._table(CONTACTS)
        if rows is None:
            self.starter_contacts = {}
            return
        contacts: dict[str, Any] = {}
        taken: set[str] = set()
        for number, row in enumerate(rows, start=1):
            name = row.text("Name")
            key = row.text("Id") or unique(slug(name, f"contact-{number}"), taken)
            taken.add(key)
            entry: dict[str, Any] = {"name": name, "kind": row.text("Kind").lower() or "team"}
            channels = {
                channel.lower(): row.text(channel)
                for channel in ("Email", "Phone", "Chat", "Webhook")
                if row.text(channel)
            }
            if channels:
                entry["channels"] = channels
            members = [i.text for i in items(row.raw("Members"), PLAIN)]
            if members:
                entry["members"] = members
            if row.text("Calendar"):
                entry["calendar"] = row.text("Calendar")
            shifts = [
                self._shift(item, row.ref("Shifts")) for item in items(row.raw("Shifts"), SHIFT)
            ]
            if shifts:
                entry["shifts"] = shifts
            if row.text("Off duty"):
                entry["off_duty"] = row.text("Off duty").lower()
            contacts[key] = entry
            self.contacts.add(key, name)
            path: YamlPath = ("contacts", key)
            self.record(draft, path, row.ref("Id" if row.text("Id") else "Name"))
            for column in COLUMNS[CONTACTS][1:]:
                field_name = column.lower().replace(" ", "_")
                if column in ("Email", "Phone", "Chat", "Webhook"):
                    self.record(draft, (*path, "channels", field_name), row.ref(column))
                else:
                    self.record(draft, (*path, field_name), row.ref(column))
        draft.data["contacts"] = contacts
        self.record(draft, ("contacts",), self.header_refs[CONTACTS])

    def _shift(self, item: Item, where: str) -> dict[str, Any]:
        if item.problem is not None:
            self.error("X003", f"{item.problem} (line {item.line} of the cell)", where)
        shift: dict[str, Any] = {"starts": item.text}
        if item.get("lasts"):
            shift["lasts"] = item.get("lasts")
        members = item.get("members")
        if members:
            parts = split_outside_quotes(members, ",") or [members]
            shift["members"] = [unquote_cell(m.strip()) for m in parts if m.strip()]
        since = item.get("since")
        if since:
            shift["since"] = date_or_text(since)
        return shift

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
            self.error(
                "X004",
                "the category's issue type is empty; write one of "
                + ", ".join(repr(n or k) for k, n in self.issue_types.names.items()),
                where,
            )
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
