"""Characters that no text of a definition may hold, and showing them in messages.

Every text ends up in a diagram (Graphviz refuses control characters), a spreadsheet
(XLSX is XML, which cannot hold them) or a terminal (where an escape sequence recolours
or rewrites the screen). So the models refuse them when a document is read, rather than
letting ``render`` or ``export`` fail later on a file that ``validate`` passed.
"""

from __future__ import annotations

import re

# Control characters (C0 and C1, DEL) except tab and line feed, which multi-line text
# keeps; lone UTF-16 surrogates, which cannot be written as UTF-8; and the Unicode
# non-characters (U+FDD0-U+FDEF and the last two code points of every plane).
_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)
# In messages even tab and line feed are shown as escapes: a problem is one line.
_UNPRINTABLE = re.compile(f"[\t\n{_FORBIDDEN.pattern[1:-1]}]")


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
    """``text`` with every control character, tab and line break shown as an escape
    (``\\x1b``, ``\\n``), so that a message quoting a value stays one readable line."""

    def show(match: re.Match[str]) -> str:
        char = match.group()
        if char == "\t":
            return "\\t"
        if char == "\n":
            return "\\n"
        return _escape(char)

    return _UNPRINTABLE.sub(show, text)
