"""A small YAML writer for definitions: block style, keys in the given order, comments.

escflow reads YAML with its own strict loader (:mod:`escflow.spec._yaml`); this writer
produces files a person would have written: short mappings of scalars on one line
(``channels: {email: ..., chat: ...}``), long descriptions folded, and strings quoted
only where YAML would read them as something else (numbers, booleans, dates, null,
times such as ``09:00``) or where they hold YAML syntax. Unicode is written as is.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from escflow.problems import YamlPath

SCHEMA_COMMENT = "# yaml-language-server: $schema=escflow.schema.json"
WIDTH = 88
# Mappings and lists of scalars written on one line when they fit.
_FLOW_KEYS = frozenset({"channels", "holidays", "with", "members", "closed", "open"})
_SPECIAL = re.compile(
    r"""^(?:
        ~|null|true|false|yes|no|on|off|y|n            # null and YAML 1.1 booleans
        |[-+]?(?:0|[1-9][0-9_]*)                          # integers
        |[-+]?0[0-7_]+|[-+]?0x[0-9a-f_]+|[-+]?0o[0-7]+|[-+]?0b[01_]+
        |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:e[-+]?[0-9]+)?  # floats
        |[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?e[-+]?[0-9]+
        |[-+]?\.(?:inf|nan)
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?  # sexagesimal (YAML 1.1): 09:00
        |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*                  # dates and timestamps
        |<<|=
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
# Valid plain, but quoted by convention so that readers (and YAML tools that guess
# types) see text: clock times ("09:00-17:00"), phone numbers, cron expressions.
_CONVENTIONAL_QUOTES = re.compile(r"\d:\d\d|^\+|\*")
# Characters YAML reads as line breaks, beside \n and \r.
_BREAKS = "\x85\u2028\u2029"
# YAML's printable set; anything else must be escaped inside double quotes.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def emit(data: dict[str, Any], notes: dict[YamlPath, list[str]] | None = None) -> str:
    """A whole document: the schema comment, the root notes, then the mapping."""
    writer = _Writer(notes or {})
    lines = [SCHEMA_COMMENT, *_comment_lines(writer.take(()), 0)]
    writer.mapping(lines, data, 0, ())
    return "\n".join(lines) + "\n"


def _comment_lines(notes: list[str], indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for note in notes:
        for line in note.splitlines() or [""]:
            # A comment cannot escape anything: characters YAML forbids are shown as codes.
            shown = _NON_PRINTABLE.sub(lambda m: f"<U+{ord(m[0]):04X}>", line)
            out.append(f"{pad}# {shown}".rstrip())
    return out


class _Writer:
    def __init__(self, notes: dict[YamlPath, list[str]]) -> None:
        self.notes = notes

    def take(self, path: YamlPath) -> list[str]:
        """The notes at ``path`` (each is written once)."""
        return self.notes.pop(path, [])

    def take_below(self, path: YamlPath) -> list[str]:
        """The notes at ``path`` and below it, for a collection written on one line."""
        found = self.take(path)
        for other in [p for p in self.notes if p[: len(path)] == path]:
            found.extend(self.notes.pop(other))
        return found

    def mapping(self, lines: list[str], data: dict[Any, Any], indent: int, path: YamlPath) -> None:
        """Write a block mapping at ``indent``."""
        pad = " " * indent
        for key, value in data.items():
            child: YamlPath = (*path, key)
            name = _key(key)
            inline = _inline(key, value, indent, path)
            top_block = not path and isinstance(value, dict | list) and value and inline is None
            if top_block and len(lines) > 1 and not lines[-1].startswith("#"):
                lines.append("")
            notes = self.take_below(child) if inline is not None else self.take(child)
            if notes and path and key != next(iter(data)) and lines[-1] != "":
                lines.append("")  # a comment inside a mapping starts a group of keys
            lines.extend(_comment_lines(notes, indent))
            if inline is not None:
                lines.append(f"{pad}{name}: {inline}")
            elif isinstance(value, dict):
                lines.append(f"{pad}{name}:")
                self.mapping(lines, value, indent + 2, child)
            elif isinstance(value, list):
                lines.append(f"{pad}{name}:")
                self.sequence(lines, value, indent + 2, child)
            else:
                lines.extend(_scalar_lines(f"{pad}{name}:", value, indent))

    def sequence(self, lines: list[str], data: list[Any], indent: int, path: YamlPath) -> None:
        """Write a block sequence at ``indent``; top-level lists of mappings get blank lines."""
        pad = " " * indent
        spaced = len(path) == 1 and all(isinstance(v, dict) for v in data)
        for index, value in enumerate(data):
            child: YamlPath = (*path, index)
            if spaced and index:
                lines.append("")
            if isinstance(value, dict) and value:
                first = next(iter(value))
                notes = self.take(child) + self.take((*child, first))
                lines.extend(_comment_lines(notes, indent))
                body: list[str] = []
                self.mapping(body, value, indent + 2, child)
                lines.extend(_item(body, indent))
            elif isinstance(value, list) and value:
                lines.extend(_comment_lines(self.take(child), indent))
                body = []
                self.sequence(body, value, indent + 2, child)
                lines.extend(_item(body, indent))
            else:
                lines.extend(_comment_lines(self.take(child), indent))
                lines.extend(_scalar_lines(f"{pad}-", value, indent + 2))


def _item(body: list[str], indent: int) -> list[str]:
    """Turn the lines of a nested collection into a list item: ``- `` on its first line."""
    first = next(i for i, line in enumerate(body) if not line.lstrip().startswith("#"))
    comments = [line[2:] for line in body[:first]]
    return [*comments, " " * indent + "- " + body[first][indent + 2 :], *body[first + 1 :]]


def _key(key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    return _scalar(str(key), flow=True)


def _inline(key: Any, value: Any, indent: int, path: YamlPath) -> str | None:
    """The one-line form of a short collection of scalars, when one is wanted."""
    if isinstance(value, dict | list) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    wanted = key in _FLOW_KEYS or (path == ("sla",) and isinstance(value, dict))
    if not wanted:
        return None
    if isinstance(value, dict) and all(_is_scalar(v) for v in value.values()):
        text = (
            "{" + ", ".join(f"{_key(k)}: {_scalar(v, flow=True)}" for k, v in value.items()) + "}"
        )
    elif isinstance(value, list) and all(_is_scalar(v) for v in value):
        text = "[" + ", ".join(_scalar(v, flow=True) for v in value) + "]"
    else:
        return None
    return text if indent + len(str(key)) + 2 + len(text) <= 100 else None


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _scalar_lines(head: str, value: Any, indent: int) -> list[str]:
    """``key: value``, or a folded block for a long single-paragraph text."""
    if isinstance(value, str):
        folded = _folded(value, indent + 2)
        if folded is not None:
            return [f"{head} {folded[0]}", *folded[1:]]
    return [f"{head} {_scalar(value)}"]


def _folded(text: str, indent: int) -> list[str] | None:
    body = text[:-1] if text.endswith("\n") else text
    if (
        len(body) <= WIDTH - indent
        or "\n" in body
        or "  " in body
        or body != body.strip()
        or "\t" in body
        or _NON_PRINTABLE.search(body)
        or any(c in body for c in _BREAKS + "\ufeff")
    ):
        return None
    pad = " " * indent
    lines: list[str] = []
    current = ""
    for word in body.split(" "):
        if current and len(current) + 1 + len(word) > WIDTH - indent:
            lines.append(pad + current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(pad + current)
    return [">" if text.endswith("\n") else ">-", *lines]


def _scalar(value: Any, *, flow: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if _plain(text, flow=flow) else _double_quoted(text)


def _plain(text: str, *, flow: bool) -> bool:
    if not text or text != text.strip() or _NON_PRINTABLE.search(text):
        return False
    if any(c in text for c in "\n\r\t\ufeff" + _BREAKS) or text[0] in _INDICATORS:
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and any(c in text for c in ",[]{}"):
        return False
    return not _SPECIAL.match(text) and not _CONVENTIONAL_QUOTES.search(text)


def _double_quoted(text: str) -> str:
    escapes = {
        "\\": "\\\\",
        '"': '\\"',
        "\n": "\\n",
        "\t": "\\t",
        "\r": "\\r",
        "\x85": "\\N",
        "\u2028": "\\L",
        "\u2029": "\\P",
        "\ufeff": "\\ufeff",
    }
    out: list[str] = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif _NON_PRINTABLE.match(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
