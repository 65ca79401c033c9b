"""The layers of ../DESIGN: which part of escflow may import which, checked on the source.

Every import of an escflow module (at the top of a module or inside a function, typing-only
ones included) is an arrow from one part to another; an arrow the table below does not
allow fails the test, naming the file and line. Each package also imports on its own, in a
fresh interpreter, with the package's ``__init__`` left empty, so that no import works only
because of the order in which ``escflow/__init__.py`` happens to import things.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "escflow"

# What each part may import (beside itself and the standard library). The lowest parts come
# first; nothing may import the command line, and only the command line starts the server.
BASE = {"errors", "problems", "_names"}
ALLOWED: dict[str, set[str]] = {
    "errors": {"problems"},
    "problems": set(),
    "_names": set(),
    "fileio": BASE,
    "timing": BASE,
    "spec": BASE | {"timing"},
    "compile": BASE | {"spec", "timing"},
    "records": BASE,
    "store": BASE | {"records", "fileio"},
    "views": BASE | {"compile", "spec", "timing"},
    "runtime": BASE | {"compile", "spec", "timing", "records", "store", "fileio"},
    "render": BASE | {"compile", "spec", "timing", "records", "views", "fileio"},
    "io": BASE | {"compile", "spec", "timing", "views", "fileio", "render"},
    "report": BASE | {"compile", "spec", "timing", "records", "store", "render", "views"},
    # The simulation times windows and SLA targets with the engine's own arithmetic
    # (runtime's Timing), not a copy of it.
    "whatif": BASE
    | {"compile", "spec", "timing", "records", "runtime", "report", "views", "fileio"},
    "http": BASE
    | {"compile", "spec", "timing", "records", "store", "runtime", "render", "report", "views"},
    "_console": BASE | {"compile", "spec", "timing", "records", "runtime", "views"},
    "cli": {"*"} - {"__init__"},
    "__main__": {"cli"},
    "__init__": {"*"} - {"cli", "http", "_console"},
}


def _part(module: str) -> str:
    """The part of escflow a dotted module name belongs to (``escflow.store._sqlite``: store)."""
    names = module.split(".")
    return names[1] if len(names) > 1 else "__init__"


def _module_of(path: Path) -> str:
    dotted = ".".join(path.relative_to(SRC).with_suffix("").parts)
    return dotted.removesuffix(".__init__")


def arrows() -> list[tuple[str, str, str, int]]:
    """Every import between two parts: (from part, to part, file, line)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_of(path)
        here = _part(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target == "escflow" or target.startswith("escflow."):
                    there = _part(target)
                    if there != here:
                        found.append((here, there, str(path.relative_to(ROOT)), node.lineno))
    return found


def test_every_part_is_in_the_table() -> None:
    parts = {_part(_module_of(p)) for p in PACKAGE.rglob("*.py")}
    assert parts <= set(ALLOWED), f"parts with no row in ALLOWED: {sorted(parts - set(ALLOWED))}"


def test_imports_follow_the_layers() -> None:
    wrong = []
    for here, there, file, line in arrows():
        allowed = ALLOWED[here]
        if "*" in allowed:
            allowed = (set(ALLOWED) - {here}) - ({"*"} - allowed)
        if there not in allowed:
            wrong.append(f"{file}:{line}: {here} imports {there}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_table_finds_a_wrong_arrow() -> None:
    # The check itself: an arrow the table refuses is reported (store must not know runtime).
    assert "runtime" not in ALLOWED["store"]
    assert "cli" not in ALLOWED["http"]
    assert any(there == "records" for here, there, _, _ in arrows() if here == "store")


def _packages() -> list[str]:
    """escflow's packages and top-level modules (``escflow.store``, ``escflow.errors``...)."""
    found = {f"escflow.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    found |= {f"escflow.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem[:2] != "__"}
    return sorted(found)


# Each package alone: escflow's own's __init__ is not run (an empty package object stands in).
_ALONE = """
import importlib, sys, types
package = types.ModuleType("escflow")
package.__path__ = [{path!r}]
sys.modules["escflow"] = package
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


@pytest.mark.parametrize("module", _packages())
def test_each_package_imports_alone(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _ALONE.format(path=str(PACKAGE)), module],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"import {module} alone failed:\n{done.stderr[-2000:]}"
