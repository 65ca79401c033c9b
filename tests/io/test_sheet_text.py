"""Any text a designer writes survives the cell syntax and the YAML writer unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from escflow.io._sheet_lines import (
    RESPONSE,
    TRIGGER,
    format_args,
    format_item,
    parse_args,
    parse_item,
)
from escflow.io._sheet_yaml import emit
from escflow.spec._yaml import read_documents

SURROGATES: tuple[Literal["Cs"]] = ("Cs",)  # not text: Python strings may hold them, files not
# Text as people type it, with the characters the syntaxes give meaning to.
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from([*" []\";:#-–•'\\{},=\t\n", "해", "ح", "é", "\u200f"]),
        st.characters(exclude_categories=SURROGATES),
    ),
    max_size=40,
)
IDS = st.from_regex(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")


@settings(max_examples=300, deadline=None)
@given(label=TEXT, key=IDS, to=st.none() | IDS, automatic=st.booleans(), reason=st.none() | TEXT)
def test_a_trigger_line_reads_back_as_written(
    label: str, key: str, to: str | None, automatic: bool, reason: str | None
) -> None:
    options: list[tuple[str | None, str | None]] = [
        ("id", key) if key == "automatic" else (None, key)
    ]
    if to is not None:
        options.append(("to", to))
    if automatic:
        options.append(("automatic", None))
    if reason is not None:
        options.append(("reason", reason))
    line = format_item(label, options, TRIGGER)
    assert "\n" not in line
    item = parse_item(line, TRIGGER)
    assert (item.text, list(item.options)) == (label, options)


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_a_checklist_line_reads_back_as_written(text: str) -> None:
    item = parse_item(format_item(text, [], RESPONSE), RESPONSE)
    assert (item.text, item.options) == (text, ())


@settings(max_examples=200, deadline=None)
@given(
    args=st.dictionaries(
        st.from_regex(r"\A[a-z_]{1,10}\Z"),
        st.one_of(TEXT, st.integers(), st.booleans(), st.floats(allow_nan=False)),
        max_size=4,
    )
)
def test_handler_arguments_keep_their_types(args: dict[str, str | int | float | bool]) -> None:
    parsed = parse_args(format_args(args))
    assert parsed == args
    assert [type(v) for v in parsed.values()] == [type(v) for v in args.values()]


@settings(max_examples=300, deadline=None)
@given(value=TEXT, note=TEXT)
def test_any_string_survives_the_yaml_writer(
    value: str, note: str, tmp_path_factory: object
) -> None:
    data = {
        "name": value,
        "list": [value, {"label": value, "to": "x"}],
        "channels": {"chat": value},
    }
    text = emit(data, {("name",): [note]})
    path = Path(str(tmp_path_factory.mktemp("yaml"))) / "doc.yaml"  # type: ignore[attr-defined]
    path.write_text(text, encoding="utf-8")
    documents, problems = read_documents(path, "doc.yaml")
    assert problems == []
    assert documents[0].data == data


def test_strings_yaml_would_misread_are_quoted() -> None:
    values = ["yes", "No", "on", "null", "~", "12", "1.5", "09:00", "2026-12-24", "#chat", "- x"]
    text = emit({"values": values, "ok": "Problem solved", "rtl": "حل المشكلة"})
    assert text.splitlines()[1:] == [
        "values:",
        *(f'  - "{v}"' for v in values),
        "ok: Problem solved",
        "rtl: حل المشكلة",
    ]
