"""One flow from the sheet: its levels, steps, teams, responses, triggers and targets."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class _At:
    """The level (or team) being read: its document and path, its entry, its rows."""

    draft: Draft
    path: YamlPath
    data: dict[str, Any]
    category: Category
    number: int
    rows: list[Row]
    team: str | None


def _has_lists(row: Row) -> bool:
    return bool(row.text("Responses") or row.text("Triggers"))


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
        rows, team = (unit.rows, unit.team) if unit else ([], None)
        at = _At(draft, path, {}, category, number, rows, team)
        if team is None:
            self.record(draft, path, category.cells[number][1])
        if rows:
            self.record(draft, path, rows[0].ref("Team" if team else "Level"))
        if team is not None:
            at.data["id"] = team
            self.record(draft, (*path, "id"), rows[0].ref("Team"))
        at.data["level"] = number
        for attribute in (*_HEAD[team is not None :], _CONTACT, _TIMELINE, *_TAIL):
            self._given(at, attribute)
        self._body(at)
        if last and team is None:
            own, ladder = self._attribute(rows, "Timeline", quiet=True), category.columns[number]
            if own is not None:
                self._resolution(at, own.text("Timeline"), own.ref("Timeline"))
            else:
                self._resolution(at, ladder.timeline_text, ladder.timeline_ref)
        return at.data

    def _given(self, at: _At, attribute: Column) -> None:
        """An attribute from the level's first row that gives it; a level's contact point
        and window otherwise come from its matrix column (a team must give them)."""
        key = str(attribute.path[0])
        row = self._attribute(at.rows, attribute.header)
        if row is not None:
            self.fill(at.draft, at.path, at.data, row, [attribute])
        if attribute not in (_CONTACT, _TIMELINE) or key in at.data:
            return
        ladder = at.category.columns.get(at.number) if at.team is None else None
        if row is not None:
            at.data[key] = ""  # unreadable, and said so at its cell
        elif ladder is None:
            what = "contact point" if key == "contact" else "timeline"
            where = at.rows[0].ref("Level") if at.rows else at.category.cells[at.number][1]
            self.error("X002", f"a team needs its {what}", where)
            at.data[key] = ""
            self.record(at.draft, (*at.path, key), where)
        elif key == "contact":
            found = ladder.contact and self.contact(ladder.contact, ladder.contact_ref)
            at.data[key] = found or ""
            self.record(at.draft, (*at.path, key), ladder.contact_ref)
        else:
            at.data[key] = ladder.timeline if ladder.timeline is not None else ""
            self.record(at.draft, (*at.path, key), ladder.timeline_ref)

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

    def _body(self, at: _At) -> None:
        """The level's responses and triggers: from its steps, its row or its matrix cell."""
        stepped = [r for r in at.rows if r.text("Step")]
        plain = [r for r in at.rows if not r.text("Step")]
        for extra in plain[1:]:
            team = f" team {at.team}" if at.team else ""
            self.error(
                "X002",
                f"a second row for {level_label(at.number)}{team} of '{at.category.name}' (the"
                f" first is row {plain[0].ref('Level')}); give each row a step id in the Step"
                " column, or merge the rows",
                extra.ref("Level"),
            )
        text, ref = at.category.cells.get(at.number, ("", "")) if at.team is None else ("", "")
        article = self._article(text, ref)
        if stepped:
            self._steps(at, stepped, plain, ref if article else None)
            return
        single = plain[0] if plain else None
        if article is not None and single is not None and _has_lists(single):
            self._both(ref, single.ref("Responses"))
            article = None
        self._lists(at.draft, at.path, at.data, single, article, ref)

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

    def _steps(self, at: _At, stepped: list[Row], plain: list[Row], article: str | None) -> None:
        for row in plain:
            if _has_lists(row):
                self.error(
                    "X002",
                    "this level has steps: give its responses and triggers on the step rows",
                    row.ref("Responses"),
                )
        if article is not None:
            self._both(article, stepped[0].ref("Step"))
        at.data["steps"] = []
        for index, row in enumerate(stepped):
            path: YamlPath = (*at.path, "steps", index)
            step: dict[str, Any] = {"id": row.text("Step")}
            self.record(at.draft, path, row.ref("Step"))
            self.fill(at.draft, path, step, row, [column(LEVELS, "Step name")])
            self._lists(at.draft, path, step, row)
            at.data["steps"].append(step)

    def _resolution(self, at: _At, text: str, where: str) -> None:
        """The article's last column reads "Resolution": that level resolves the ticket."""
        level = at.data
        if "triggers" in level or "steps" in level or not text or not until_resolution(text):
            return
        label = text if " ".join(text.split()).casefold() not in _ENGLISH_UNTIL else "Resolution"
        level["triggers"] = [{"id": "resolved", "label": label, "to": RESOLVED}]
        self.record(at.draft, (*at.path, "triggers"), where)

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
        row: Row | None,
        article: ArticleCell | None = None,
        ref: str = "",
    ) -> None:
        """A level's or step's responses and triggers, from the article's matrix cell (each
        item at its line) or from a Levels row (at its line when the cell holds several)."""
        if article is not None:
            lists = (("responses", article.responses, ref), ("triggers", article.triggers, ref))
        elif row is not None:
            lists = (
                ("responses", items(row.raw("Responses"), RESPONSE), row.ref("Responses")),
                ("triggers", items(row.raw("Triggers"), TRIGGER), row.ref("Triggers")),
            )
        else:
            return
        for _, found, where in lists:
            for item in found:
                if item.problem is not None:
                    self.error("X003", f"{item.problem} (line {item.line} of the cell)", where)
        triggers = lists[1][1]
        taken = {key for t in triggers if (key := t.bare or t.get("id")) is not None}
        for key, found, where in lists:
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
            return self._when_skipped(item, self._notify(item, where), where)
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
