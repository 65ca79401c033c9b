"""Bad input to the loader: each case gives one located problem a designer can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from escflow.compile import check_paths
from escflow.spec._yaml import read_documents
from tests.conftest import FLOW, MATRIX, Write

CASES: list[tuple[str, str | bytes, str, int, int, str]] = [
    ("empty", "", "L007", 1, 1, "the file is empty"),
    ("only-comments", "# nothing here\n", "L007", 1, 1, "the file is empty"),
    ("list-at-top", "- escflow: 1\n- kind: flow\n", "L008", 1, 1, "expected a mapping"),
    ("syntax", "escflow: 1\nkind: [flow\nid: x\n", "L004", 3, 3, "YAML syntax error"),
    ("tab", "escflow: 1\nkind: flow\nlevels:\n\t- level: 1\n", "L005", 4, 1, "tab character"),
    (
        "duplicate-key",
        "escflow: 1\nkind: flow\nkind: matrix\n",
        "L006",
        3,
        1,
        "duplicate key 'kind' (first at line 2)",
    ),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "L002", 1, 1, "binary file"),
    ("latin-1", "escflow: 1\nname: R\xe9clamation\n".encode("latin-1"), "L003", 2, 8, "not UTF-8"),
    ("custom-tag", "escflow: !!python/object:os.system 1\n", "L009", 1, 10, "is not allowed"),
    ("bad-kind", "escflow: 1\nkind: flows\n", "S003", 1, 1, "'kind' must be 'matrix' or 'flow'"),
    (
        "no-version",
        "kind: matrix\nname: M\ncontacts: {}\nissue_types: {}\n",
        "S002",
        1,
        1,
        "missing required key 'escflow' (the format version)",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "code", "line", "column", "text"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_file_gives_one_located_problem(
    write: Write, name: str, content: str | bytes, code: str, line: int, column: int, text: str
) -> None:
    path = write(f"{name}.yaml", content)
    report = check_paths([path])
    assert [(p.code, p.line, p.column) for p in report.problems] == [(code, line, column)]
    assert text in report.problems[0].message
    assert report.matrix is None


def _flow_problems(write: Write, flow: str) -> list[str]:
    write("matrix.yaml", MATRIX)
    path = write("flow.yaml", flow)
    return [p.format().split(": ", 1)[1] for p in check_paths([path.parent]).problems]


def test_unknown_key_suggests_the_right_one(write: Write) -> None:
    flow = FLOW.replace("    window: 15-30 minutes\n", "    windw: 15-30 minutes\n")
    problems = _flow_problems(write, flow)
    assert problems[0].startswith("S002 levels[0]: missing required key 'window'")
    assert problems[1].startswith(
        "S001 levels[0].windw: unknown key 'windw'; did you mean 'window'?"
    )


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ("0-30 minutes", "levels[0].window: '0-30 minutes' starts at zero"),
        ("-5 minutes", "levels[0].window: '-5 minutes' is not a duration"),
        ("{min: 0 minutes, max: 1 hour}", "levels[0].window.min: '0 minutes' is zero"),
        ("{max: 30}", "levels[0].window.max: '30' has no unit; write e.g. '30 minutes'"),
        ("{max: soon}", "levels[0].window.max: 'soon' is not a duration"),
        ("{max: 1.5 hours}", "use a smaller unit, e.g. '90 minutes'"),
        # The unit both ends share is given: the hint is the same as for '1.5 hours'.
        (
            "1.5-2 hours",
            "levels[0].window: '1.5 hours' is not a whole number; use a smaller unit,"
            " e.g. '90 minutes'",
        ),
        ("1.5-2 business hours", "use a smaller unit, e.g. '90 business minutes'"),
        ("1-1.5 business days", "e.g. '12 business hours' where a business day is 8 hours"),
        ("{max: 1.5 minutes}", "round it to whole minutes, e.g. '2 minutes'"),
        ("{max: '1.5'}", "levels[0].window.max: '1.5' has no unit; write e.g. '90 minutes'"),
        ("{min: 2 hours, max: 30 minutes}", "E106 levels[0].window.max: the window's minimum"),
        # Longer than any real window, and than the calendar a deadline can be put on.
        (
            "5-99999999999 days",
            "levels[0].window: '99999999999 days' is too long; a duration is at most 100 years",
        ),
    ],
)
def test_bad_windows_are_located(write: Write, window: str, message: str) -> None:
    problems = _flow_problems(write, FLOW.replace("window: 15-30 minutes", f"window: {window}"))
    assert any(message in p for p in problems), problems


def test_wrong_types_say_what_was_expected(write: Write) -> None:
    flow = FLOW.replace("  - level: 1\n", "  - level: one\n").replace(
        "{id: done, label: Done, to: resolved}", "{id: done, label: [Done], to: resolved}", 1
    )
    problems = _flow_problems(write, flow)
    assert "S003 levels[0].level: expected a whole number, got 'one'" in problems
    assert "S003 levels[0].triggers[0].label: expected text, got a list" in problems


def test_a_value_no_member_of_a_union_takes_is_one_problem(write: Write) -> None:
    # An argument may be text, a whole number, a number or true/false: pydantic reports
    # one error per member; the designer needs one line saying what would do.
    flow = FLOW.replace(
        "    window: 15-30 minutes\n",
        "    window: 15-30 minutes\n    responses:\n      - handler: do-thing\n"
        "        label: Do a thing\n        with: {list: [1, 2]}\n",
        1,
    )
    assert _flow_problems(write, flow) == [
        "S003 levels[0].responses[0].with.list: expected text, a number or true/false, got a list"
    ]
    shifts = "members: [a], shifts: [{starts: '0 9 * * *', lasts: 1 hour, since: soon}]"
    matrix = write("matrix.yaml", MATRIX.replace("kind: team}", f"kind: team, {shifts}}}"))
    report = check_paths([matrix])
    assert [p.format().split(": ", 1)[1] for p in report.problems] == [
        "S003 contacts.agent.shifts[0].since: expected a date or instant such as"
        " 2026-01-05T09:00+01:00, got 'soon'"
    ]


def test_handler_arguments_the_stores_cannot_keep_are_refused(write: Write) -> None:
    arguments = "{cap: 99999999999999999999, floor: -9223372036854775808, ratio: 0.5}"
    flow = FLOW.replace(
        "    window: 15-30 minutes\n",
        f"    window: 15-30 minutes\n    responses:\n      - {{handler: h, with: {arguments}}}\n",
        1,
    )
    problems = _flow_problems(write, flow)
    assert problems == [
        "S004 levels[0].responses[0].with: 'cap' is 99999999999999999999: a whole number here"
        " must fit in 64 bits"
    ]
    fitting = flow.replace("cap: 99999999999999999999", "cap: 9223372036854775807")
    assert _flow_problems(write, fitting) == []


def test_yes_no_on_off_stay_names(write: Write) -> None:
    flow = FLOW.replace(
        "{id: done, label: Done, to: resolved}", "{id: on, label: Done, to: resolved}"
    )
    write("matrix.yaml", MATRIX)
    report = check_paths([write("flow.yaml", flow).parent])
    assert report.ok
    assert report.matrix is not None
    assert report.matrix.flows["f"].steps["level-1"].triggers[0].id == "on"


def test_every_problem_of_a_file_is_reported_at_once(write: Write) -> None:
    flow = FLOW.replace("contact: agent", "contact: agnt").replace("contact: lead", "contact: led")
    flow = flow.replace("to: resolved}\n  - level: 2", "to: resolvd}\n  - level: 2")
    problems = _flow_problems(write, flow)
    codes = sorted(p.split(" ")[0] for p in problems)
    assert codes == ["E101", "E108", "E108", "W110", "W110"]


def test_usage_warnings_wait_until_every_flow_reads(write: Write) -> None:
    problems = _flow_problems(write, FLOW.replace("name: F", "nam: F"))
    assert [p.split(" ")[0] for p in problems] == ["S002", "S001"]


def test_a_huge_file_is_refused_without_reading_it(write: Write) -> None:
    path = write("huge.yaml", "")
    with path.open("wb") as out:
        out.write(b"# " + b"x" * (50 * 1024 * 1024) + b"\n")
    report = check_paths([path])
    assert [(p.code, p.line) for p in report.problems] == [("L001", 1)]
    assert "50.0 MiB" in report.problems[0].message


def test_a_folder_without_flows(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    report = check_paths([tmp_path])
    assert [p.code for p in report.problems] == ["L011"]


def test_a_missing_path(tmp_path: Path) -> None:
    report = check_paths([tmp_path / "nope"])
    assert [p.code for p in report.problems] == ["L010"]


def test_alias_expansion_is_bounded(write: Write) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)
    ]
    report = check_paths([write("bomb.yaml", "\n".join(lines) + "\n")])
    assert [p.code for p in report.problems] == ["L009"]


def test_merge_keys_keep_their_own_positions(write: Write) -> None:
    path = write("m.yaml", "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n")
    documents, problems = read_documents(path, "m.yaml")
    assert problems == []
    assert documents[0].data["other"] == {"x": 1, "y": 3}
    assert documents[0].locate(("other", "y")) == (4, 6)


ALIASED = """\
escflow: 1
kind: flow
id: f
name: F
issue_type: support
levels:
  - &L
    level: 1
    contact: agent
    window: 15-30 minutes
    triggers:
      - {id: done, label: Done, to: resolved}
  - *L
