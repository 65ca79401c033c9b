"""The comments of a YAML file, each tied to the YAML path it annotates.

The loader keeps no comments, but it records where every key and value starts; a
comment on a line of its own belongs to the next key (or to the document, before its
first key), a comment at the end of a line to the innermost key on that line. The
export writes them as cell notes, and the import turns notes back into comments.
"""

from __future__ import annotations

import re
from pathlib import Path

from escflow.problems import YamlPath
from escflow.spec._yaml import Document, read_documents

_BLOCK_SCALAR = re.compile(r"(?:^|[\s:-])[|>][+-]?[0-9]?[+-]?\s*$")
_SCHEMA = "yaml-language-server:"


def file_comments(path: Path) -> list[tuple[Document, dict[YamlPath, list[str]]]]:
    """Each document of the file with its comments by path; [] if it cannot be read."""
    documents, problems = read_documents(path, str(path))
    if problems or not documents:
        return []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    starts = [doc.values.get((), (1, 1))[0] for doc in documents]
    found: list[dict[YamlPath, list[str]]] = [{} for _ in documents]
    positions = _positions(documents)
    pending: list[str] = []
    block_indent: int | None = None
    previous: tuple[int, YamlPath] | None = None
    started: set[int] = set()
    for number, line in enumerate(lines, start=1):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                continue
            block_indent = None
        column = _comment_column(line)
        code = line[:column] if column is not None else line
        comment = line[column + 1 :].strip() if column is not None else None
        if not code.strip():
            if comment is not None and not comment.startswith(_SCHEMA):
                pending.append(comment)
            elif comment is None and pending and pending[-1] != "":
                pending.append("")  # a blank line ends a paragraph of comments
            continue
        if code.strip() == "---":
            continue
        doc = max((i for i, start in enumerate(starts) if start <= number), default=0)
        here = positions.get((doc, number))
        if pending:
            # Comments above a document's first key are about the whole document.
            target: YamlPath = here[0] if here and doc in started else ()
            _add(found[doc], target, "\n".join(pending).strip("\n"))
            pending = []
        started.add(doc)
        if comment is not None:
            annotated = here[1] if here else (previous[1] if previous else ())
            _add(found[doc], annotated, comment)
        if here:
            previous = (doc, here[0])
        if _BLOCK_SCALAR.search(code):
            block_indent = indent
    return list(zip(documents, found, strict=True))


def _add(notes: dict[YamlPath, list[str]], path: YamlPath, text: str) -> None:
    if text:
        notes.setdefault(path, []).append(text)


def _positions(documents: list[Document]) -> dict[tuple[int, int], tuple[YamlPath, YamlPath]]:
    """(document, line) -> (outermost entry starting on it, innermost key on it).

    An entry is a key, or an item of a list; a mapping or list that merely starts on
    the line (the value of a key above) is not, so a comment above ``- level: 1`` goes
    to that level, not to the whole list.
    """
    spots: dict[tuple[int, int], list[tuple[int, YamlPath, bool]]] = {}
    for index, doc in enumerate(documents):
        for path, (line, column) in doc.values.items():
            if path and isinstance(path[-1], int):
                spots.setdefault((index, line), []).append((column, path, False))
        for path, (line, column) in doc.keys.items():
            spots.setdefault((index, line), []).append((column, path, True))
    result: dict[tuple[int, int], tuple[YamlPath, YamlPath]] = {}
    for key, found in spots.items():
        outer = min(found, key=lambda s: (s[0], len(s[1])))[1]
        keys = [s for s in found if s[2]] or found
        inner = max(keys, key=lambda s: (s[0], len(s[1])))[1]
        result[key] = (outer, inner)
    return result


def _comment_column(line: str) -> int | None:
    """Where a ``#`` comment starts, outside quotes; None when the line has none."""
    quote: str | None = None
    previous = " "
    index = 0
    while index < len(line):
        char = line[index]
        if quote == '"':
            if char == "\\":
                index += 1
            elif char == '"':
                quote = None
        elif quote == "'":
            if char == "'":
                quote = None
        elif char in "\"'" and previous in " \t[{,:-":
            quote = char
        elif char == "#" and previous in " \t":
            return index
        previous = char
        index += 1
    return None
