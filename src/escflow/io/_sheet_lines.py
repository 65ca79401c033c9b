"""The text inside cells: one item a line, each an optional text and ``[options]``.

::

    Customer asks to speak to a manager [asks-for-manager; reason: you asked for one]
    Problem solved [solved; to: resolved]
    Complaint $ticket needs you: $reason [notify: support-manager]

The options block is the last ``[...]`` of the line whose content parses under the
cell's grammar (its keys, flags and whether a bare id may lead it); anything else in
brackets stays text, except a block that reads as options with a misspelt or unknown
name (``[notfy: ...]``, ``[id; too: resolved]``): that line is a problem
(:attr:`Item.problem`), never text with a changed meaning. Values, and the text itself,
may be written as a JSON string (``"..."``) when they hold what would otherwise be read
as syntax.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass

from escflow.io._sheet_book import unquote_cell

Option = tuple[str | None, str | None]  # (key, value); (None, id) bare; (flag, None)

_KEY_VALUE = re.compile(r"^([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$", re.DOTALL)
_BARE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# Bullets people type in front of list lines; they are layout, not part of the text.
_BULLET = re.compile(r"^[-*•◦▪·–]\s+")
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Grammar:
    """What an options block may hold in one kind of cell."""

    keys: frozenset[str]
    flags: frozenset[str] = frozenset()
    bare_id: bool = False
    exactly_one_of: frozenset[str] = frozenset()
    what: str = "line"  # "a trigger line" in messages

    def known(self) -> str:
        """The options in words: "an id, to:, reason: or automatic"."""
        names = (["an id"] if self.bare_id else []) + [f"{k}:" for k in sorted(self.keys)]
        names += sorted(self.flags)
        return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


TRIGGER = Grammar(
    frozenset({"id", "to", "reason"}), frozenset({"automatic"}), bare_id=True, what="trigger"
)
RESPONSE = Grammar(
    frozenset({"notify", "webhook", "handler", "channel", "label", "with", "skipped"}),
    exactly_one_of=frozenset({"notify", "webhook", "handler"}),
    what="response",
)
WINDOW = Grammar(frozenset({"calendar"}), what="timeline")
SHIFT = Grammar(frozenset({"lasts", "since", "members"}), what="shift")
PLAIN = Grammar(frozenset())
# How close an unknown name must be to an option's to be taken for a misspelling of it
# when nothing else in the brackets is an option ("notfy" for "notify", not "note").
_MISSPELT = 0.75


@dataclass(frozen=True)
class Item:
    """One line of a cell: its text, its options, and its line number in the cell."""

    text: str
    options: tuple[Option, ...] = ()
    line: int = 1
    # Why the line's last brackets, which read as options, cannot be read (a misspelt
    # option name); the line is then an error, not text.
    problem: str | None = None

    def get(self, key: str) -> str | None:
        """The value of ``key``, or None."""
        return next((v for k, v in self.options if k == key), None)

    def has(self, key: str) -> bool:
        """Whether the option or flag ``key`` is given."""
        return any(k == key for k, _ in self.options)

    @property
    def bare(self) -> str | None:
        """The bare word leading the block (a trigger's id), if any."""
        return next((v for k, v in self.options if k is None), None)


def items(text: str, grammar: Grammar) -> list[Item]:
    """The non-blank lines of a cell, parsed."""
    found: list[Item] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            found.append(parse_item(line, grammar, number))
    return found


def parse_item(line: str, grammar: Grammar, number: int = 1) -> Item:
    """One line: the text and, when the line ends with a valid block, its options."""
    line = _BULLET.sub("", line.strip())
    problem: str | None = None
    if line.endswith("]"):
        start = len(line)
        while (start := line.rfind("[", 0, start)) >= 0:
            if start == 0 or line[start - 1].isspace():
                options = _options(line[start + 1 : -1], grammar)
                if isinstance(options, tuple):
                    return Item(unquote_cell(line[:start].strip()), options, number)
                if problem is None and options is not None:
                    problem = (
                        f"'{line[start:]}': {options}; a {grammar.what}'s options are"
                        f" {grammar.known()}; to keep the brackets as text, write the whole"
                        " line in double quotes"
                    )
    return Item(unquote_cell(line), (), number, problem)


def _options(content: str, grammar: Grammar) -> tuple[Option, ...] | str | None:
    """The options in ``content``; None when it is text; a message when it reads as
    options but one of them is unknown (most likely misspelt)."""
    parts = split_outside_quotes(content, ";")
    if parts is None:
        return None
    options: list[Option] = []
    unknown: list[str] = []  # names written as options that the grammar does not have
    for raw in parts:
        part = raw.strip()
        if not part:
            continue
        match = _KEY_VALUE.match(part)
        if match and match[1].strip().lower() in grammar.keys:
            value = _unquote_value(match[2].strip())
            if value is None:
                return None
            options.append((match[1].strip().lower(), value))
        elif part.lower() in grammar.flags:
            options.append((part.lower(), None))
        elif grammar.bare_id and _BARE.match(part) and all(k is not None for k, _ in options):
            options.append((None, part))
        elif match and _BARE.match(match[1].strip()):
            unknown.append(match[1].strip())
        elif _BARE.match(part):
            unknown.append(part)
        else:
            return None  # free text in brackets: the brackets are text
    if unknown:
        return _unknown_options(unknown, grammar, bool(options))
    if not options:
        return None
    if grammar.exactly_one_of:
        leading = [k for k, _ in options if k in grammar.exactly_one_of]
        if len(leading) != 1:
            if not options or options[0][0] is None:
                return None
            wanted = ", ".join(f"'{k}:'" for k in sorted(grammar.exactly_one_of))
            given = "none" if not leading else ", ".join(f"'{k}:'" for k in leading)
            return f"an action takes exactly one of {wanted} (given: {given})"
    return tuple(options)


def _unknown_options(unknown: list[str], grammar: Grammar, with_known: bool) -> str | None:
    """The message for option names the grammar does not have; None when the brackets
    are more likely text (nothing else in them is an option, no name is close to one)."""
    names = sorted(grammar.keys | grammar.flags)
    lowered = [n.lower() for n in unknown]
    if not with_known and not any(
        difflib.get_close_matches(n, names, n=1, cutoff=_MISSPELT) for n in lowered
    ):
        return None
    close = difflib.get_close_matches(lowered[0], names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown option '{unknown[0]}'{hint}"


def split_outside_quotes(text: str, separator: str) -> list[str] | None:
    """Split at ``separator`` outside double-quoted strings; None if a quote is open."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if quoted:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
            current.append(char)
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        return None
    parts.append("".join(current))
    return parts


def _unquote_value(value: str) -> str | None:
    if not value.startswith('"'):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, str) else None


def quote(value: str) -> str:
    """A JSON string: the escape hatch for text that would read as syntax.

    JSON leaves U+0085, U+2028 and U+2029 as they are, but they end a line for
    :meth:`str.splitlines`, which splits a cell into items; they are escaped too.
    """
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def format_item(text: str, options: list[Option], grammar: Grammar) -> str:
    """One line that :func:`parse_item` reads back as exactly ``text`` and ``options``.

    Plain forms are tried first; values, then the text, are quoted only when the plain
    line would read back differently (a ``;`` in a reason, a label ending in brackets).
    """
    expected = Item(text, tuple(options))
    for quote_values, quote_text in ((False, False), (True, False), (True, True)):
        line = _render(text, options, quote_values=quote_values, quote_text=quote_text)
        got = parse_item(line, grammar)
        one_line = len(line.splitlines()) <= 1
        same = (got.text, got.options) == (expected.text, expected.options)
        if one_line and same and got.problem is None:
            return line
    raise ValueError(f"cannot write {text!r} with {options!r} as one line")


def _render(text: str, options: list[Option], *, quote_values: bool, quote_text: bool) -> str:
    parts: list[str] = []
    for key, value in options:
        if key is None:
            parts.append(value or "")
        elif value is None:
            parts.append(key)
        else:
            plain = value == value.strip() and len(value.splitlines()) == 1
            shown = (
                value if plain and not value.startswith('"') and not quote_values else quote(value)
            )
            parts.append(f"{key}: {shown}")
    shown_text = quote(text) if quote_text or len(text.splitlines()) > 1 else text
    if not parts:
        return shown_text
    block = "[" + "; ".join(parts) + "]"
    return f"{shown_text} {block}" if shown_text else block


# --- handler arguments: ``with: category=account-takeover, privacy=true`` -------------

ArgValue = str | int | float | bool


def parse_args(text: str) -> dict[str, ArgValue]:
    """``k=v, k2=v2`` with typed values; raises ValueError naming the bad part."""
    args: dict[str, ArgValue] = {}
    parts = split_outside_quotes(text, ",")
    if parts is None:
        raise ValueError(f"a quote is not closed in '{text}'")
    for part in parts:
        if not part.strip():
            continue
        key, equals, raw = part.partition("=")
        if not equals or not key.strip():
            raise ValueError(f"'{part.strip()}' is not name=value; write e.g. 'severity=2'")
        args[key.strip()] = _arg_value(raw.strip())
    return args


def _arg_value(raw: str) -> ArgValue:
    if raw.startswith('"'):
        decoded = _unquote_value(raw)
        if decoded is None:
            raise ValueError(f"{raw} is not a closed quoted text")
        return decoded
    if raw in ("true", "false"):
        return raw == "true"
    if raw in ("inf", "-inf"):
        return float(raw)
    if _INT.match(raw):
        return int(raw)
    if _FLOAT.match(raw):
        return float(raw)
    return raw


def format_args(args: dict[str, ArgValue]) -> str:
    """The inverse of :func:`parse_args`."""
    parts: list[str] = []
    for key, value in args.items():
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif isinstance(value, int):
            shown = repr(value)
        elif isinstance(value, float):
            shown = repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
        else:
            plain = value == value.strip() and value != "" and not re.search(r'[",;=\[\]]', value)
            shown = value if plain and _arg_value(value) == value else quote(value)
        parts.append(f"{key}={shown}")
    return ", ".join(parts)


# --- the article's cells: "Response: ... Triggers: ..." --------------------------------

# The section words of the article in its languages (en, fr, id, ko, ar).
_RESPONSE_WORDS = (
    "responses|response|réponses|réponse|tanggapan|respons|respon|응답|الاستجابة|استجابة|الرد|إجابة"
)
_TRIGGER_WORDS = "triggers|trigger|déclencheurs|déclencheur|pemicu|트리거|المحفزات|محفزات|المشغلات"
_SECTION = re.compile(
    rf"^\s*(?:(?P<r>{_RESPONSE_WORDS})|(?P<t>{_TRIGGER_WORDS}))\s*[:：]\s*(?P<rest>.*)$",
    re.IGNORECASE,
)


@dataclass
class ArticleCell:
    """A matrix cell written as the article does: responses, then triggers."""

    responses: list[Item]
    triggers: list[Item]
    stray: list[tuple[int, str]]  # lines before any "Response:"/"Triggers:" heading


def article_cell(text: str) -> ArticleCell:
    """Split a cell into its ``Response:`` and ``Triggers:`` lists."""
    cell = ArticleCell([], [], [])
    section: list[Item] | None = None
    grammar = RESPONSE
    for number, line in enumerate(text.splitlines(), start=1):
        heading = _SECTION.match(line)
        if heading:
            section, grammar = (
                (cell.responses, RESPONSE) if heading["r"] else (cell.triggers, TRIGGER)
            )
            line = heading["rest"]
        if not line.strip():
            continue
        if section is None:
            cell.stray.append((number, line.strip()))
        else:
            section.append(parse_item(line, grammar, number))
    return cell
