"""A ticket id as a file name: readable, kept inside its folder, and one file per id.

Ticket ids may hold any visible text (``a/b``, ``../x``, ``C:\\y``), so an id is never
used as a path as it is.
"""

from __future__ import annotations

import hashlib
import re

UNSAFE = frozenset('%/\\:*?"<>|~')
"""Escaped in a file name: the path separators, what Windows forbids in a name, and the
two characters the scheme itself uses (``%`` escapes, ``~`` marks a shortened name)."""

MAX_STEM = 200
"""The most bytes of a name before its extension (file systems allow 255)."""

_PARTIAL_ESCAPE = re.compile(r"%[0-9A-F]?$")


def ticket_stem(ticket_id: str) -> str:
    """The file name, without extension, of ``ticket_id``'s diagrams.

    The characters in :data:`UNSAFE`, a leading ``.`` (a hidden file, or ``..``) and
    any character that is not printable are percent-encoded as in a URL (``a/b`` ->
    ``a%2Fb``, ``50%`` -> ``50%25``); the rest, accented letters too, stays as it is.
    Since ``%`` is escaped as well, two ids never share a name. A name longer than
    :data:`MAX_STEM` bytes is cut and ends in ``~`` and a digest of the whole id.
    """
    stem = "".join(_escaped(c) if c in UNSAFE or not c.isprintable() else c for c in ticket_id)
    if stem.startswith("."):
        stem = _escaped(".") + stem[1:]
    if len(stem.encode("utf-8")) <= MAX_STEM:
        return stem
    digest = hashlib.sha256(ticket_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    head = stem.encode("utf-8")[: MAX_STEM - len(digest) - 1].decode("utf-8", "ignore")
    return f"{_PARTIAL_ESCAPE.sub('', head)}~{digest}"


def _escaped(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
