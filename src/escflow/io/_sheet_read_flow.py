"""One flow from the sheet: its levels, steps, teams, responses, triggers and targets."""

from __future__ import annotations

from typing import Any

from escflow.io._sheet_layout import (
    CATEGORIES,
    CATEGORY_PRIORITIES,
    LEVELS,
    PRIORITIES,
    TABLES,
    Column,
    column,
    guess_language,
    level_label,
    level_number,
    slug,
    unique,
    until_resolution,
)
from escflow.io._sheet_lines import RESPONSE, TRIGGER, ArticleCell, Item, article_cell, items
from escflow.io._sheet_lines import parse_args as parse_handler_args
from escflow.io._sheet_read_base import Category, Draft, Row, Unit
from escflow.io._sheet_read_matrix import MatrixReader
from escflow.problems import YamlPath
from escflow.spec._models import CUSTOMER, FORMAT_VERSION, RESOLVED

# What the Levels sheet says about a level as a whole (given once, on its first row).
_HEAD = tuple(column(LEVELS, h) for h in ("Level id", "Name"))
_TAIL = tuple(column(LEVELS, h) for h in ("Repeat", "Escalates to"))
_CONTACT, _TIMELINE = column(LEVELS, "Contact point"), column(LEVELS, "Timeline")
_ENGLISH_UNTIL = frozenset({"until resolution", "until resolved", "resolution", "resolved", "none"})
_SLA, _OVERRIDE = TABLES[CATEGORY_PRIORITIES][2:4], TABLES[CATEGORY_PRIORITIES][4:]
Units = dict[tuple[str, int, str | None], Unit]


