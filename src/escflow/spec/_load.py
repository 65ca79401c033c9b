"""From files to checked models, with every problem located in its file."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Tag, TypeAdapter, ValidationError

from escflow.problems import Problem, YamlPath
from escflow.spec._chars import visible
from escflow.spec._models import Document as DocumentModel
from escflow.spec._models import FlowDoc, MatrixDoc
from escflow.spec._yaml import MAX_BYTES, Document, read_documents

M = TypeVar("M", MatrixDoc, FlowDoc)
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
        self, code: str, message: str, path: YamlPath, *, severity: str = "error", key: bool = False
    ) -> Problem:
        """A problem located at ``path`` in this document."""
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


def load_files(
    files: Sequence[Path], max_bytes: int = MAX_BYTES
) -> tuple[list[Loaded[MatrixDoc]], list[Loaded[FlowDoc]], list[Problem]]:
    """Read and check every document of ``files``; return matrices, flows and problems."""
    matrices: list[Loaded[MatrixDoc]] = []
    flows: list[Loaded[FlowDoc]] = []
    problems: list[Problem] = []
    for path in files:
        documents, found = read_documents(path, display_name(path), max_bytes)
        problems.extend(found)
        for document in documents:
            model, found = check_document(document)
            problems.extend(found)
            if isinstance(model, MatrixDoc):
                matrices.append(Loaded(model, document))
            elif isinstance(model, FlowDoc):
                flows.append(Loaded(model, document))
    return matrices, flows, problems


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
        return None, [_problem(document, error) for error in exc.errors()]


def _problem(document: Document, error: Any) -> Problem:
    loc: tuple[Any, ...] = tuple(error["loc"])
    path = _data_path(document.data, loc)
    kind: str = error["type"]
    key = False
    if kind == "missing":
        name = loc[-1]
        hint = " (the format version)" if name == "escflow" else ""
        message = f"missing required key '{name}'{hint}"
        code = "S002"
    elif kind == "extra_forbidden":
        name = str(loc[-1])
        allowed = _allowed_keys(loc[:-1])
        message = f"unknown key '{name}'{did_you_mean(name, allowed)}"
        if allowed:
            message += f" (allowed here: {', '.join(allowed)})"
        code, key = "S001", True
    else:
        code, message = _describe_error(kind, error, loc)
        key = bool(loc) and loc[-1] == "[key]"  # a mapping's key is wrong, not its value
    line, column = document.locate(path, key=key)
    # Messages and keys quote what was written; a control character in them must not
    # reach the terminal raw (and a line break would split the one-line report).
    shown = tuple(visible(part) if isinstance(part, str) else part for part in path)
    return Problem(code, "error", visible(message), document.file, line, column, shown)


def _describe_error(kind: str, error: Any, loc: tuple[Any, ...]) -> tuple[str, str]:
    given = error.get("input")
    got = _describe(given)
    field = str(loc[-1]) if loc else ""
    messages = {
        "string_type": f"expected text, got {got}",
        "int_type": f"expected a whole number, got {got}",
        "int_parsing": f"expected a whole number, got {got}",
        "int_from_float": f"expected a whole number, got {got}",
        "float_type": f"expected a number, got {got}",
        "float_parsing": f"expected a number, got {got}",
        "bool_type": f"expected true or false, got {got}",
        "dict_type": f"expected a mapping (key: value lines), got {got}",
        "model_type": f"expected a mapping (key: value lines), got {got}",
        "model_attributes_type": f"expected a mapping (key: value lines), got {got}",
        "list_type": f"expected a list ('- item' lines), got {got}",
        "date_type": f"expected a date such as 2026-12-24, got {got}",
        "date_parsing": f"expected a date such as 2026-12-24, got {got}",
        "date_from_datetime_parsing": f"expected a date such as 2026-12-24, got {got}",
        "datetime_type": f"expected a date or instant such as 2026-01-05T09:00+01:00, got {got}",
        "string_too_short": "this text is empty; write something or remove the key",
        "string_too_long": "this text is longer than 2000 characters; shorten it",
        "too_short": "this list is empty; give at least one item",
    }
    if kind in messages:
        return "S003", messages[kind]
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


def _data_path(data: Any, loc: tuple[Any, ...]) -> YamlPath:
    """Follow pydantic's ``loc`` through the data, dropping the union tags it inserts."""
    path: list[str | int] = []
    node = data
    current: Any = DocumentModel
    for part in loc:
        tagged = _tagged_option(current, part)
        if tagged is not None:
            current = tagged
            continue
        current = _step_type(current, part) if current is not None else None
        inside_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if (isinstance(node, dict) and part in node) or inside_list:
            node = node[part]
            path.append(part)
    return tuple(path)


def _tagged_option(tp: Any, part: Any) -> Any:
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        for option in typing.get_args(tp):
            if _tag_of(option) == part:
                return option
    return None


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the model at ``loc`` accepts, found by walking the model types."""
    current: Any = DocumentModel
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
