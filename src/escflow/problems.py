"""Problems found in definitions: where they are, what is wrong, how bad it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
PathPart = str | int
YamlPath = tuple[PathPart, ...]


def format_path(path: YamlPath) -> str:
    """Render a YAML path the way designers read it: ``levels[2].window.max``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or doubtful (warning) in a definition file."""

    code: str
    severity: Severity
    message: str
    file: str
    line: int = 0
    column: int = 0
    path: YamlPath = ()

    @property
    def location(self) -> str:
        """``file:line:column``, the form editors and terminals turn into links.

        Definitions built in code have no lines: then only the name is given.
        """
        if self.line == 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def format(self) -> str:
        """One line: ``file:line:col: CODE [path: ]message`` (warnings say so)."""
        where = f"{format_path(self.path)}: " if self.path else ""
        tag = "" if self.severity == "error" else "warning: "
        return f"{self.location}: {self.code} {tag}{where}{self.message}"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view, used by ``--format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": format_path(self.path),
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }


__all__ = [
    "PathPart",
    "Problem",
    "Severity",
    "YamlPath",
    "format_path",
]
