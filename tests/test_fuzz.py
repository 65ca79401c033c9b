"""Thousands of random and mutated documents: only escflow's own problems come out, located."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escflow import DefinitionError, load_matrix
from escflow.compile import check_paths
from tests.conftest import FLOWS

SOURCES = {p.name: p.read_bytes() for p in sorted(FLOWS.glob("*.yaml"))}
CODE = re.compile(r"^[LSEW]\d{3}$")
NASTY = [
    "\t",
    ":",
    "-",
    "[",
    "{",
    "}",
    "&a",
    "*a",
    "!!str",
    "!x",
    "'",
    '"',
    "\x00",
    "#",
    "<<: ",
    "yes",
    "null",
    "0",
    "-1",
    "1.5",
    "~",
    "%",
    "@",
    "`",
    "é",
    "고",
    "ش",
    "\n",
    "  ",
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SOURCES)))
    lines = SOURCES[name].split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "indent", "cut"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "insert":
            where = draw(st.integers(0, len(lines[i])))
            text = draw(st.sampled_from(NASTY)).encode()
            if draw(st.booleans()):
                text = draw(st.binary(min_size=1, max_size=3))
            lines[i] = lines[i][:where] + text + lines[i][where:]
        elif action == "indent":
            lines[i] = b" " * draw(st.integers(0, 3)) + lines[i].lstrip()
        else:
            lines = lines[: i + 1]
    return name, b"\n".join(lines)


def _assert_only_located_problems(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            (Path(folder) / name).write_bytes(data)
        report = check_paths([folder])
        for problem in report.problems:
            assert CODE.match(problem.code), problem
            assert problem.line >= 1, problem
            assert problem.column >= 1, problem
            assert problem.file.endswith(".yaml"), problem
            assert problem.message, problem
        assert (report.matrix is None) == bool(report.errors)
        refused: DefinitionError | None = None
        try:
            load_matrix(folder)
        except DefinitionError as exc:
            refused = exc
        if refused is not None:
            assert refused.problems == list(report.errors)


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_of_the_real_flows(mutation: tuple[str, bytes]) -> None:
    name, data = mutation
    files = {"matrix.yaml": SOURCES["matrix.yaml"], name: data}
    _assert_only_located_problems(files)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 100),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["flow", "matrix", "15-30 minutes", "resolved", "1"]),
)
keys = st.sampled_from(
    [
        "escflow",
        "kind",
        "id",
        "name",
        "levels",
        "level",
        "contact",
        "window",
        "triggers",
        "to",
        "steps",
        "responses",
        "notify",
        "message",
        "min",
        "max",
        "teams",
        "contacts",
        "x",
    ]
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, documents, max_size=6), st.sampled_from(["flow", "matrix", None]))
def test_random_documents(document: dict[str, object], kind: str | None) -> None:
    if kind is not None:
        document = {"escflow": 1, "kind": kind, **document}
    text = yaml.safe_dump(document, allow_unicode=True)
    _assert_only_located_problems(
        {"matrix.yaml": SOURCES["matrix.yaml"], "random.yaml": text.encode()}
    )