"""


def test_problems_under_an_alias_point_at_the_alias_not_the_anchor(write: Write) -> None:
    write("matrix.yaml", MATRIX)
    flow = write("flow.yaml", ALIASED)
    report = check_paths([flow])
    found = {(p.code, ".".join(map(str, p.path)), p.line, p.column) for p in report.problems}
    assert ("E102", "levels.1", 13, 5) in found, [p.format() for p in report.problems]
    assert ("E115", "levels.1.level", 13, 5) in found
    duplicate = next(p for p in report.problems if p.code == "E102")
    assert "the id 'level-1' is used twice (first at line 7)" in duplicate.message


def test_merged_keys_are_located_at_the_alias_that_merges_them(write: Write) -> None:
    path = write("m.yaml", "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b]\n")
    documents, problems = read_documents(path, "m.yaml")
    assert problems == []
    assert documents[0].locate(("base", "x")) == (1, 14)
    assert documents[0].locate(("other", "x")) == (3, 7)
    assert documents[0].locate(("list", 0)) == documents[0].locate(("list", 0, "y")) == (5, 8)


def test_utf8_bom_and_unicode_labels(write: Write) -> None:
    flow = FLOW.replace("name: F", "name: Réclamation — 고객 불만 — شكوى")
    write("matrix.yaml", MATRIX)
    path = write("flow.yaml", b"\xef\xbb\xbf" + flow.encode("utf-8"))
    report = check_paths([path.parent])
    assert report.matrix is not None
    assert report.matrix.flows["f"].name == "Réclamation — 고객 불만 — شكوى"


# Control characters and non-characters break the diagrams (dot refuses them), the
# spreadsheets (XLSX is XML) and the terminal: the loader refuses them where they are.
# The texts are written as YAML escapes in double quotes, the way they slip in.
_INVISIBLE = [
    ("nul", "\\0", "U+0000, a control character"),
    ("start-of-heading", "\\x01", "U+0001, a control character"),
    ("terminal-escape", "\\e[31m", "U+001B, a control character"),
    ("carriage-return", "\\r", "U+000D, a control character"),
    ("delete", "\\x7f", "U+007F, a control character"),
    ("next-line", "\\N", "U+0085, a control character"),
    ("non-character", "\\uFFFE", "U+FFFE, a Unicode non-character"),
    ("non-character-fdd0", "\\uFDD0", "U+FDD0, a Unicode non-character"),
    ("non-character-plane-1", "\\U0001FFFF", "U+1FFFF, a Unicode non-character"),
]


@pytest.mark.parametrize(
    ("escape", "named"), [c[1:] for c in _INVISIBLE], ids=[c[0] for c in _INVISIBLE]
)
def test_control_characters_in_a_flow_text_are_located(
    write: Write, escape: str, named: str
) -> None:
    write("matrix.yaml", MATRIX)
    flow = write("flow.yaml", FLOW.replace("label: Done,", f'label: "Do{escape}ne",', 1))
    report = check_paths([flow.parent])
    assert report.matrix is None
    [problem] = report.problems
    assert problem.location == f"{flow}:11:27"
    assert problem.format().startswith(
        f"{flow}:11:27: S004 levels[0].triggers[0].label: character 3 of this text is {named}"
    )
    assert "delete it" in problem.message


@pytest.mark.parametrize(
    ("where", "path", "line", "column", "character"),
    [
        ("matrix name", "name", 3, 7, 5),
        ("contact name", "contacts.agent.name", 9, 17, 4),
        # A key: located at the key, and shown with the escape, not the raw character.
        ("calendar days", "calendars.office.hours.mon\\x01fri", 7, 54, 4),
    ],
)
def test_control_characters_in_the_matrix_are_located(
    write: Write, where: str, path: str, line: int, column: int, character: int
) -> None:
    edits = {
        "matrix name": ("name: Test matrix", 'name: "Test\\x01matrix"'),
        "contact name": ("{name: Agent,", '{name: "Age\\x01nt",'),
        "calendar days": ('{mon-fri: "09:00-17:00"}', '{"mon\\x01fri": "09:00-17:00"}'),
    }
    old, new = edits[where]
    matrix = write("matrix.yaml", MATRIX.replace(old, new, 1))
    write("flow.yaml", FLOW)
    report = check_paths([matrix.parent])
    messages = [p.format() for p in report.problems]
    expected = f"{matrix}:{line}:{column}: S004 {path}: character {character} of this text is"
    assert any(m.startswith(f"{expected} U+0001, a control character") for m in messages), messages


def test_control_characters_in_responses_actions_and_arguments_are_refused(
    write: Write,
) -> None:
    responses = (
        "    responses:\n"
        '      - "Check\\x1b the account"\n'
        '      - {notify: lead, message: "Call\\x07 now"}\n'
        '      - {webhook: "https://example.com/\\x1b", label: Hook}\n'
        '      - {handler: h, with: {note: "a\\x00b"}}\n'
    )
    flow = FLOW.replace("    window: 15-30 minutes\n", f"    window: 15-30 minutes\n{responses}", 1)
    problems = _flow_problems(write, flow)
    assert [p.split(" of this text")[0] for p in problems] == [
        "S004 levels[0].responses[0]: character 6",
        "S004 levels[0].responses[1].message: character 5",
        "S004 levels[0].responses[2].webhook: character 21",
        "S004 levels[0].responses[3].with: 'note': character 2",
    ]


def test_tabs_and_line_breaks_stay_allowed_in_text(write: Write) -> None:
    flow = FLOW.replace(
        "name: F\n", 'name: "F\\tG"\ndescription: |\n  First line\n  \tindented by a tab\n'
    ).replace("label: Done,", 'label: "Do\\nne",', 1)
    write("matrix.yaml", MATRIX)
    report = check_paths([write("flow.yaml", flow).parent])
    assert report.ok, [p.format() for p in report.problems]
    assert report.matrix is not None
    assert report.matrix.flows["f"].name == "F\tG"


def test_a_raw_control_character_in_the_file_is_located(write: Write) -> None:
    path = write("flow.yaml", FLOW.replace("name: F\n", "name: Fé\x1bx\n"))
    report = check_paths([path])
    assert [(p.code, p.line, p.column) for p in report.problems] == [("L004", 4, 9)]
    assert "U+001B, a control character" in report.problems[0].message


def test_messages_quoting_a_value_show_its_control_characters_as_escapes(write: Write) -> None:
    flow = FLOW.replace("  - level: 1\n", '  - level: "one\\x1b[2J\\ttwo"\n', 1)
    problems = _flow_problems(write, flow)
    assert "S003 levels[0].level: expected a whole number, got 'one\\x1b[2J\\ttwo'" in problems
    assert not any(c in p for p in problems for c in "\x1b\t\n")
