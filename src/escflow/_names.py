"""What a name may hold: ids that are plain visible text, and file names that stay put.

Two rules, each kept here and nowhere else:

- :func:`invisible_in` finds, in an id (a ticket id, an idempotency key, an actor), a
  character that shows nothing or changes how the text around it shows: a control
  character, a bidirectional control (``U+202E`` turns the rest of the line around), a
  zero-width or other invisible character. An id without them reads as what it is: two
  ids that look the same are the same id, and an id on a terminal cannot rewrite it.
- :func:`check_file_name` refuses a name that would not be one plain file in the folder
  it is written to, on Linux, macOS and Windows alike (the files travel: ``flows/`` is
  committed, diagrams are handed out): ``..``, a path separator, a drive letter (``C:``),
  NUL and the other characters Windows forbids, a device name (``CON``, ``nul.txt``), a
  look-alike of ``/`` or ``.`` (``U+2215``, the fullwidth solidus), a trailing dot or
  space, more than 255 bytes. :func:`escaped_file_name` makes any text such a name.

The rules raise ``ValueError`` with the reason; each caller says where the name came from
(a sheet cell, a flow file, an option) and what would fix it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Characters that show nothing, or change how the text around them shows: each range
# and what it is (the messages name it). The invisible ones are Unicode's "default
# ignorable" code points (DerivedCoreProperties.txt), which renderers draw as nothing.
_INVISIBLE: tuple[tuple[int, int, str], ...] = (
    (0x0000, 0x001F, "a control character"),
    (0x007F, 0x009F, "a control character"),
    (0x00AD, 0x00AD, "an invisible hyphen"),
    (0x034F, 0x034F, "an invisible joiner"),
    (0x061C, 0x061C, "a bidirectional control"),
    (0x115F, 0x1160, "an invisible filler"),
    (0x17B4, 0x17B5, "an invisible vowel"),
    (0x180B, 0x180F, "an invisible variation selector"),
    (0x200B, 0x200D, "a zero-width character"),
    (0x200E, 0x200F, "a bidirectional control"),
    (0x2028, 0x2029, "a line break"),
    (0x202A, 0x202E, "a bidirectional control"),
    (0x2060, 0x2065, "a zero-width character"),
    (0x2066, 0x2069, "a bidirectional control"),
    (0x206A, 0x206F, "an invisible format character"),
    (0x3164, 0x3164, "an invisible filler"),
    (0xD800, 0xDFFF, "half of a UTF-16 surrogate pair, not a character"),
    (0xFE00, 0xFE0F, "an invisible variation selector"),
    (0xFEFF, 0xFEFF, "a zero-width character"),
    (0xFFA0, 0xFFA0, "an invisible filler"),
    (0xFFF0, 0xFFFB, "an invisible format character"),
    (0x1BCA0, 0x1BCA3, "an invisible format character"),
    (0x1D173, 0x1D17A, "an invisible format character"),
    (0xE0000, 0xE0FFF, "an invisible tag or variation selector"),
)


def _char_class(kinds: tuple[str, ...] | None = None) -> str:
    """The ranges of :data:`_INVISIBLE` (of these ``kinds`` only) as a regex class."""
    ranges = [(a, b) for a, b, kind in _INVISIBLE if kinds is None or kind in kinds]
    return "[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]"


_INVISIBLE_RE = re.compile(_char_class())

BIDI_AND_BREAKS = _char_class(("a bidirectional control", "a line break"))
"""A regex class: the bidirectional controls and the line and paragraph separators, which
make a printed line show other than what it holds (shown escaped, see spec._chars)."""


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control``, for a message."""
    code = ord(char)
    kind = next((k for a, b, k in _INVISIBLE if a <= code <= b), "a character")
    name = unicodedata.name(char, "")
    return f"U+{code:04X}{f' {name}' if name else ''}, {kind}"


def invisible_in(text: str) -> tuple[int, str] | None:
    """The position (from 1) and description of the first character of ``text`` that an
    id may not hold (see the module), or None when there is none."""
    found = _INVISIBLE_RE.search(text)
    if found is None:
        return None
    return found.start() + 1, describe(found.group())


# --- file names ---------------------------------------------------------------------------

MAX_NAME = 255
"""The most bytes a file name may have (ext4, APFS, NTFS alike)."""

_SEPARATORS = frozenset("/\\")
_WINDOWS_FORBIDS = frozenset(':*?"<>|')
# Characters drawn like a path's own characters without being them; a program that
# folds look-alikes together (NFKC, a "best fit" code page) would read another path.
# Those with a compatibility form are found by it; these have none.
_LOOKALIKES = {
    "\u2215": "/",  # DIVISION SLASH
    "\u2044": "/",  # FRACTION SLASH
    "\u29f8": "/",  # BIG SOLIDUS
    "\u2571": "/",  # BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
    "\u27cb": "/",  # MATHEMATICAL RISING DIAGONAL
    "\u1735": "/",  # PHILIPPINE SINGLE PUNCTUATION
    "\u2216": "\\",  # SET MINUS
    "\u29f5": "\\",  # REVERSE SOLIDUS OPERATOR
    "\u29f9": "\\",  # BIG REVERSE SOLIDUS
    "\u2572": "\\",  # BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
    "\u27cd": "\\",  # MATHEMATICAL FALLING DIAGONAL
    "\u2236": ":",  # RATIO
    "\ua789": ":",  # MODIFIER LETTER COLON
}
_MEANINGFUL = _SEPARATORS | _WINDOWS_FORBIDS | {"."}
# Windows keeps these for devices, with any extension and in any case (nul.txt is NUL).
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³")}
)