class FlowReader(MatrixReader):
    """Builds each flow's document from the matrix table and the other sheets."""

    ladder_keys: dict[int, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ladder_keys = {}
        self.cell_readers.update(
            contact=lambda cell: self.contact(cell.text, cell.where) or "",
            target=lambda cell: self._target(cell.text),
        )

    # -- one flow

    def _flow(self, category: Category, units: Units, overrides: dict[str, list[Row]]) -> Draft:
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
        if not (attrs and attrs.text("Language")):
            self._guess_language(draft, category, units)
        if attrs is not None:
            self.fill(draft, (), data, attrs, TABLES[CATEGORIES][3:])
        self._sla_and_priorities(draft, overrides.get(category.key, []))
        self.ladder_keys = self._ladder_keys(category, units)
        numbers = sorted(category.cells)
        data["levels"] = [
            self._level(
                draft,
                ("levels", i),
                category,
                n,
                units.get((category.key, n, None)),
                n == numbers[-1],
            )
            for i, n in enumerate(numbers)
        ]
        teams = [u for (key, _, team), u in units.items() if key == category.key and team]
        if teams:
            data["teams"] = [
                self._level(draft, ("teams", i), category, unit.number, unit)
                for i, unit in enumerate(teams)
            ]
        return draft

    def _guess_language(self, draft: Draft, category: Category, units: Units) -> None:
        texts = [category.name, *(text for text, _ in category.cells.values())]
        for unit in units.values():
            if unit.category is category:
                texts += [r.raw(c) for r in unit.rows for c in ("Responses", "Triggers")]
        guessed = guess_language(texts)
        if guessed is not None:
            draft.data["language"] = guessed
            self.record(draft, ("language",), category.ref)

    def _ladder_keys(self, category: Category, units: Units) -> dict[int, str]:
        keys: dict[int, str] = {}
        for number in category.cells:
            unit = units.get((category.key, number, None))
            rows = unit.rows if unit else []
            explicit = next((r.text("Level id") for r in rows if r.text("Level id")), None)
            keys[number] = explicit or f"level-{number}"
        return keys

    def _sla_and_priorities(self, draft: Draft, rows: list[Row]) -> None:
        found: dict[str, Any] = {}
        for row in rows:
            text = row.text("Priority")
            key = self.priorities.find(text)
            if key is None:
                where = row.ref("Priority")
                self.error(
                    "X004", self.priorities.unknown(text, f"in the {PRIORITIES} sheet"), where
                )
                continue
            first, resolution = row.text("First response"), row.text("Resolution")
            if bool(first) != bool(resolution):
                missing = "Resolution" if first else "First response"
                self.error(
                    "X002",
                    f"an SLA needs both a first response and a resolution target; the"
                    f" {missing} cell is empty",
                    row.ref(missing),
                )
            # Only what the row gives: an SLA (its first two columns), an override (the rest).
            given = [group for group in (_SLA, _OVERRIDE) if any(row.text(c.header) for c in group)]
            if _OVERRIDE in given:
                for path in (("priorities",), ("priorities", key)):
                    self.record(draft, path, row.ref("Priority"), first=True)
            for group in given:
                self.fill(draft, (), found, row, group, key)
        draft.data.update({k: found[k] for k in ("sla", "priorities") if k in found})

    # -- one level (or team)

    def _level(
        self,
        draft: Draft,
        path: YamlPath,
        category: Category,
        number: int,
        unit: Unit | None,
        last: bool = False,
    ) -> dict[str, Any]:
        rows = unit.rows if unit else []
        team = unit.team if unit else None
        if team is None:
            self.record(draft, path, category.cells[number][1])
        if rows:
            self.record(draft, path, rows[0].ref("Team" if team else "Level"))
        level: dict[str, Any] = {}
        if team is not None:
            level["id"] = team
            self.record(draft, (*path, "id"), rows[0].ref("Team"))
        level["level"] = number
        self._attributes(draft, path, level, rows, _HEAD[team is not None :])
        self._ladder_default(draft, path, level, rows, _CONTACT, category, number, team)
        self._ladder_default(draft, path, level, rows, _TIMELINE, category, number, team)
        self._attributes(draft, path, level, rows, _TAIL)
        self._body(draft, path, level, category, number, unit)
        if last and team is None:
            own, ladder = self._attribute(rows, "Timeline", quiet=True), category.columns[number]
            text, where = (
                (own.text("Timeline"), own.ref("Timeline"))
                if own
                else (ladder.timeline_text, ladder.timeline_ref)
            )
            self._resolution(draft, path, level, text, where)
        return level

    def _attributes(
        self,
        draft: Draft,
        path: YamlPath,
        level: dict[str, Any],
        rows: list[Row],
        columns: tuple[Column, ...],
    ) -> None:
        for attribute in columns:
            row = self._attribute(rows, attribute.header)
            if row is not None:
                self.fill(draft, path, level, row, [attribute])

    def _ladder_default(
        self,
        draft: Draft,
        path: YamlPath,
        level: dict[str, Any],
        rows: list[Row],
        attribute: Column,
        category: Category,
        number: int,
        team: str | None,
    ) -> None:
        """The level's contact point or window: its own cell, else its matrix column's."""
        key = str(attribute.path[0])
        row = self._attribute(rows, attribute.header)
        if row is not None:
            self.fill(draft, path, level, row, [attribute])
            level.setdefault(key, "")
            return
        ladder = category.columns.get(number) if team is None else None
        if ladder is None:
            what = "contact point" if key == "contact" else "timeline"
            where = rows[0].ref("Level") if rows else category.cells[number][1]
            self.error("X002", f"a team needs its {what}", where)
            level[key] = ""
            self.record(draft, (*path, key), where)
        elif key == "contact":
            level[key] = (ladder.contact and self.contact(ladder.contact, ladder.contact_ref)) or ""
            self.record(draft, (*path, key), ladder.contact_ref)
        else:
            level[key] = ladder.timeline if ladder.timeline is not None else ""
            self.record(draft, (*path, key), ladder.timeline_ref)

    def _attribute(self, rows: list[Row], header: str, *, quiet: bool = False) -> Row | None:
        """The row that gives the level's ``header`` (its first); a differing one is an error."""
        found: Row | None = None
        for row in rows:
            value = row.text(header)
            if not value:
                continue
            if found is not None and value != found.text(header) and not quiet:
                self.error(
                    "X002",
                    f"'{value}' differs from '{found.text(header)}' in {found.ref(header)}: a"
                    f" level's {header} is given once, on its first row",
                    row.ref(header),
                )
            found = found or row
        return found

    def _body(
        self,
        draft: Draft,
        path: YamlPath,
        level: dict[str, Any],
        category: Category,
        number: int,
        unit: Unit | None,
    ) -> None:
        """The level's responses and triggers: from its steps, its row or its matrix cell."""
        rows = unit.rows if unit else []
        team = unit.team if unit else None
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
        text, ref = category.cells.get(number, ("", "")) if team is None else ("", "")
        article = self._article(text, ref)
        if stepped:
            self._steps(draft, path, level, stepped, plain, article, ref)
            return
        single = plain[0] if plain else None
        if (
            article is not None
            and single is not None
            and single.text("Responses") + single.text("Triggers")
        ):
            self._both(ref, single.ref("Responses"))
            article = None
        if article is not None:
            self._lists(draft, path, level, article.responses, article.triggers, ref, ref, True)
        elif single is not None:
            responses = items(single.raw("Responses"), RESPONSE)
            triggers = items(single.raw("Triggers"), TRIGGER)
            where = single.ref("Responses"), single.ref("Triggers")
            self._lists(draft, path, level, responses, triggers, *where, False)

    def _article(self, text: str, where: str) -> ArticleCell | None:
        if not text:
            return None
        article = article_cell(text)
        for line, stray in article.stray[:1]:
            self.error(
                "X003",
                f"expected 'Response:' or 'Triggers:' before '{stray}' (line {line}); a"
                " category's cell lists the level's responses, then its triggers",
                where,
            )
        return article

    def _steps(
        self,
        draft: Draft,
        path: YamlPath,
        level: dict[str, Any],
        stepped: list[Row],
        plain: list[Row],
        article: ArticleCell | None,
        article_ref: str,
    ) -> None:
        for row in plain:
            if row.text("Responses") or row.text("Triggers"):
                self.error(
                    "X002",
                    "this level has steps: give its responses and triggers on the step rows",
                    row.ref("Responses"),
                )
        if article is not None:
            self._both(article_ref, stepped[0].ref("Step"))
        level["steps"] = []
        for index, row in enumerate(stepped):
            step_path: YamlPath = (*path, "steps", index)
            step: dict[str, Any] = {"id": row.text("Step")}
            self.record(draft, step_path, row.ref("Step"))
            self.fill(draft, step_path, step, row, [column(LEVELS, "Step name")])
            responses = items(row.raw("Responses"), RESPONSE)
            triggers = items(row.raw("Triggers"), TRIGGER)
            where = row.ref("Responses"), row.ref("Triggers")
            self._lists(draft, step_path, step, responses, triggers, *where, False)
            level["steps"].append(step)

    def _resolution(
        self, draft: Draft, path: YamlPath, level: dict[str, Any], text: str, where: str
    ) -> None:
        """The article's last column reads "Resolution": that level resolves the ticket."""
        if "triggers" in level or "steps" in level or not text or not until_resolution(text):
            return
        label = text if " ".join(text.split()).casefold() not in _ENGLISH_UNTIL else "Resolution"
        level["triggers"] = [{"id": "resolved", "label": label, "to": RESOLVED}]
        self.record(draft, (*path, "triggers"), where)

    def _both(self, matrix_cell: str, levels_cell: str) -> None:
        self.error(
            "X002",
            f"responses and triggers are given both here and in {levels_cell}; keep one",
            matrix_cell,
        )

    # -- responses and triggers

    def _lists(
        self,
        draft: Draft,
        path: YamlPath,
        into: dict[str, Any],
        responses: list[Item],
        triggers: list[Item],
        response_ref: str,
        trigger_ref: str,
        article: bool,
    ) -> None:
        for found, where in ((responses, response_ref), (triggers, trigger_ref)):
            for item in found:
                if item.problem is not None:
                    self.error("X003", f"{item.problem} (line {item.line} of the cell)", where)
        taken = {key for t in triggers if (key := t.bare or t.get("id")) is not None}
        for key, found, where in (
            ("responses", responses, response_ref),
            ("triggers", triggers, trigger_ref),
        ):
            if not found:
                continue
            into[key] = []
            self.record(draft, (*path, key), where)
            for index, item in enumerate(found):
                line = item.line if len(found) > 1 or article else None
                value = (
                    self._response(item, where)
                    if key == "responses"
                    else self._trigger(item, index, taken, where)
                )
                into[key].append(value)
                self.record(draft, (*path, key, index), where, line)

    def _response(self, item: Item, where: str) -> str | dict[str, Any]:
        if not item.options:
            return item.text
        if item.has("notify"):
            return self._notify(item, where)
        kind = "webhook" if item.has("webhook") else "handler"
        action: dict[str, Any] = {kind: item.get(kind) or ""}
        label = item.get("label")
        if item.text and label:
            self.error(
                "X003",
                f"the label is given twice: before the brackets and as 'label:' (line {item.line})",
                where,
            )
        if item.text or label:
            action["label"] = item.text or label
        if item.get("with") is not None and kind != "handler":
            self.error("X003", f"'with:' is for handlers (line {item.line})", where)
        elif item.get("with") is not None:
            try:
                action["with"] = parse_handler_args(item.get("with") or "")
            except ValueError as exc:
                self.error("X003", f"{exc} (line {item.line})", where)
        if item.get("channel") is not None:
            self.error("X003", f"'channel:' is for notify lines (line {item.line})", where)
        return action

    def _notify(self, item: Item, where: str) -> dict[str, Any]:
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
        for option in ("channel", "label"):
            if item.get(option):
                action[option] = item.get(option)
        return action

    def _trigger(self, item: Item, index: int, taken: set[str], where: str) -> dict[str, Any]:
        key = item.bare or item.get("id")
        if key is None:
            key = unique(slug(item.text, f"trigger-{index + 1}"), taken)
        if not item.text:
            self.error(
                "X003", f"a trigger gives its label before the brackets (line {item.line})", where
            )
        trigger: dict[str, Any] = {"id": key, "label": item.text}
        if item.get("to"):
            trigger["to"] = self._target(item.get("to") or "")
        if item.has("automatic"):
            trigger["automatic"] = True
        if item.get("reason"):
            trigger["reason"] = item.get("reason")
        return trigger

    def _target(self, text: str) -> str:
        if text.casefold() in ("resolved", "resolution"):
            return RESOLVED
        number = level_number(text)
        if number is not None and not text.startswith("level-") and number in self.ladder_keys:
            return self.ladder_keys[number]
        return text
