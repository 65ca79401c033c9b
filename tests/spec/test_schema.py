"""The committed JSON Schema, checked by a standard validator against what escflow reads.

Editors (yaml-language-server) and tools (check-jsonschema) judge files by the schema
alone: it must take every shape ``validate`` takes, and refuse what it can express of
what ``validate`` refuses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from escflow.compile import check_paths
from escflow.io import import_sheet
from escflow.spec._yaml import read_documents
from tests.conftest import FIXTURES, FLOW, FLOWS, MATRIX, ROOT, Write

SCHEMA = json.loads((ROOT / "schema" / "escflow.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
CHECKS = FIXTURES / "checks"
# Problems a standard validator sees from the schema alone; fixtures showing them are
# refused by it, every other fixture is a valid document with a fault only escflow sees.
SCHEMA_SEES = {"E132"}


def _json(value: Any) -> Any:
    """A value read from YAML as JSON has it: mapping keys are text (``windows: {3: ..}``)."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _documents(path: Path) -> list[Any]:
    documents, problems = read_documents(path, path.name)
    assert problems == []
    return [_json(document.data) for document in documents]


def _errors(document: Any) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(document)]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted(FLOWS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_file_is_valid_by_the_schema(path: Path) -> None:
    for document in _documents(path):
        assert _errors(document) == [], path.name


def _fixture_codes(path: Path) -> set[str]:
    return {p.code for p in check_paths([path]).problems}


FIXTURE_FILES = sorted(CHECKS.rglob("*.yaml"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_the_check_fixtures_are_judged_by_the_schema_as_by_validate(path: Path) -> None:
    documents = _documents(path)
    if _fixture_codes(path) & SCHEMA_SEES:
        assert any(_errors(document) for document in documents), path.name
    else:
        for document in documents:
            assert _errors(document) == [], path.name


# Shapes people write that validate takes: (what is replaced in the test matrix or flow,
# by what).
VALID_SHAPES = {
    "window mapping": ("window: 15-30 minutes", "window: {min: 15 minutes, max: 30 minutes}"),
    "window with a calendar": (
        "window: 15-30 minutes",
        "window: {min: 1 business hour, max: 2 business hours, calendar: office}",
    ),
    "window across units": ("window: 15-30 minutes", "window: 30 minutes - 1 hour"),
    "window in business days": ("window: 15-30 minutes", "window: 1-2 business days"),
    "window with dots": ("window: 15-30 minutes", "window: 1..2 Hours"),
    "window with a dash": ("window: 15-30 minutes", "window: 15–30 min"),
    "a maximum only": ("window: 15-30 minutes", "window: 4 business hours"),
    "until resolution": ("window: 15-30 minutes", "window: Until Resolution"),
    "short units": ("window: 15-30 minutes", "window: 15m-1h"),
    "a repeat": ("window: 15-30 minutes", "window: 15-30 minutes\n    repeat: 2"),
    "a priority's window": (
        "levels:\n",
        "priorities:\n  urgent:\n    windows:\n      2: 5-10 minutes\nlevels:\n",
    ),
}
VALID_MATRICES = {
    "split hours": ('"09:00-17:00"', '"08:00-12:00, 13:00-17:00"'),
    "a week from Sunday": ('mon-fri: "09:00-17:00"', 'sun-thu: "09:00-17:00"'),
    "days by name": ('mon-fri: "09:00-17:00"', 'Monday-Friday: "09:00-17:00", sat: "9:00-12:00"'),
    "every day to midnight": ('mon-fri: "09:00-17:00"', 'daily: "00:00-24:00"'),
    "dates": (
        'hours: {mon-fri: "09:00-17:00"}',
        'hours: {mon-fri: "09:00-17:00"}, closed: [2026-12-24]',
    ),
    "a business day": (
        'hours: {mon-fri: "09:00-17:00"}',
        'hours: {mon-fri: "09:00-17:00"}, business_day: 7 hours',
    ),
    "shifts": (
        "  agent: {name: Agent, kind: team}\n",
        "  agent:\n    name: Agent\n    kind: team\n    members: [ana, bo]\n    shifts:\n"
        '      - {starts: "0 8 * * mon-fri", lasts: 9 hours, since: 2026-01-05}\n'
        '      - {starts: "0 20 * * *", lasts: 12h, since: "2026-01-05T20:00:00+01:00"}\n',
    ),
}


def _write_pair(write: Write, matrix: str, flow: str) -> Path:
    write("matrix.yaml", matrix)
    return write("flow.yaml", flow).parent


@pytest.mark.parametrize("shape", list(VALID_SHAPES) + list(VALID_MATRICES))
def test_shapes_validate_takes_the_schema_takes(write: Write, shape: str) -> None:
    old, new = VALID_SHAPES.get(shape) or VALID_MATRICES[shape]
    matrix = MATRIX.replace(old, new, 1) if shape in VALID_MATRICES else MATRIX
    flow = FLOW.replace(old, new, 1) if shape in VALID_SHAPES else FLOW
    assert (matrix, flow) != (MATRIX, FLOW), "the replacement must apply"
    folder = _write_pair(write, matrix, flow)
    report = check_paths([folder])
    assert report.errors == (), [p.format() for p in report.errors]
    for path in sorted(folder.glob("*.yaml")):
        for document in _documents(path):
            assert _errors(document) == [], shape


# Mistakes validate refuses that the schema can express: (replaced, by what, the code
# validate gives).
INVALID = {
    "an unknown key": ("FLOW", "    window: 15-30 minutes\n", "    windw: 15-30 minutes\n", "S001"),
    "a missing key": ("FLOW", "name: F\n", "", "S002"),
    "a bare number of minutes": ("FLOW", "window: 15-30 minutes", "window: 30", "S004"),
    "a window of no duration": ("FLOW", "window: 15-30 minutes", "window: soon", "S004"),
    "a misspelt unit": ("FLOW", "window: 15-30 minutes", "window: 1-2 busines days", "S004"),
    "a zero duration": ("FLOW", "window: 15-30 minutes", "window: {max: 0 minutes}", "S004"),
    "a decimal duration": ("FLOW", "window: 15-30 minutes", "window: 1.5-2 hours", "S004"),
    "an id in capitals": ("FLOW", "id: f\n", "id: Flow\n", "S004"),
    "an empty target": (
        "FLOW",
        "{id: done, label: Done, to: resolved}",
        "{id: done, label: Done, to: }",
        "E132",
    ),
    "two actions in one response": (
        "FLOW",
        "    window: 15-30 minutes\n",
        "    window: 15-30 minutes\n    responses:\n"
        "      - {notify: lead, message: Hi, webhook: 'https://x.example/h'}\n",
        "S001",
    ),
    "hours without minutes": ("MATRIX", '"09:00-17:00"', '"9-17"', "S004"),
    "days not named": ("MATRIX", 'mon-fri: "09:00-17:00"', 'weekdays: "09:00-17:00"', "S004"),
    "a shift length without unit": (
        "MATRIX",
        "  agent: {name: Agent, kind: team}\n",
        "  agent: {name: Agent, kind: team, members: [a],"
        ' shifts: [{starts: "0 8 * * *", lasts: 90}]}\n',
        "S004",
    ),
}


@pytest.mark.parametrize("mistake", list(INVALID))
def test_what_validate_refuses_the_schema_refuses_where_it_can_say(
    write: Write, mistake: str
) -> None:
    which, old, new, code = INVALID[mistake]
    matrix = MATRIX.replace(old, new, 1) if which == "MATRIX" else MATRIX
    flow = FLOW.replace(old, new, 1) if which == "FLOW" else FLOW
    assert (matrix, flow) != (MATRIX, FLOW), "the replacement must apply"
    folder = _write_pair(write, matrix, flow)
    assert code in {p.code for p in check_paths([folder]).errors}
    broken = folder / ("matrix.yaml" if which == "MATRIX" else "flow.yaml")
    assert any(_errors(document) for document in _documents(broken)), mistake


_SCHEMA_COMMENT = re.compile(r"^# yaml-language-server: \$schema=(?P<where>\S+)$")


def test_imported_flows_name_a_schema_that_is_beside_them(tmp_path: Path) -> None:
    out = tmp_path / "imported"
    result = import_sheet(ROOT / "examples" / "escalation-matrix.xlsx", out)
    yaml_files = sorted(out.glob("*.yaml"))
    assert len(yaml_files) == len(list(FLOWS.glob("*.yaml")))
    assert out / "escflow.schema.json" in result.written
    for path in yaml_files:
        match = _SCHEMA_COMMENT.match(path.read_text(encoding="utf-8").splitlines()[0])
        assert match is not None, path.name
        named = path.parent / match["where"]
        assert named.is_file(), f"{path.name} names {match['where']}, which is not there"
        schema = json.loads(named.read_text(encoding="utf-8"))
        assert schema == SCHEMA
        validator = Draft202012Validator(schema)
        for document in _documents(path):
            assert [e.message for e in validator.iter_errors(document)] == [], path.name