DEVICE_IDS = frozenset(d.lower() for d in _DEVICES if d.isascii() and d.isalnum())
"""The device names an id of lowercase letters and digits could spell (``con``, ``com1``)."""


def _looks_like(char: str) -> str | None:
    """What ``char`` may be read as, when it is a look-alike of a meaningful character."""
    if char in _LOOKALIKES:
        return _LOOKALIKES[char]
    if char.isascii():
        return None
    folded = unicodedata.normalize("NFKC", char)
    return folded if any(c in _MEANINGFUL for c in folded) else None


def _char_problem(char: str) -> str | None:
    """Why a file name may not hold ``char`` (``it holds ...``), or None when it may."""
    if char in _SEPARATORS:
        return f"it holds '{char}', which separates folders"
    if char in _WINDOWS_FORBIDS:
        drive = " (C: names a drive)" if char == ":" else ""
        return f"it holds '{char}', which Windows does not allow in a file name{drive}"
    if _INVISIBLE_RE.match(char):
        return f"it holds {describe(char)}, which cannot be seen"
    seen = _looks_like(char)
    if seen is not None:
        name = unicodedata.name(char, "")
        return f"it holds U+{ord(char):04X} {name}, which looks like '{seen}'"
    return None


def device_name(name: str) -> str | None:
    """The Windows device ``name`` stands for (``nul.txt``: ``NUL``), or None."""
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    return stem if stem in _DEVICES else None


def check_file_name(name: str) -> str:
    """``name`` unchanged when it is one plain file name on every system; ValueError saying
    why not otherwise (see the module)."""
    if not name:
        raise ValueError("a file name cannot be empty")
    if set(name) == {"."}:
        raise ValueError(f"'{name}' names a folder (this one or one above), not a file")
    for char in name:
        problem = _char_problem(char)
        if problem is not None:
            raise ValueError(f"'{name}' cannot be a file name: {problem}")
    if name[-1] in ". ":
        what = "a dot" if name[-1] == "." else "a space"
        raise ValueError(
            f"'{name}' cannot be a file name: it ends with {what}, which Windows drops"
            f" (it would be the file '{name.rstrip('. ')}')"
        )
    device = device_name(name)
    if device is not None:
        raise ValueError(
            f"'{name}' cannot be a file name: {device} is a device on Windows, with any"
            " extension and in any case"
        )
    size = len(name.encode("utf-8"))
    if size > MAX_NAME:
        raise ValueError(
            f"'{name[:40]}...' cannot be a file name: it is {size} bytes long, and a file"
            f" name holds at most {MAX_NAME}"
        )
    return name


MAX_STEM = 200
"""The most bytes of an escaped name, leaving room for its extension."""

_PARTIAL_ESCAPE = re.compile(r"%[0-9A-F]?$")


def escaped_file_name(text: str) -> str:
    """``text`` (any text: a ticket id) made the stem of a file name that
    :func:`check_file_name` takes once an extension (``.svg``) follows; one stem per text.

    Each character a file name may not hold, or that is not printable, is percent-encoded
    as in a URL (``a/b`` -> ``a%2Fb``), and so are ``%`` itself (``50%`` -> ``50%25``:
    two texts never share a stem) and ``~`` (which marks a shortened stem); so are a
    leading ``.`` (a hidden file, or ``..``) and the first letter of a device name
    (``CON`` -> ``%43ON``). The rest, accented letters too, stays as it is. A stem longer
    than :data:`MAX_STEM` bytes is cut and ends in ``~`` and a digest of the whole text.
    """
    if not text:
        raise ValueError("an empty text has no file name")
    chars = [_unsafe(c) for c in text]
    if chars and chars[0] == ".":
        chars[0] = _escaped(".")
    stem = "".join(chars)
    if device_name(stem) is not None:
        stem = _escaped(stem[0]) + stem[1:]
    if len(stem.encode("utf-8")) <= MAX_STEM:
        return stem
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    head = stem.encode("utf-8")[: MAX_STEM - len(digest) - 1].decode("utf-8", "ignore")
    return f"{_PARTIAL_ESCAPE.sub('', head)}~{digest}"


def _unsafe(char: str) -> str:
    """``char`` as it goes into an escaped name: itself, or percent-encoded when a file name
    may not hold it, when the scheme uses it, or when it is not printable (a space that
    is not the space, a private-use character)."""
    if char in "%~" or not char.isprintable() or _char_problem(char) is not None:
        return _escaped(char)
    return char


def _escaped(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
