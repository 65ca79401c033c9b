"""The public API: a curated list of names, and the README's examples run as written."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import escflow
from escflow.compile import FLOW_RULES, MATRIX_RULES
from escflow.errors import UnknownName
from tests.conftest import FLOWS, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_public_names_are_curated() -> None:
    assert sorted(escflow.__all__) == sorted(set(escflow.__all__))
    for name in escflow.__all__:
        assert hasattr(escflow, name), name
        assert not name.startswith("_") or name == "__version__"
    public = {n for n in vars(escflow) if not n.startswith("_")}
    modules = {
        "cli",
        "compile",
        "errors",
        "io",
        "problems",
        "spec",
        "timing",
        "views",
        "runtime",
        "store",
        "render",
        "fileio",
        "records",
        "whatif",
        "http",
        "report",
    }
    assert public - set(escflow.__all__) <= modules


def test_every_error_derives_from_escflow_error() -> None:
    errors = [
        getattr(escflow, n)
        for n in escflow.__all__
        if n.endswith(("Error", "Ticket", "Trigger", "Closed", "Handler"))
        and isinstance(getattr(escflow, n), type)
    ]
    errors = [e for e in errors if issubclass(e, Exception)]
    assert len(errors) >= 9
    assert all(issubclass(e, escflow.EscflowError) for e in errors)


FLOW_IDS = ", ".join(sorted(p.stem for p in FLOWS.glob("*.yaml") if p.stem != "matrix"))
COMPLAINT_STEPS = "level-1, level-2, level-3, level-4, level-5, level-6, level-7, billing"
WRONG_NAMES: dict[str, tuple[Callable[[escflow.Matrix], object], str]] = {
    "flow": (lambda m: m.flow("nope"), f"no flow 'nope' (flows: {FLOW_IDS})"),
    "misspelt flow": (
        lambda m: m.flow("complain"),
        f"no flow 'complain'; did you mean 'complaint'? (flows: {FLOW_IDS})",
    ),
    "flow not text": (
        lambda m: m.flow(1),  # type: ignore[arg-type]
        f"no flow 1: a flow is named by its id, as text (flows: {FLOW_IDS})",
    ),
    "priority": (
        lambda m: m.flow("complaint").entry("critcal"),
        "flow 'complaint' has no priority 'critcal'; did you mean 'critical'?"
        " (priorities: low, medium, high, critical)",
    ),
    "step": (
        lambda m: m.flow("complaint").level_of("bogus"),
        f"flow 'complaint' has no step 'bogus' (steps: {COMPLAINT_STEPS})",
    ),
    "level": (
        lambda m: m.flow("complaint").level("level-22"),
        f"flow 'complaint' has no level 'level-22'; did you mean 'level-2'?"
        f" (levels: {COMPLAINT_STEPS})",
    ),
}


@pytest.fixture(scope="module")
def matrix() -> escflow.Matrix:
    return escflow.load_matrix(FLOWS)


@pytest.mark.parametrize("case", list(WRONG_NAMES))
def test_a_wrong_name_is_an_escflow_error_that_names_the_known_ones(
    matrix: escflow.Matrix, case: str
) -> None:
    call, message = WRONG_NAMES[case]
    with pytest.raises(escflow.EscflowError) as caught:
        call(matrix)
    assert type(caught.value) is UnknownName  # an input error: fix the name
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "given", [str(FLOWS), FLOWS, [str(FLOWS)], (FLOWS,), [FLOWS / "matrix.yaml", FLOWS]]
)
def test_check_paths_and_load_matrix_take_one_path_or_a_list(given: object) -> None:
    report = escflow.check_paths(given)  # type: ignore[arg-type]
    assert (report.problems, report.files) == ((), len(list(FLOWS.glob("*.yaml"))))
    assert sorted(escflow.load_matrix(given).flows) == FLOW_IDS.split(", ")  # type: ignore[arg-type]


def test_what_is_not_a_path_is_reported_not_raised_from_python() -> None:
    report = escflow.check_paths([1])  # type: ignore[list-item]
    assert [p.format() for p in report.problems] == [
        "-:1:1: L010 1 is not a path: give a file or folder name, or a list of them"
    ]
    with pytest.raises(escflow.DefinitionError, match="L010 1 is not a path"):
        escflow.load_matrix(1)  # type: ignore[arg-type]


@pytest.mark.parametrize("index", range(len(re.findall(r"```python\n", README))))
def test_readme_example_runs(index: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)[index]
    # In a folder of its own beside the repository's flows: what an example writes (a
    # tickets file) starts afresh on every run; the scenarios beside them.
    (tmp_path / "flows").symlink_to(ROOT / "flows")
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md example {index + 1}", "exec"), {})


def test_readme_lists_every_check_code() -> None:
    codes = [r.code for r in FLOW_RULES] + [r.code for r in MATRIX_RULES]
    for code in codes:
        assert f"`{code}`" in README, code


def test_readme_commands_are_the_makefile_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make demo" in README
    assert "make test" in README
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
    assert Path(ROOT / "scripts" / "system-packages").exists()


def _public_modules() -> list[str]:
    """escflow and each of its modules and packages whose name has no underscore, but the
    command line (a program, not an API: nothing imports it)."""
    found = ["escflow"]
    for info in pkgutil.walk_packages(escflow.__path__, "escflow."):
        parts = info.name.split(".")
        if parts[1] != "cli" and not any(part.startswith("_") for part in parts):
            found.append(info.name)
    return found


@pytest.mark.parametrize("name", _public_modules())
def test_each_public_module_lists_its_names_once(name: str) -> None:
    module = importlib.import_module(name)
    listed = getattr(module, "__all__", None)
    assert listed is not None, f"{name} has no __all__"
    assert len(listed) == len(set(listed)), f"{name} lists a name twice"
    assert all(hasattr(module, n) for n in listed), f"{name} lists a name it lacks"
    own = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", "").startswith(f"{name}.")
    }
    assert own <= set(listed), f"{name} defines public names it does not list: {own - set(listed)}"


def test_each_name_has_one_home_below_the_top_package() -> None:
    homes: dict[int, list[str]] = {}
    for name in _public_modules()[1:]:  # the top package curates from the others
        module = importlib.import_module(name)
        for exported in module.__all__:
            value = getattr(module, exported)
            if isinstance(value, type) or callable(value):
                homes.setdefault(id(value), []).append(f"{name}.{exported}")
    twice = [places for places in homes.values() if len(places) > 1]
    assert not twice, f"exported from two modules: {twice}"
