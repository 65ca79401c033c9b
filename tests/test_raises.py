"""Every error escflow raises on purpose is a specific class of the tree in errors.py.

A bare ``EscflowError`` (or, where records are read back, a ``ValueError``) tells a
caller nothing it can act on by class: the HTTP API and the CLI map errors to answers
by class, never by message.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

SOURCE = ROOT / "src" / "escflow"
# Where a ValueError would reach a caller: replaying and applying stored records. The
# format's validators (spec, timing) raise ValueError on purpose, since pydantic turns
# it into a located problem; the sheet's cell parsers' ValueErrors are caught and
# reported at their cell.
NO_VALUE_ERROR = ("records", "runtime")


def _raised(node: ast.Raise) -> str | None:
    """The name of the class a ``raise`` statement raises, if it names one."""
    target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


def bare_raises(root: Path) -> list[str]:
    """``file:line: raise Name`` for each bare raise below ``root``."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        forbidden = {"EscflowError"}
        if relative.parts[0] in NO_VALUE_ERROR:
            forbidden.add("ValueError")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                name = _raised(node)
                if name in forbidden:
                    found.append(f"{relative}:{node.lineno}: raise {name}")
    return found


def test_no_bare_escflow_error_or_value_error_is_raised() -> None:
    assert bare_raises(SOURCE) == []


def test_the_check_finds_bare_raises(tmp_path: Path) -> None:
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "_x.py").write_text(
        "def f():\n    raise ValueError('no')\n\n\ndef g():\n    raise errors.EscflowError\n",
        encoding="utf-8",
    )
    (tmp_path / "spec.py").write_text("raise ValueError('a validator may')\n", encoding="utf-8")
    assert bare_raises(tmp_path) == [
        "runtime/_x.py:2: raise ValueError",
        "runtime/_x.py:6: raise EscflowError",
    ]
