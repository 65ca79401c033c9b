"""Characters that no text of a definition may hold, and showing any text safely.

Every text ends up in a diagram (Graphviz refuses control characters), a spreadsheet
(XLSX is XML, which cannot hold them) or a terminal (where an escape sequence recolours
or rewrites the screen). So the models refuse them when a document is read, rather than
letting ``render`` or ``export`` fail later on a file that ``validate`` passed.

Text from elsewhere (a ticket's notes, reasons and actors, an error a server sent) may
hold anything: :func:`visible` is how every printer shows it (messages, ``ticket
history``, tables), and :func:`visible_json` how the JSON printers write it, exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from escflow._names import BIDI_AND_BREAKS

# Control characters (C0 and C1, DEL) except tab and line feed, which multi-line text
# keeps; lone UTF-16 surrogates, which cannot be written as UTF-8; and the Unicode
# non-characters (U+FDD0-U+FDEF and the last two code points of every plane).
_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)
# Shown as escapes: even tab and line feed (a problem, an event, is one line), and the
# bidirectional controls and line separators, which make a line show other than it holds.
_UNPRINTABLE = re.compile(f"[\t\n{_FORBIDDEN.pattern[1:-1]}{BIDI_AND_BREAKS[1:-1]}]")
# What JSON keeps as written (ensure_ascii=False) but a terminal would act on: the C1
# controls, lone surrogates (which cannot be printed), bidirectional controls, separators.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\ud800-\udfff{BIDI_AND_BREAKS[1:-1]}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _kind(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "half of a UTF-16 surrogate pair, not a character"
    if code < 0xA0:
        return "a control character"
    return "a Unicode non-character"


def describe(char: str) -> str:
    """``U+001B, a control character``: a character no one can see, named for a message."""
    return f"U+{ord(char):04X}, {_kind(char)}"


def _escape(char: str) -> str:
    """The YAML double-quoted escape that writes ``char``: ``\\x1b``, ``\\ufffe``."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def check_text(value: str) -> str:
    """``value`` unchanged, or ValueError naming the first character no text may hold."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return value
    char = found.group()
    raise ValueError(
        f"character {found.start() + 1} of this text is {describe(char)}, which"
        " diagrams, spreadsheets and terminals cannot show: delete it (in double quotes,"
        f" look for an escape such as '{_escape(char)}'); tabs and line breaks are fine"
    )


def visible(text: str) -> str:
    """``text`` with every control character, tab and line break, bidirectional control
    and non-character shown as an escape (``\\x1b``, ``\\n``, ``\\u202e``), so that a
    line quoting a value stays one line that reads as what it holds."""
    return _UNPRINTABLE.sub(lambda m: _NAMED.get(m.group()) or _escape(m.group()), text)


def visible_json(
    data: Any, *, indent: int | None = 2, default: Callable[[Any], Any] | None = None
) -> str:
    """``data`` as JSON (``indent`` and ``default`` as :func:`json.dumps` takes them),
    non-ASCII text as written but each character a terminal would act on written as a
    ``\\u`` escape (JSON escapes the other controls itself): the same JSON, safe to print."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=default)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
