"""From files to checked models, with every problem located in its file."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Tag, TypeAdapter, ValidationError

from escflow.problems import Problem, YamlPath
from escflow.spec._chars import visible
from escflow.spec._models import Document as DocumentModel
from escflow.spec._models import FlowDoc, MatrixDoc
from escflow.spec._yaml import MAX_BYTES, Document, read_documents

M = TypeVar("M", MatrixDoc, FlowDoc)
B = TypeVar("B", bound=BaseModel)
SUFFIXES = (".yaml", ".yml")
_ADAPTER: TypeAdapter[MatrixDoc | FlowDoc] = TypeAdapter(DocumentModel)


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A checked document and the YAML it came from (for locating later problems)."""

    model: M
    source: Document

    @property
    def file(self) -> str:
        """The file as shown in messages."""
        return self.source.file

    def problem(
        self,
        code: str,
        message: str,
        path: YamlPath,
        *,
        severity: str = "error",
        key: bool = False,
        within: str | None = None,
    ) -> Problem:
        """A problem located at ``path`` in this document (at the text ``within`` it, when
        given: a word inside a message)."""
        if within is not None:
            line, column = self.source.locate_within(path, within)
        else:
            line, column = self.source.locate(path, key=key)
        return Problem(
            code,
            "error" if severity == "error" else "warning",
            message,
            self.file,
            line,
            column,
            path,
        )


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'level-3'?"`` when a candidate is close, else ``""``."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def display_name(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def expand(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """Files to read: the given files, and every ``*.yaml``/``*.yml`` below given folders."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
            if not found:
                problems.append(
                    Problem(
                        "L011",
                        "error",
                        "no flow files here: expected *.yaml files holding a matrix and flows",
                        display_name(path),
                        1,
                        1,
                    )
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                Problem("L010", "error", "no such file or folder", display_name(path), 1, 1)
            )
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, problems


@dataclass
class Loads:
    """What :func:`load_files` found: the checked documents and every problem."""

    matrices: list[Loaded[MatrixDoc]] = field(default_factory=list)
    flows: list[Loaded[FlowDoc]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed_matrices: list[str] = field(default_factory=list)
    """The files holding a matrix that could not be read or failed its checks (the
    problems say why).

    A matrix that exists but failed is not a missing one: what flows take from it is
    unknown, not absent.
    """


# A file YAML cannot read may still be the matrix: its 'kind' line says so.
_MATRIX_KIND = re.compile(rb"^kind[ \t]*:[ \t]*[\"']?matrix[\"']?[ \t]*(?:#.*)?\r?$", re.MULTILINE)


def load_files(files: Sequence[Path], max_bytes: int = MAX_BYTES) -> Loads:
    """Read and check every document of ``files``."""
    loads = Loads()
    for path in files:
        documents, found = read_documents(path, display_name(path), max_bytes)
        loads.problems.extend(found)
        if found and not documents and _declares_matrix(path, max_bytes):
            loads.failed_matrices.append(display_name(path))
        for document in documents:
            model, found = check_document(document)
            loads.problems.extend(found)
            if isinstance(model, MatrixDoc):
                loads.matrices.append(Loaded(model, document))
            elif isinstance(model, FlowDoc):
                loads.flows.append(Loaded(model, document))
            elif isinstance(document.data, dict) and document.data.get("kind") == "matrix":
                loads.failed_matrices.append(document.file)
    return loads


def _declares_matrix(path: Path, max_bytes: int) -> bool:
    """Whether a file says ``kind: matrix`` on a line of its own, whatever else is wrong."""
    try:
        with path.open("rb") as handle:
            return _MATRIX_KIND.search(handle.read(max_bytes)) is not None
    except OSError:
        return False


def check_document(document: Document) -> tuple[MatrixDoc | FlowDoc | None, list[Problem]]:
    """Validate one YAML document against the models; all schema problems at once."""
    data = document.data
    if not isinstance(data, dict):
        line, column = document.locate(())
        return None, [
            Problem(
                "L008",
                "error",
                f"expected a mapping (key: value lines) at the top of the document, got"
                f" {_describe(data)}",
                document.file,
                line,
                column,
            )
        ]
    try:
        return _ADAPTER.validate_python(data), []
    except ValidationError as exc:
        return None, _problems(document, exc.errors())


def validate_as(document: Document, model: type[B]) -> tuple[B | None, list[Problem]]:
    """Validate one YAML document as ``model`` (another format than flows, such as a
    what-if scenario), every problem located as the flows' are."""
    if not isinstance(document.data, dict):
        line, column = document.locate(())
        got = _describe(document.data)
        return None, [
            Problem(
                "L008",
                "error",
                f"expected a mapping (key: value lines) at the top of the document, got {got}",
                document.file,
                line,
                column,
            )
        ]
    try:
        return model.model_validate(document.data), []
    except ValidationError as exc:
        return None, _problems(document, exc.errors(), root=model)


def _problems(
    document: Document, errors: Sequence[Any], *, root: Any = DocumentModel
) -> list[Problem]:
    """One problem per error, except that a value no member of a union takes is one
    problem naming what each member expects, not one contradicting fix per member."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for number, error in enumerate(errors):
        loc = tuple(error["loc"])
        path, member = _walk(document.data, loc, root)
        if member is not None and error["type"] in _EXPECTED:
            groups.setdefault(("union", loc[:member], path), []).append(error)
        else:
            groups[("one", number)] = [error]
    return [
        _problem(document, group[0], root)
        if len(group) == 1
        else _union_problem(document, group, root)
        for group in groups.values()
    ]


def _union_problem(document: Document, errors: list[Any], root: Any) -> Problem:
    path, _ = _walk(document.data, tuple(errors[0]["loc"]), root)
    expected = list(dict.fromkeys(_EXPECTED[e["type"]] for e in errors))
    expected = [e for e in expected if _COVERED_BY.get(e) not in expected]
    listed = [_IN_A_LIST.get(e, e) for e in expected]
    either = listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} or {listed[-1]}"
    return _located(
        document, "S003", f"expected {either}, got {_describe(errors[0].get('input'))}", path
    )


def _problem(document: Document, error: Any, root: Any) -> Problem:
    loc: tuple[Any, ...] = tuple(error["loc"])
    path, _ = _walk(document.data, loc, root)
    kind: str = error["type"]
    key = False
    if kind == "missing":
        name = loc[-1]
        hint = " (the format version)" if name == "escflow" else ""
        message = f"missing required key '{name}'{hint}"
        code = "S002"
    elif kind == "extra_forbidden":
        name = str(loc[-1])
        allowed = _allowed_keys(loc[:-1], root)
        message = f"unknown key '{name}'{did_you_mean(name, allowed)}"
        if allowed:
            message += f" (allowed here: {', '.join(allowed)})"
        code, key = "S001", True
    else:
        code, message = _describe_error(kind, error, loc)
        key = bool(loc) and loc[-1] == "[key]"  # a mapping's key is wrong, not its value
        if error.get("input") is None and _commented_out(document, path):
            message += "; a ' #' starts a comment, which took the text: put the text in quotes"
    return _located(document, code, message, path, key=key)


def _commented_out(document: Document, path: YamlPath) -> bool:
    """Whether the empty value at ``path`` is followed by a comment on its line, as in
    ``label: #3 is late``: the designer wrote text that YAML took as a comment."""
    if not document.text or not document.has(path):
        return False
    line, column = document.locate(path)
    row = document.text.splitlines()[line - 1] if line else ""
    return "#" in row[column - 1 :]


def _located(
    document: Document, code: str, message: str, path: YamlPath, *, key: bool = False
) -> Problem:
    line, column = document.locate(path, key=key)
    # Messages and keys quote what was written; a control character in them must not
    # reach the terminal raw (and a line break would split the one-line report).
    shown = tuple(visible(part) if isinstance(part, str) else part for part in path)
    return Problem(code, "error", visible(message), document.file, line, column, shown)


_WHOLE, _NUMBER, _TRUE_FALSE = "a whole number", "a number", "true or false"
_MAPPING = "a mapping (key: value lines)"
_DATE, _INSTANT = "a date such as 2026-12-24", "a date or instant such as 2026-01-05T09:00+01:00"
_EXPECTED = {
    "string_type": "text",
    "int_type": _WHOLE,
    "int_parsing": _WHOLE,
    "int_from_float": _WHOLE,
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "bool_type": _TRUE_FALSE,
    "dict_type": _MAPPING,
    "model_type": _MAPPING,
    "model_attributes_type": _MAPPING,
    "list_type": "a list ('- item' lines)",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "datetime_type": _INSTANT,
    "datetime_parsing": _INSTANT,
    "datetime_from_date_parsing": _INSTANT,
}
"""What a value of the wrong type should have been, by pydantic's error type."""
_COVERED_BY = {_WHOLE: _NUMBER, _DATE: _INSTANT}
"""Where a union takes both, the wider one says it all."""
_IN_A_LIST = {_TRUE_FALSE: "true/false"}
"""A phrase whose own "or" would blur a list of choices."""


def _describe_error(kind: str, error: Any, loc: tuple[Any, ...]) -> tuple[str, str]:
    given = error.get("input")
    got = _describe(given)
    field = str(loc[-1]) if loc else ""
    if kind in _EXPECTED:
        return "S003", f"expected {_EXPECTED[kind]}, got {got}"
    messages = {
        "string_too_short": "this text is empty; write something or remove the key",
        "string_too_long": "this text is longer than 2000 characters; shorten it",
        "too_short": "this list is empty; give at least one item",
    }
    if kind in messages:
        return "S003", messages[kind]
    bounds = {
        "greater_than_equal": ("ge", "at least"),
        "greater_than": ("gt", "more than"),
        "less_than_equal": ("le", "at most"),
        "less_than": ("lt", "less than"),
    }
    if kind in bounds:
        name, words = bounds[kind]
        bound = error["ctx"][name]
        shown = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        return "S003", f"give a number {words} {shown}, got {got}"
    if kind == "literal_error":
        return "S003", f"{got} is not allowed here; use {error['ctx']['expected']}"
    if kind == "string_pattern_mismatch":
        forms = {
            "country": "a country code such as 'FR' or 'ID'",
            "webhook": "an http:// or https:// URL",
            "language": "a language tag such as 'en', 'fr' or 'id'",
        }
        return "S003", f"{got} is not {forms.get(field, 'of the expected form')}"
    if kind in ("value_error", "assertion_error"):
        cause = error.get("ctx", {}).get("error")
        return "S004", str(cause) if cause is not None else error["msg"]
    if kind in ("union_tag_invalid", "union_tag_not_found", "response_kind", "document_kind"):
        return "S003", error["msg"]
    return "S003", f"{error['msg']} (got {got})"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"'{short}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return str(value)


def _walk(data: Any, loc: tuple[Any, ...], root: Any) -> tuple[YamlPath, int | None]:
    """Follow pydantic's ``loc`` through the data, dropping the union tags it inserts.

    Returns the YAML path, and the index in ``loc`` of the union member the error is
    about when it is about the value of a plain union (``str | int``), which pydantic
    tries member by member and reports once per member; None otherwise.
    """
    path: list[str | int] = []
    node = data
    current: Any = root
    member: int | None = None
    for index, part in enumerate(loc):
        tagged = _tagged_option(current, part)
        if tagged is not None:
            current = tagged
            continue
        if _names_member(current, part):
            # Which member does not matter from here: only the data says where.
            member, current = index, None
            continue
        current = _step_type(current, part) if current is not None else None
        inside_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if (isinstance(node, dict) and part in node) or inside_list:
            node = node[part]
            path.append(part)
            member = None  # the error is inside the member, not about the union's value
    return tuple(path), member


def _names_member(tp: Any, part: Any) -> bool:
    """Whether ``part`` of a ``loc`` names a member of the plain union ``tp`` (pydantic
    names them 'str', 'int', a model's class name...), not a key inside one."""
    tp = _unwrap(tp)
    if typing.get_origin(tp) not in (typing.Union, types.UnionType) or not isinstance(part, str):
        return False
    members = [o for o in typing.get_args(tp) if _unwrap(o) is not type(None)]
    return len(members) > 1 and _step_type(tp, part) is None


def _tagged_option(tp: Any, part: Any) -> Any:
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        for option in typing.get_args(tp):
            if _tag_of(option) == part:
                return option
    return None


def _allowed_keys(loc: tuple[Any, ...], root: Any) -> list[str]:
    """The keys the model at ``loc`` accepts, found by walking the model types."""
    current: Any = root
    for part in loc:
        current = _tagged_option(current, part) or _step_type(current, part)
        if current is None:
            return []
    model = _as_model(current)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _tag_of(tp: Any) -> str | None:
    if typing.get_origin(tp) is typing.Annotated:
        for meta in tp.__metadata__:
            if isinstance(meta, Tag):
                return meta.tag
    return None


def _as_model(tp: Any) -> type[BaseModel] | None:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        models = [m for m in (_as_model(a) for a in typing.get_args(tp)) if m is not None]
        return models[0] if len(models) == 1 else None
    return None


def _step_type(tp: Any, part: Any) -> Any:
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        tagged = _tagged_option(tp, part)
        if tagged is not None:
            return tagged
        non_none = [o for o in options if _unwrap(o) is not type(None)]
        if len(non_none) == 1:
            return _step_type(non_none[0], part)
        model = _as_model(tp)
        return _step_type(model, part) if model else None
    if origin is list:
        return typing.get_args(tp)[0] if isinstance(part, int) else None
    if origin is dict:
        return typing.get_args(tp)[1]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
    return None
