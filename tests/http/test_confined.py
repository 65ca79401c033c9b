"""The server's libraries each stay in their place: FastAPI (and Starlette under it) in
escflow.http, uvicorn in its _server module, prometheus-client in its _metrics module,
Jinja2 (and MarkupSafe) in _console_pages; and the rest of escflow (the command line
included) imports without them."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "escflow"
HOMES = {
    "fastapi": "src/escflow/http/",
    "starlette": "src/escflow/http/",
    "uvicorn": "src/escflow/http/_server.py",
    "prometheus_client": "src/escflow/http/_metrics.py",
    "jinja2": "src/escflow/http/_console_pages.py",
    "markupsafe": "src/escflow/http/_console_pages.py",
}


def _imports() -> list[tuple[str, str, int]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in HOMES:
                    found.append((top, path.relative_to(ROOT).as_posix(), node.lineno))
    return found


def test_each_library_is_imported_only_in_its_home() -> None:
    found = _imports()
    assert {top for top, _, _ in found} == set(HOMES)
    wrong = [
        f"{file}:{line}: {top}" for top, file, line in found if not file.startswith(HOMES[top])
    ]
    assert not wrong, "imports out of place:\n" + "\n".join(wrong)


def test_the_command_line_loads_without_the_server(tmp_path: object) -> None:
    # The serve extra is optional: importing escflow and its command line must not need it.
    script = (
        "import sys\n"
        "for name in ('fastapi', 'uvicorn', 'prometheus_client', 'starlette', 'jinja2'):\n"
        "    sys.modules[name] = None\n"
        "import escflow, escflow.cli\n"
        "escflow.cli.parser()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
