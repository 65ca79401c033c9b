"""Every rule has a fixture that breaks it; the fixture says where with '# expect: CODE'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from escflow.compile import FLOW_RULES, MATRIX_RULES, check_paths
from tests.conftest import FIXTURES, FLOW, FLOWS, MATRIX, Write

RULES = [(r.code, r.name, str(r.severity)) for r in FLOW_RULES] + [
    (r.code, r.name, str(r.severity)) for r in MATRIX_RULES
]

CHECKS = FIXTURES / "checks"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z]\d{3}(?:\s+[A-Z]\d{3})*)")


def _expected(path: Path) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            found.update((code, number) for code in match["codes"].split())
    return found


@pytest.mark.parametrize("fixture", sorted(CHECKS.rglob("*.yaml")), ids=lambda p: p.stem)
def test_fixture_reports_exactly_what_it_expects(fixture: Path) -> None:
    report = check_paths([fixture])
    got = {(p.code, p.line) for p in report.problems}
    assert got == _expected(fixture), "\n".join(p.format() for p in report.problems)
    assert all(p.file.endswith(fixture.name) and p.column >= 1 for p in report.problems)


def test_every_rule_has_a_fixture() -> None:
    codes = {code for code, _, _ in RULES}
    covered = {code for path in CHECKS.rglob("*.yaml") for code, _ in _expected(path)}
    assert codes - covered == set()


def test_rule_codes_are_stable_and_severity_follows_the_letter() -> None:
    for code, _, severity in RULES:
        assert re.fullmatch(r"[EW]\d{3}", code)
        assert severity == ("warning" if code[0] == "W" else "error")
    names = {(code, name) for code, name, _ in RULES}
    assert len({code for code, _ in names}) == len(names), "one code, one name"


def test_clean_definitions_compile(write: Write) -> None:
    write("m.yaml", MATRIX)
    path = write("f.yaml", FLOW)
    report = check_paths([path.parent])
    assert report.problems == ()
    assert report.matrix is not None
    assert list(report.matrix.flows) == ["f"]


def test_a_single_flow_file_finds_its_matrix_beside_it(write: Write) -> None:
    write("m.yaml", MATRIX)
    flow = write("f.yaml", FLOW.replace("contact: lead", "contact: laed"))
    report = check_paths([flow])
    assert [(p.code, p.file, p.line) for p in report.problems] == [
        ("E108", str(flow), 13),
        ("W110", str(flow.parent / "m.yaml"), 10),
    ]
    assert "did you mean 'lead'?" in report.problems[0].message


def test_a_flow_file_checked_alone_is_not_blamed_for_what_its_neighbours_use(
    write: Write,
) -> None:
    # 'billing' and the 'sales' issue type are used only by g.yaml, which is not given.
    matrix = MATRIX.replace(
        "issue_types: {support: {name: Support}}",
        "issue_types: {support: {name: Support}, sales: {name: Sales}}",
    )
    write("m.yaml", matrix + "  billing: {name: Billing, kind: team}\n")
    other = FLOW.replace("id: f", "id: g").replace("issue_type: support", "issue_type: sales")
    write("g.yaml", other.replace("contact: lead", "contact: billing"))
    # f.yaml's own mistakes (a typo, a level that gets less time) are still reported.
    flow = FLOW.replace("contact: lead", "contact: laed").replace("until resolution", "5 min")
    path = write("f.yaml", flow)
    report = check_paths([path])
    assert [(p.code, p.file) for p in report.problems] == [
        ("E108", str(path)),
        ("W107", str(path)),
    ], [p.format() for p in report.problems]
    # Checked as a whole, the folder's unused names are real and reported.
    whole = check_paths([path.parent])
    assert [p.code for p in whole.problems] == ["E108", "W107", "W110"]
    assert whole.problems[2].message == "no flow uses the contact point 'lead'"


def test_the_shipped_flows_checked_one_file_at_a_time_give_no_warning() -> None:
    flows = sorted(p for p in FLOWS.glob("*.yaml") if p.name != "matrix.yaml")
    for flow in flows:
        report = check_paths([flow])
        assert report.problems == (), [p.format() for p in report.problems]


BROKEN_MATRICES = {
    "a schema error": ("calendar: office\n", "calendr: office\n", "S001", 4, "did you mean"),
    "a syntax error": ("0.5}}", "0.5}", "L004", 7, "YAML syntax error"),
}


@pytest.mark.parametrize("given", ["folder", "flow file"])
@pytest.mark.parametrize("broken", list(BROKEN_MATRICES))
def test_a_broken_matrix_is_reported_as_it_is_not_as_missing(
    write: Write, given: str, broken: str
) -> None:
    old, new, code, line, text = BROKEN_MATRICES[broken]
    matrix = write("m.yaml", MATRIX.replace(old, new))
    # Level 2 counts business days (the matrix's calendar would apply) and only the
    # matrix's 'urgent' priority enters it: both need the matrix, which did not load.
    flow = FLOW.replace("    window: until resolution\n", "    window: 1-2 business days\n")
    path = write("f.yaml", flow.replace("window: 15-30 minutes", "window: until resolution"))
    report = check_paths([path.parent if given == "folder" else path])
    assert [(p.code, p.file, p.line) for p in report.problems] == [(code, str(matrix), line)], [
        p.format() for p in report.problems
    ]
    assert text in report.problems[0].message
    assert report.compiled == ()


def test_a_broken_flow_among_the_files_given_does_not_hide_the_matrix_beside(
    write: Write,
) -> None:
    write("m.yaml", MATRIX)
    good = write("f.yaml", FLOW)
    bad = write("g.yaml", FLOW.replace("id: f", "id: g").replace("name: F", "name: [F"))
    report = check_paths([good, bad])
    assert [(p.code, p.file) for p in report.problems] == [("L004", str(bad))]
    assert report.compiled == ("f",)


def test_the_flows_without_errors_compile_beside_one_with_errors(write: Write) -> None:
    write("m.yaml", MATRIX)
    write("f.yaml", FLOW)
    write("g.yaml", FLOW.replace("id: f", "id: g").replace("contact: lead", "contact: laed"))
    report = check_paths([write("h.yaml", FLOW.replace("id: f", "id: h")).parent])
    assert [p.code for p in report.errors] == ["E108"]
    assert report.matrix is None
    assert report.compiled == ("f", "h")


def test_a_cycle_with_no_exit_names_the_cycle() -> None:
    report = check_paths([CHECKS / "E104-no-path-to-resolution.yaml"])
    messages = [p.message for p in report.problems]
    assert any("ping -> pong -> ping" in m or "pong -> ping -> pong" in m for m in messages)
