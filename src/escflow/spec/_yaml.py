"""Read YAML safely and keep where every value came from.

The only module that imports PyYAML. It composes the node tree with PyYAML's safe
machinery and builds plain Python values itself, so that it can refuse duplicate keys
(PyYAML keeps the last one silently), keep ``on``/``off``/``yes``/``no`` as text, leave
dates as text for the models to parse, refuse custom tags, bound alias expansion, and
record the line and column of every key and value by its YAML path. A value reached
through an alias (``*name``) is located where the alias stands, not at its anchor: the
anchor is another path's place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from escflow.problems import Problem, YamlPath
from escflow.spec._chars import describe, visible

MAX_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

# libyaml's parser is ten times faster; its marks and errors carry the same positions.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass
class Document:
    """One YAML document: its value and the position of everything in it."""

    file: str
    data: Any = None
    values: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    text: str = field(default="", repr=False)
    """The whole file's text, to point inside a value (see :meth:`locate_within`)."""

    def locate(self, path: YamlPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value at ``path`` (or of its key).

        Falls back to the nearest enclosing node that exists, so a problem about a
        missing key points at the mapping that lacks it. A document built in code, not
        read from a file, has no positions: (0, 0).
        """
        if not self.values:
            return (0, 0)
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return (1, 1)  # unreachable: the root always has a position

    def locate_within(self, path: YamlPath, needle: str) -> tuple[int, int]:
        """Line and column of the first ``needle`` written in the value at ``path`` (a
        misspelt word inside a message), or of the value when it is not found there."""
        line, column = self.locate(path)
        if not self.text or line == 0:
            return (line, column)
        start = 0
        for _ in range(line - 1):
            start = self.text.index("\n", start) + 1
        found = self.text.find(needle, start + column - 1)
        if found < 0:
            return (line, column)
        return (self.text.count("\n", 0, found) + 1, found - self.text.rfind("\n", 0, found))

    def has(self, path: YamlPath) -> bool:
        """Whether a node exists at ``path``."""
        return path in self.values


class _Alias(yaml.Node):
    """An alias where it stands: the anchored node, and the position of the ``*name``."""

    id = "alias"

    def __init__(self, target: yaml.Node, mark: yaml.Mark) -> None:
        super().__init__(target.tag, target, mark, mark)
        self.target = target


class _Composer(yaml.composer.Composer):
    """PyYAML's composer, except that an alias becomes an :class:`_Alias`.

    The stock composer hands back the anchored node itself, whose position is the
    anchor's, so every problem under an alias would point at the anchor.
    """

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        events: Any = self  # the parser half of the loader this is mixed into
        if events.check_event(yaml.AliasEvent):
            mark = events.peek_event().start_mark
            target = super().compose_node(parent, index)
            assert target is not None  # the composer raises for an unknown alias
            return _Alias(target, mark)
        return super().compose_node(parent, index)


class _Loader(_Composer, _LOADER):  # type: ignore[misc, valid-type]
    """The fast parser's events, composed in Python so that aliases keep their place."""

    def __init__(self, stream: str) -> None:
        _LOADER.__init__(self, stream)
        self.anchors: dict[str, yaml.Node] = {}  # libyaml's loader skips Composer.__init__


class _Refused(Exception):
    def __init__(self, code: str, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.mark = mark


def _pos(mark: yaml.Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.count = 0

    def build(
        self, node: yaml.Node, path: YamlPath, depth: int = 0, at: tuple[int, int] | None = None
    ) -> Any:
        """The value of ``node`` at ``path``; ``at`` is the position of the alias the node
        was reached through, which every value under it takes."""
        if isinstance(node, _Alias):
            at = at or _pos(node.start_mark)
            node = node.target
        self.count += 1
        if self.count > MAX_NODES:
            raise _Refused(
                "L009",
                f"the document expands to more than {MAX_NODES} values (aliases?);"
                " split it or write it out plainly",
                node.start_mark,
            )
        if depth > MAX_DEPTH:
            raise _Refused("L009", f"nesting deeper than {MAX_DEPTH} levels", node.start_mark)
        self.doc.values.setdefault(path, at or _pos(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_TAG}seq":
                raise self._tag(node)
            return [
                self.build(item, (*path, i), depth + 1, at) for i, item in enumerate(node.value)
            ]
        if isinstance(node, yaml.MappingNode):
            if node.tag != f"{_TAG}map":
                raise self._tag(node)
            return self._mapping(node, path, depth, at)
        raise _Refused("L009", "unsupported YAML node", node.start_mark)

    @staticmethod
    def _tag(node: yaml.Node) -> _Refused:
        return _Refused(
            "L009",
            f"the tag '{node.tag}' is not allowed; escflow files hold plain text, numbers,"
            " lists and mappings",
            node.start_mark,
        )

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self._tag(node)
        text: str = node.value
        if node.style or node.tag == f"{_TAG}str":  # plain style is None (or "" in libyaml)
            return text
        # YAML 1.2 core schema: yes/no/on/off and dates stay text.
        if text in _NULL:
            return None
        if text in _BOOL:
            return _BOOL[text]
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        return text

    def _mapping(
        self, node: yaml.MappingNode, path: YamlPath, depth: int, at: tuple[int, int] | None
    ) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: list[tuple[yaml.Node, yaml.Node, tuple[int, int] | None]] = []
        for key_node, value_node in node.value:
            key_at = at
            if isinstance(key_node, _Alias):
                key_at, key_node = at or _pos(key_node.start_mark), key_node.target
            if key_node.tag == f"{_TAG}merge":
                merged.extend(self._merge_sources(value_node, at))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(
                    "L009", "a key must be plain text, not a list or mapping", key_node.start_mark
                )
            key = self._scalar(key_node)
            if key is None or isinstance(key, float | bool):
                raise _Refused(
                    "L009", f"'{key_node.value}' cannot be a key; quote it", key_node.start_mark
                )
            if key in result:
                first = self.doc.keys[(*path, key)]
                raise _Refused(
                    "L006",
                    f"duplicate key '{key}' (first at line {first[0]}); YAML would silently"
                    " keep only the last one: remove or rename one of them",
                    key_node.start_mark,
                )
            self.doc.keys[(*path, key)] = key_at or _pos(key_node.start_mark)
            result[key] = self.build(value_node, (*path, key), depth + 1, at)
        for key_node, value_node, merged_at in merged:
            if isinstance(key_node, _Alias):
                key_node = key_node.target
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused("L009", "a key must be plain text", key_node.start_mark)
            key = self._scalar(key_node)
            if key not in result:
                self.doc.keys[(*path, key)] = merged_at or _pos(key_node.start_mark)
                result[key] = self.build(value_node, (*path, key), depth + 1, merged_at)
        return result

    def _merge_sources(
        self, node: yaml.Node, at: tuple[int, int] | None
    ) -> Iterator[tuple[yaml.Node, yaml.Node, tuple[int, int] | None]]:
        """The key and value nodes ``<<`` merges in, with the position they take: that of
        the alias they come through (``<<: *base``), or ``at``."""
        if isinstance(node, _Alias):
            at, node = at or _pos(node.start_mark), node.target
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            source_at = at
            if isinstance(source, _Alias):
                source_at, source = at or _pos(source.start_mark), source.target
            if not isinstance(source, yaml.MappingNode):
                raise _Refused("L009", "'<<' merges only mappings", source.start_mark)
            for key_node, value_node in source.value:
                yield key_node, value_node, source_at


def _decode(raw: bytes, file: str) -> tuple[str | None, Problem | None]:
    if b"\x00" in raw:
        return None, Problem("L002", "error", "this is a binary file, not YAML text", file, 1, 1)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return None, Problem(
            "L003",
            "error",
            f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8",
            file,
            line,
            column,
        )


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = _pos(mark)
    lines = text.splitlines()
    row = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in row[: max(column, 1) + 1] or "\t" in (exc.problem or ""):
        return Problem(
            "L005",
            "error",
            "a tab character is used for indentation; YAML allows only spaces:"
            " replace the tab with spaces",
            file,
            line,
            row.find("\t") + 1 if "\t" in row else column,
        )
    what = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context else ""
    first = exc.context_mark.line if exc.context_mark is not None else line - 1
    advice = _advice(exc, lines, first, line, column)
    return Problem(
        "L004", "error", f"YAML syntax error: {what}{context}{advice}", file, line, column
    )


# A key and its plain value on one line: '  - label: text', 'label: text'.
_KEY_VALUE = re.compile(
    r"^(?P<indent>\s*(?:-\s+)*)(?P<key>[^\s#'\"{\[][^:#]*?):(?:\s+|$)(?P<value>.*)$"
)
# What makes a plain text YAML syntax: ': ' inside it, an indicator at its start.
_INDICATORS = "*&!%@`|>"
_ERRORS_OF_INDENT = (
    "mapping values are not allowed",
    "expected '-' indicator",
    "expected key",
    "expected <block end>",
)


def _advice(exc: yaml.MarkedYAMLError, lines: list[str], first: int, line: int, column: int) -> str:
    """What to do about a syntax error a designer often makes: quote a text that holds
    YAML syntax, or indent a line like its neighbours."""
    row = lines[line - 1] if 0 < line <= len(lines) else ""
    problem = f"{exc.problem} {exc.context}"
    for number in range(max(first, 0), min(line, len(lines))):
        text = lines[number]
        if " #" in text and ("flow" in problem or "expected ','" in problem):
            # A comment cut a flow mapping or list short: '{label: Issue #3, to: x}'.
            return (
                f"; on line {number + 1}, ' #' starts a comment, which cuts the text short:"
                ' put the text in quotes, e.g. label: "Issue #3"'
            )
    found = _KEY_VALUE.match(row)
    value = found["value"].strip() if found else row.strip().lstrip("-").strip()
    at = _value_start(row, column)
    if at >= 0 and ("alias" in problem or "anchor" in problem or "tag" in problem):
        return _quote_advice(row, at)
    if value and value[0] in _INDICATORS:
        return _quote_advice(row, row.index(value))
    if "mapping values are not allowed" in problem and found and column > found.end("key") + 1:
        return (
            f"; the text of '{found['key'].strip()}' holds ': ', which YAML reads as a new"
            f' key: put the text in quotes, e.g. {found["key"].strip()}: "{_shorten(value)}"'
        )
    if any(error in problem for error in _ERRORS_OF_INDENT):
        return _indent_advice(lines, line)
    return ""


def _value_start(row: str, column: int) -> int:
    """Where, at or before ``column``, a text starting with a YAML indicator begins (after
    'key: ', '- ', '[', '{' or ','), or -1."""
    for at in range(min(column, len(row)) - 1, -1, -1):
        if row[at] in _INDICATORS and (row[:at].rstrip()[-1:] or ":") in ":-,[{":
            return at
    return -1


def _quote_advice(row: str, at: int) -> str:
    """Quote the text that starts at ``row[at]`` with a character YAML reads as syntax."""
    before = row[:at]
    key = re.search(r"([^\s{,\[-][^:{,\[]*?)\s*:\s*$", before)
    inside = "{" in before or "[" in before  # a flow mapping or list: the text ends at ','
    text = re.split(r"\s*[,}\]]", row[at:])[0] if inside else row[at:].split(" #")[0]
    where = f"the text of '{key[1]}'" if key else "this text"
    return (
        f"; {where} starts with '{row[at]}', which YAML reads as syntax: put the text in"
        f' quotes, e.g. "{_shorten(text.strip())}"'
    )


def _shorten(text: str) -> str:
    text = text.replace('"', "'")
    return text if len(text) <= 40 else text[:37] + "..."


def _key_column(text: str) -> int | None:
    """Where the key of a 'key: value' line starts (0-based), past any '- '."""
    found = _KEY_VALUE.match(text)
    return len(found["indent"]) if found else None


def _indent_advice(lines: list[str], line: int) -> str:
    """'indent to column N like the key above' for a line one or two spaces off."""
    for number in (line - 1, line - 2):
        if not 0 <= number < len(lines):
            continue
        row = lines[number]
        own = len(row) - len(row.lstrip(" "))
        if not row.strip() or row.lstrip().startswith("#"):
            continue
        for above in range(number - 1, -1, -1):
            text = lines[above]
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            column = _key_column(text)
            if column is not None and 0 < abs(column - own) <= 2:
                key = text[column:].split(":", 1)[0]
                return (
                    f"; line {number + 1} starts at column {own + 1}, but the key above it"
                    f" ('{key}', line {above + 1}) at column {column + 1}: indent it to"
                    f" column {column + 1} like that key"
                )
            if column is not None and column < own:
                break
    return ""


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    """A character YAML refuses anywhere in the file, located at its line and column.

    The reader gives a byte offset (libyaml) or a character index (PyYAML); the
    character itself is found the same way under both: the first one in the text.
    """
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    index = text.find(char)
    if index < 0:
        return Problem("L004", "error", f"YAML syntax error: {exc.reason}", file, 1, 1)
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return Problem(
        "L004",
        "error",
        f"YAML syntax error: {describe(char)}, cannot be in a YAML file; delete it"
        " (tabs and line breaks are fine)",
        file,
        line,
        column,
    )


def read_documents(
    path: Path, file: str, max_bytes: int = MAX_BYTES
) -> tuple[list[Document], list[Problem]]:
    """Read every YAML document of one file.

    Returns the documents that could be read and the problems met; a file with a
    problem in its bytes or its syntax yields no documents.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return [], [
                Problem(
                    "L001",
                    "error",
                    f"the file is {size / 1048576:.1f} MiB; flow files are limited to"
                    f" {max_bytes // 1048576} MiB: split it into one file per flow",
                    file,
                    1,
                    1,
                )
            ]
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        return [], [Problem("L010", "error", f"cannot read the file: {exc.strerror}", file, 1, 1)]
    text, problem = _decode(raw, file)
    if text is None:
        return [], [problem] if problem else []
    documents: list[Document] = []
    try:
        # No '*', no alias: the stock composer (in C with libyaml) is then as exact, and faster.
        loader = _Loader if "*" in text else _LOADER
        for node in yaml.compose_all(text, Loader=loader):
            doc = Document(file, text=text)
            if node is None:
                continue
            doc.data = _Builder(doc).build(node, ())
            documents.append(doc)
    except yaml.MarkedYAMLError as exc:
        return [], [_syntax_problem(exc, text, file)]
    except yaml.reader.ReaderError as exc:
        return [], [_reader_problem(exc, text, file)]
    except yaml.YAMLError as exc:
        return [], [Problem("L004", "error", f"YAML syntax error: {exc}", file, 1, 1)]
    except _Refused as exc:
        line, column = _pos(exc.mark)
        return [], [Problem(exc.code, "error", visible(exc.message), file, line, column)]
    except RecursionError:
        return [], [Problem("L009", "error", f"nesting deeper than {MAX_DEPTH} levels", file, 1, 1)]
    if not documents:
        return [], [
            Problem(
                "L007",
                "error",
                "the file is empty: a flow file is a mapping that starts with 'escflow: 1'"
                " and 'kind: flow' (or 'kind: matrix')",
                file,
                1,
                1,
            )
        ]
    return documents, []
