"""Numbered schema migrations kept as ``.sql`` files, one folder per SQL dialect."""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations(dialect: str) -> list[tuple[int, str, str]]:
    """``(number, file name, SQL)`` of every migration of ``dialect``, in order."""
    folder = resources.files("escflow.store") / "sql" / dialect
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"{dialect} migrations are not numbered 1..N: {numbers}")
    return found


def latest(dialect: str) -> int:
    """The schema version this escflow creates and understands."""
    return len(migrations(dialect))
