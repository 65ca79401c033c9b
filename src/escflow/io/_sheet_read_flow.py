"""One flow from the sheet: its levels, steps, teams, responses, triggers and targets."""

from __future__ import annotations

from typing import Any

from escflow.io._sheet_layout import (
    PRIORITIES,
    guess_language,
    level_label,
    level_number,
    parse_timeline,
    slug,
    unique,
    until_resolution,
)
from escflow.io._sheet_lines import (
    PLAIN,
    RESPONSE,
    TRIGGER,
    Item,
    article_cell,
    items,
    parse_args,
)
from escflow.io._sheet_read_base import (
    Category,
    Column,
    Draft,
    Row,
    Unit,
    description_cell,
    int_or_text,
    until_resolution_english,
)
from escflow.io._sheet_read_matrix import MatrixReader
from escflow.problems import YamlPath
from escflow.spec._models import CUSTOMER, FORMAT_VERSION, RESOLVED

_LEVEL_ATTRIBUTES = ("Name", "Contact point", "Timeline", "Repeat", "Escalates to", "Level id")


class FlowReader(MatrixReader):
    """Builds each flow's document from the matrix table and the other sheets."""

    # -- one flow

    def _flow(
        self,
        category: Category,
        units: dict[tuple[str, int, str | None], Unit],
        overrides: dict[str, list[Row]],
    ) -> Draft:
        draft = Draft("flow", category.key)
        data = draft.data
        attrs = category.attrs
        self.record(draft, (), category.ref)
        data.update({"escflow": FORMAT_VERSION, "kind": "flow", "id": category.key})
        data["name"] = category.name
        self.record(draft, ("name",), category.ref)
        if attrs is not None:
            self.record(draft, ("id",), attrs.ref("Id"))
        issue_ref = attrs.ref("Issue type") if attrs else category.ref
        issue_type = self.issue_type(attrs.text("Issue type") if attrs else "", issue_ref)
        data["issue_type"] = issue_type or ""
        self.record(draft, ("issue_type",), issue_ref)
        language = attrs.text("Language") if attrs else ""
        if not language:
            texts = [category.name, *(text for text, _ in category.cells.values())]
            texts += [
                r.raw(c)
                for u in units.values()
                if u.category is category
                for r in u.rows
                for c in ("Responses", "Triggers")
            ]
            guessed = guess_language(texts)
            if guessed is not None:
                data["language"] = guessed
                self.record(draft, ("language",), category.ref)
        if attrs is not None:
            for column, key in (("Language", "language"), ("Calendar", "calendar")):
                if attrs.text(column) and not (key == "language" and attrs.text(column) == "en"):
                    data[key] = attrs.text(column)
                    self.record(draft, (key,), attrs.ref(column))
            if attrs.text("Description"):
                data["description"] = description_cell(attrs.raw("Description"))
                self.record(draft, ("description",), attrs.ref("Description"))
        self._sla_and_priorities(draft, overrides.get(category.key, []))
        ladder_keys = self._ladder_keys(category, units)
        levels: list[dict[str, Any]] = []
        numbers = sorted(category.cells)
        for number in numbers:
            unit = units.get((category.key, number, None))
            path: YamlPath = ("levels", len(levels))
            last = number == numbers[-1]
            levels.append(self._level(draft, path, category, number, unit, ladder_keys, last))
        data["levels"] = levels
        teams: list[dict[str, Any]] = []
        for (key, _, team), unit in units.items():
            if key == category.key and team is not None:
                teams.append(
                    self._level(
                        draft, ("teams", len(teams)), category, unit.number, unit, ladder_keys
                    )
                )
        if teams:
            data["teams"] = teams
        return draft

    def _ladder_keys(
        self, category: Category, units: dict[tuple[str, int, str | None], Unit]
    ) -> dict[int, str]:
        keys: dict[int, str] = {}
        for number in category.cells:
            unit = units.get((category.key, number, None))
            rows = unit.rows if unit else []
            explicit = next((r.text("Level id") for r in rows if r.text("Level id")), None)
            keys[number] = explicit or f"level-{number}"
        return keys

    def _sla_and_priorities(self, draft: Draft, rows: list[Row]) -> None:
        sla: dict[str, Any] = {}
        priorities: dict[str, Any] = {}
        for row in rows:
            text = row.text("Priority")
            key = self.priorities.find(text)
            if key is None:
                self.error(
                    "X004",
                    self.priorities.unknown(text, f"in the {PRIORITIES} sheet"),
                    row.ref("Priority"),
                )
                continue
            first, resolution = row.text("First response"), row.text("Resolution")
            if first or resolution:
                if not (first and resolution):
                    missing = "Resolution" if first else "First response"
                    self.error(
                        "X002",
                        f"an SLA needs both a first response and a resolution target; the"
                        f" {missing} cell is empty",
                        row.ref(missing),
                    )
                sla[key] = {"first_response": first, "resolution": resolution}
                self.record(draft, ("sla",), row.ref("First response"), first=True)
                self.record(draft, ("sla", key), row.ref("First response"))
                self.record(draft, ("sla", key, "first_response"), row.ref("First response"))
                self.record(draft, ("sla", key, "resolution"), row.ref("Resolution"))
            override = self._entry_and_factor(row)
            windows: dict[int, Any] = {}
            for item in items(row.raw("Windows"), PLAIN):
                level_text, colon, timeline = item.text.partition(":")
                number = level_number(level_text) if colon else None
                if number is None:
                    self.error(
                        "X003",
                        f"expected 'Level N: timeline' such as 'Level 3: 15-30 minutes', got"
                        f" '{item.text}' (line {item.line})",
                        row.ref("Windows"),
                    )
                    continue
                try:
                    windows[number] = parse_timeline(timeline.strip())
                except ValueError as exc:
                    self.error("X003", f"{exc} (line {item.line})", row.ref("Windows"))
                self.record(
                    draft, ("priorities", key, "windows", number), row.ref("Windows"), item.line
                )
            if windows:
                override["windows"] = windows
            if override:
                priorities[key] = override
                self.record(draft, ("priorities",), row.ref("Priority"), first=True)
                self.record(draft, ("priorities", key), row.ref("Priority"))
                self.record(draft, ("priorities", key, "entry"), row.ref("Entry level"))
                self.record(draft, ("priorities", key, "factor"), row.ref("Factor"))
        if sla:
            draft.data["sla"] = sla
        if priorities:
            draft.data["priorities"] = priorities

    def _level(
        self,
        draft: Draft,
        path: YamlPath,
        category: Category,
        number: int,
        unit: Unit | None,
        ladder_keys: dict[int, str],
        last: bool = False,
    ) -> dict[str, Any]:
        rows = unit.rows if unit else []
        team = unit.team if unit else None
        column = category.columns.get(number)
        attrs = {name: self._attribute(rows, name) for name in _LEVEL_ATTRIBUTES}
        first_ref = rows[0].ref("Level") if rows else category.cells[number][1]
        if team is None:
            self.record(draft, path, category.cells[number][1])
        if rows:
            self.record(draft, path, rows[0].ref("Team" if team else "Level"))
        level: dict[str, Any] = {}
        if team is not None:
            level["id"] = team
            self.record(draft, (*path, "id"), rows[0].ref("Team"))
        level["level"] = number
        if team is None and attrs["Level id"]:
            level["id"] = attrs["Level id"][0]
            self.record(draft, (*path, "id"), attrs["Level id"][1])
        if attrs["Name"]:
            level["name"] = attrs["Name"][0]
            self.record(draft, (*path, "name"), attrs["Name"][1])
        contact_text, contact_ref = attrs["Contact point"] or (
            (column.contact, column.contact_ref) if column and team is None else ("", first_ref)
        )
        if not contact_text:
            self.error("X002", "a team needs its contact point", contact_ref)
        contact = self.contact(contact_text, contact_ref) if contact_text else None
        level["contact"] = contact or ""
        self.record(draft, (*path, "contact"), contact_ref)
        window, window_ref, window_text = self._window(attrs, column, team, first_ref)
        level["window"] = window if window is not None else ""
        self.record(draft, (*path, "window"), window_ref)
        if attrs["Repeat"]:
            level["repeat"] = int_or_text(attrs["Repeat"][0])
            self.record(draft, (*path, "repeat"), attrs["Repeat"][1])
        if attrs["Escalates to"]:
            level["escalates_to"] = self._target(attrs["Escalates to"][0], ladder_keys)
            self.record(draft, (*path, "escalates_to"), attrs["Escalates to"][1])
        stepped = [r for r in rows if r.text("Step")]
        plain = [r for r in rows if not r.text("Step")]
        for extra in plain[1:]:
            self.error(
                "X002",
                f"a second row for {level_label(number)}{f' team {team}' if team else ''} of"
                f" '{category.name}' (the first is row {plain[0].ref('Level')}); give each"
                " row a step id in the Step column, or merge the rows",
                extra.ref("Level"),
            )
        cell = category.cells.get(number) if team is None else None
        article = article_cell(cell[0]) if cell and cell[0] else None
        if article is not None:
            for line, text in article.stray[:1]:
                self.error(
                    "X003",
                    f"expected 'Response:' or 'Triggers:' before '{text}' (line {line}); a"
                    " category's cell lists the level's responses, then its triggers",
                    cell[1] if cell else None,
                )
        if stepped:
            for row in plain:
                if row.text("Responses") or row.text("Triggers"):
                    self.error(
                        "X002",
                        "this level has steps: give its responses and triggers on the step rows",
                        row.ref("Responses"),
                    )
            if article is not None and cell is not None:
                self._both(cell[1], stepped[0].ref("Step"))
            steps: list[dict[str, Any]] = []
            for row in stepped:
                step_path: YamlPath = (*path, "steps", len(steps))
                step: dict[str, Any] = {"id": row.text("Step")}
                self.record(draft, step_path, row.ref("Step"))
                if row.text("Step name"):
                    step["name"] = row.text("Step name")
                    self.record(draft, (*step_path, "name"), row.ref("Step name"))
                self._lists(draft, step_path, row, None, step, ladder_keys)
                steps.append(step)
            level["steps"] = steps
            return level
        single = plain[0] if plain else None
        given = single is not None and bool(single.text("Responses") or single.text("Triggers"))
        if article is not None and cell is not None and single is not None and given:
            self._both(cell[1], single.ref("Responses"))
            article = None
        self._lists(
            draft,
            path,
            single,
            (article, cell[1]) if article and cell else None,
            level,
            ladder_keys,
        )
        if (
            last
            and team is None
            and "triggers" not in level
            and window_text
            and until_resolution(window_text)
        ):
            # The article's last column reads "Resolution": the level resolves the ticket.
            label = window_text if not until_resolution_english(window_text) else "Resolution"
            level["triggers"] = [{"id": "resolved", "label": label, "to": RESOLVED}]
            self.record(draft, (*path, "triggers"), window_ref)
        return level

    def _both(self, matrix_cell: str, levels_cell: str) -> None:
        self.error(
            "X002",
            f"responses and triggers are given both here and in {levels_cell}; keep one",
            matrix_cell,
        )

    def _window(
        self,
        attrs: dict[str, tuple[str, str] | None],
        column: Column | None,
        team: str | None,
        first_ref: str,
    ) -> tuple[Any, str, str]:
        given = attrs["Timeline"]
        if given is not None:
            try:
                return parse_timeline(given[0]), given[1], given[0]
            except ValueError as exc:
                self.error("X003", str(exc), given[1])
                return None, given[1], given[0]
        if team is not None or column is None:
            self.error("X002", "a team needs its timeline", first_ref)
            return None, first_ref, ""
        return column.timeline, column.timeline_ref, column.timeline_text

    def _attribute(
        self, rows: list[Row], column: str, *, quiet: bool = False
    ) -> tuple[str, str] | None:
        found: tuple[str, str] | None = None
        for row in rows:
            value = row.text(column)
            if not value:
                continue
            if found is not None and value != found[0] and not quiet:
                self.error(
                    "X002",
                    f"'{value}' differs from '{found[0]}' in {found[1]}: a level's {column}"
                    " is given once, on its first row",
                    row.ref(column),
                )
                continue
            found = found or (value, row.ref(column))
        return found

    def _lists(
        self,
        draft: Draft,
        path: YamlPath,
        row: Row | None,
        article: tuple[Any, str] | None,
        into: dict[str, Any],
        ladder_keys: dict[int, str],
    ) -> None:
        if article is not None:
            cell, ref = article
            responses, triggers = cell.responses, cell.triggers
            response_ref = trigger_ref = ref
        elif row is not None:
            responses = items(row.raw("Responses"), RESPONSE)
            triggers = items(row.raw("Triggers"), TRIGGER)
            response_ref, trigger_ref = row.ref("Responses"), row.ref("Triggers")
        else:
            return
        for found, where in ((responses, response_ref), (triggers, trigger_ref)):
            for item in found:
                if item.problem is not None:
                    self.error("X003", f"{item.problem} (line {item.line} of the cell)", where)
        if responses:
            into["responses"] = []
            self.record(draft, (*path, "responses"), response_ref)
            for index, item in enumerate(responses):
                line = item.line if len(responses) > 1 or article else None
                into["responses"].append(self._response(item, response_ref))
                self.record(draft, (*path, "responses", index), response_ref, line)
        if triggers:
            into["triggers"] = []
            self.record(draft, (*path, "triggers"), trigger_ref)
            taken = {key for t in triggers if (key := t.bare or t.get("id")) is not None}
            for index, item in enumerate(triggers):
                line = item.line if len(triggers) > 1 or article else None
                into["triggers"].append(self._trigger(item, index, taken, trigger_ref, ladder_keys))
                self.record(draft, (*path, "triggers", index), trigger_ref, line)

    def _response(self, item: Item, where: str) -> str | dict[str, Any]:
        if not item.options:
            return item.text
        label = item.get("label")
        if item.has("notify"):
            target = item.get("notify") or ""
            found = target if target == CUSTOMER else self.contacts.find(target)
            if found is None:
                self.error(
                    "X004",
                    f"{self.contacts.unknown(target, self.contacts_source)}; notify names a"
                    f" contact point or 'customer' (line {item.line})",
                    where,
                )
            action: dict[str, Any] = {"notify": found or target, "message": item.text}
            if not item.text:
                self.error(
                    "X003",
                    f"a notify line gives the message before [notify: ...] (line {item.line})",
                    where,
                )
            if item.get("channel"):
                action["channel"] = item.get("channel")
            if label:
                action["label"] = label
            return self._when_skipped(item, action, where)
        kind = "webhook" if item.has("webhook") else "handler"
        action = {kind: item.get(kind) or ""}
        if item.text and label:
            self.error(
                "X003",
                f"the label is given twice: before the brackets and as 'label:' (line {item.line})",
                where,
            )
        if item.text or label:
            action["label"] = item.text or label
        if item.get("with") is not None:
            if kind != "handler":
                self.error("X003", f"'with:' is for handlers (line {item.line})", where)
            else:
                try:
                    action["with"] = parse_args(item.get("with") or "")
                except ValueError as exc:
                    self.error("X003", f"{exc} (line {item.line})", where)
        if item.get("channel") is not None:
            self.error("X003", f"'channel:' is for notify lines (line {item.line})", where)
        return self._when_skipped(item, action, where)

    def _when_skipped(self, item: Item, action: dict[str, Any], where: str) -> dict[str, Any]:
        """``skipped: run|drop``: the action's ``when_skipped``."""
        value = item.get("skipped")
        if value is None:
            return action
        if value not in ("run", "drop"):
            self.error(
                "X003",
                f"'skipped: {value}' says whether the action is sent when its level is"
                f" skipped for nobody on duty: write 'skipped: run' or 'skipped: drop'"
                f" (line {item.line})",
                where,
            )
        action["when_skipped"] = value
        return action

    def _trigger(
        self, item: Item, index: int, taken: set[str], where: str, ladder_keys: dict[int, str]
    ) -> dict[str, Any]:
        key = item.bare or item.get("id")
        if key is None:
            key = unique(slug(item.text, f"trigger-{index + 1}"), taken)
        if not item.text:
            self.error(
                "X003",
                f"a trigger gives its label before the brackets (line {item.line})",
                where,
            )
        trigger: dict[str, Any] = {"id": key, "label": item.text}
        to = item.get("to")
        if to:
            trigger["to"] = self._target(to, ladder_keys)
        if item.has("automatic"):
            trigger["automatic"] = True
        if item.get("reason"):
            trigger["reason"] = item.get("reason")
        return trigger

    def _target(self, text: str, ladder_keys: dict[int, str]) -> str:
        if text.casefold() in ("resolved", "resolution"):
            return RESOLVED
        number = level_number(text)
        if number is not None and not text.startswith("level-") and number in ladder_keys:
            return ladder_keys[number]
        return text
