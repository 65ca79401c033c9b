"""Load, check and compile: files in, a :class:`Matrix` (or every problem) out."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from escflow.compile._checks import FlowContext, MatrixContext, run_flow_rules, run_matrix_rules
from escflow.compile._compiled import (
    CompiledFlow,
    CompiledLevel,
    CompiledStep,
    CompiledTrigger,
    EffectivePriority,
    Matrix,
    TriggerKind,
)
from escflow.compile._graph import FlowGraph
from escflow.compile._index import FlowIndex, StepRef, TriggerRef, build_index
from escflow.compile._partial import partial_matrix
from escflow.errors import DefinitionError
from escflow.problems import Problem
from escflow.spec._load import SUFFIXES, Loaded, Loads, expand, load_files
from escflow.spec._models import (
    FORMAT_VERSION,
    RESOLVED,
    SLA_WARNING,
    FlowDoc,
    MatrixDoc,
    NotifyAction,
)
from escflow.spec._yaml import MAX_BYTES, Document

StrPath = str | PathLike[str]


@dataclass(frozen=True)
class Report:
    """The outcome of checking definitions: every problem, and the matrix when usable."""

    problems: tuple[Problem, ...]
    matrix: Matrix | None
    files: int
    compiled: tuple[str, ...] = ()
    """The ids of the flows that compiled without error, even when others have errors."""
    partial: Matrix | None = None
    """What can still run when flow files have errors: the flows that checked clean, and
    in ``broken`` each file with errors and the flow ids it concerns (whose new tickets
    :meth:`Matrix.flow <escflow.compile.Matrix.flow>` refuses). ``matrix`` itself when
    there is no error; None when the matrix document has errors (or there is none, or
    two), which every flow depends on."""

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that stop the definitions from running."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems worth a look that do not stop anything."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors


def check_paths(
    paths: StrPath | Iterable[StrPath] = "flows", *, max_bytes: int = MAX_BYTES
) -> Report:
    """Check the matrix and flows in ``paths``; never raises for bad input.

    ``paths`` is one file or folder (a ``str`` or path-like), or a list of them:
    ``check_paths("flows")``, ``check_paths(["flows/matrix.yaml", "flows/complaint.yaml"])``.
    A path that is not there (or not a path at all) is reported as a problem.

    When no matrix document is among them, the folders of the given files are searched
    for one, so a single flow file can be checked on its own. A matrix that is there but
    fails its checks is reported as it is; the flow rules that need it then stay quiet
    rather than report what only its absence would explain. So do the rules about what
    no flow uses (W110, W120) when that folder holds flows that were not given.
    """
    given, problems = _as_paths(paths)
    files, missing = expand(given)
    problems.extend(missing)
    loads = load_files(files, max_bytes)
    problems.extend(loads.problems)
    matrices, failed, flows = loads.matrices, loads.failed_matrices, loads.flows
    every_flow = True
    if not matrices and not failed and flows:
        beside, every_flow = _matrix_beside(files, max_bytes)
        problems.extend(beside.problems)
        matrices, failed = beside.matrices, beside.failed_matrices
    matrix = matrices[0] if matrices else None
    for extra in matrices[1:]:
        assert matrix is not None
        problems.append(
            extra.problem(
                "E121", f"a second matrix document (the first is in {matrix.file}); keep one", ()
            )
        )
    if matrix is None and not failed and flows:
        problems.append(
            flows[0].problem(
                "E121",
                "no matrix document found: put a file with 'kind: matrix' (contact points,"
                " calendars, priorities, issue types) beside the flows",
                (),
            )
        )
    if not files and not problems:
        problems.append(Problem("L011", "error", "no flow files given", "-", 1, 1))
    contexts, duplicates = _flow_contexts(flows, matrix.model if matrix else None)
    problems.extend(duplicates)
    clean: list[FlowContext] = []
    for context in contexts:
        found = run_flow_rules(context)
        problems.extend(found)
        if not any(p.severity == "error" for p in found):
            clean.append(context)
    compiled: dict[str, CompiledFlow] = {}
    sound = False  # one matrix, without an error of its own: flows can run on it
    if matrix is not None:
        readable = not any(p.code[0] in "LS" and p.file != matrix.file for p in problems)
        complete = readable and every_flow
        found = run_matrix_rules(MatrixContext(matrix, contexts, complete))
        problems.extend(found)
        # A flow compiles against one sound matrix; an error in it (or a second one)
        # leaves every flow without a definition to run on.
        sound = len(matrices) == 1 and not failed
        sound = sound and not any(p.severity == "error" for p in found)
        if sound:
            compiled = {c.flow.id: _build(c, matrix.model) for c in clean}
    problems.sort(key=lambda p: (p.file, p.line, p.column, p.code))
    result: Matrix | None = None
    partial: Matrix | None = None
    if matrix is not None and not any(p.severity == "error" for p in problems):
        warnings = tuple(p for p in problems if p.severity == "warning")
        result = partial = Matrix(matrix.model, matrix.file, compiled, warnings)
    elif matrix is not None and sound:  # only flows have errors: the others can run
        partial = partial_matrix(matrix.model, matrix.file, compiled, problems, max_bytes)
    return Report(tuple(problems), result, len(files), tuple(compiled), partial)


def load_matrix(*paths: StrPath | Iterable[StrPath], partial: bool = False) -> Matrix:
    """Load, check and compile the definitions in ``paths`` (default ``flows/``).

    Each argument is a file or folder (a ``str`` or path-like), or a list of them, as
    :func:`check_paths` takes: ``load_matrix("flows")``, ``load_matrix(["flows"])`` and
    ``load_matrix("flows/matrix.yaml", "flows/complaint.yaml")`` all work.

    Raises :class:`~escflow.errors.DefinitionError` listing every error found. With
    ``partial``, flow files with errors are left out instead (:attr:`Report.partial`:
    ``matrix.broken`` names them), and only an error of the matrix document raises:
    an :class:`~escflow.runtime.Engine` built on it runs every other flow, and the
    running tickets of the broken ones.
    """
    given = [path for each in paths for path in _one_or_many(each)]
    report = check_paths(given if paths else "flows")
    found = report.partial if partial else report.matrix
    if found is None:
        raise DefinitionError(list(report.errors))
    return found


def compile_flow(matrix: MatrixDoc, flow: FlowDoc, *, file: str = "<flow>") -> CompiledFlow:
    """Check one flow against a matrix and compile it.

    Raises :class:`~escflow.errors.DefinitionError` when the flow has errors. Problems
    are located by YAML path only (models carry no line numbers); load files with
    :func:`load_matrix` to get lines and columns.
    """
    loaded = Loaded(flow, Document(file, flow.model_dump(mode="json", by_alias=True)))
    contexts, _ = _flow_contexts([loaded], matrix)
    errors = [p for p in run_flow_rules(contexts[0]) if p.severity == "error"]
    if errors:
        raise DefinitionError(errors)
    return _build(contexts[0], matrix)


def _one_or_many(paths: object) -> list[Any]:
    """``paths`` as a list: one path (a ``str`` is one path, not its letters) or many."""
    if isinstance(paths, str | bytes | PathLike) or not isinstance(paths, Iterable):
        return [paths]
    return list(paths)


def _as_paths(paths: object) -> tuple[list[Path], list[Problem]]:
    """The paths in ``paths`` (see :func:`_one_or_many`); what is not a path at all
    becomes a problem, as a missing file does."""
    found: list[Path] = []
    problems: list[Problem] = []
    for each in _one_or_many(paths):
        if isinstance(each, str | PathLike) and not isinstance(os.fspath(each), bytes):
            found.append(Path(each))
        else:
            problems.append(
                Problem(
                    "L010",
                    "error",
                    f"{each!r} is not a path: give a file or folder name, or a list of them",
                    "-",
                    1,
                    1,
                )
            )
    return found, problems


def _matrix_beside(files: list[Path], max_bytes: int) -> tuple[Loads, bool]:
    """The first file beside ``files`` that holds a matrix document: its matrix (loaded
    or failed) and the problems of that file, so a broken matrix is reported, not missed;
    and whether ``files`` are every other file there.

    When they are not, the folder's other flows were not read, and what the matrix
    defines may well be used by them: the rules about what no flow uses must not judge.
    """
    folders = list(dict.fromkeys(f.parent for f in files))
    candidates = [
        p for folder in folders for p in sorted(folder.glob("*.y*ml")) if p.resolve() not in files
    ]
    for candidate in candidates:
        found = load_files([candidate], max_bytes)
        if found.matrices or found.failed_matrices:
            # Its flows are not among those asked about; only the matrix is wanted here.
            loads = Loads(found.matrices[:1], [], found.problems, found.failed_matrices[:1])
            # What checking the folder would read, subfolders too (see ``expand``).
            there = {
                p.resolve()
                for folder in folders
                for p in folder.rglob("*")
                if p.suffix in SUFFIXES and p.is_file()
            }
            return loads, there <= {*files, candidate.resolve()}
    return Loads(), True


def _flow_contexts(
    flows: list[Loaded[FlowDoc]], matrix: MatrixDoc | None
) -> tuple[list[FlowContext], list[Problem]]:
    contexts: list[FlowContext] = []
    problems: list[Problem] = []
    seen: dict[str, Loaded[FlowDoc]] = {}
    for loaded in flows:
        first = seen.setdefault(loaded.model.id, loaded)
        if first is not loaded:
            problems.append(
                loaded.problem(
                    "E102",
                    f"the flow id '{loaded.model.id}' is used twice (first in {first.file}:"
                    f"{first.source.locate(('id',))[0]})",
                    ("id",),
                )
            )
            continue
        index = build_index(loaded.model)
        contexts.append(FlowContext(loaded, index, matrix, FlowGraph(index)))
    return contexts, problems


def _kind(index: FlowIndex, trigger: TriggerRef) -> TriggerKind:
    assert trigger.target is not None
    if trigger.target == RESOLVED:
        return "resolution"
    source = trigger.source
    target = index.step_by_id[trigger.target]
    if target.unit is source.unit:
        return "step" if target.position > source.position else "loop"
    if target.unit.team:
        return "functional"  # a team is reached for its skill, whatever the route
    if target.position == 0 and source.unit.next == target.unit.id:
        return "hierarchical"
    if (
        not target.unit.team
        and not source.unit.team
        and (target.unit.level.level <= source.unit.level.level)
    ):
        return "loop"
    return "functional"


def _build(context: FlowContext, matrix: MatrixDoc) -> CompiledFlow:
    flow, index = context.flow, context.index
    steps: dict[str, CompiledStep] = {}
    levels: list[CompiledLevel] = []
    for unit in index.units:
        for ref in unit.steps:
            triggers = tuple(
                CompiledTrigger(
                    id=t.id,
                    label=t.trigger.label,
                    source=ref.id,
                    target=t.target or RESOLVED,
                    kind=_kind(index, t),
                    automatic=t.trigger.automatic,
                    implicit=t.implicit,
                    reason=t.trigger.reason,
                )
                for t in ref.triggers
            )
            steps[ref.id] = CompiledStep(
                ref.id,
                ref.step.name or unit.level.name or matrix.contacts[unit.level.contact].name,
                unit.id,
                tuple(ref.step.responses),
                triggers,
            )
        contact = matrix.contacts[unit.level.contact]
        levels.append(
            CompiledLevel(
                id=unit.id,
                number=unit.level.level,
                name=unit.level.name or contact.name,
                contact_id=unit.level.contact,
                contact=contact,
                window=unit.level.window,
                calendar=context.calendar_of(unit),
                repeat=unit.level.repeat,
                team=unit.team,
                next=index.unit_by_id[unit.next].id if unit.next in index.unit_by_id else None,
                steps=tuple(s.id for s in unit.steps),
            )
        )
    priorities: dict[str, EffectivePriority] = {}
    entries = context.entries()
    for rank, (name, priority) in enumerate(matrix.priorities.items()):
        override = flow.priorities.get(name)
        entry: StepRef = entries.get(name) or index.ladder[0].entry
        factor = override.factor if override and override.factor is not None else priority.factor
        windows = {
            found.unit.id: window
            for number, window in (override.windows.items() if override else ())
            if (found := index.entry_step(number)) is not None
        }
        priorities[name] = EffectivePriority(
            name, priority.name or name, rank, entry.unit.id, factor, windows
        )
    source = _version_source(flow, matrix, {lv.contact_id for lv in levels})
    contacts = {k: matrix.contacts[k] for k in json.loads(source)["matrix"]["contacts"]}
    calendars = dict(matrix.calendars)
    return CompiledFlow(
        id=flow.id,
        name=flow.name,
        issue_type=flow.issue_type,
        issue_type_name=matrix.issue_types[flow.issue_type].name,
        language=flow.language,
        description=flow.description,
        file=context.loaded.file,
        digest=hashlib.sha256(source.encode("utf-8")).hexdigest(),
        source=source,
        default_calendar=matrix.calendar,
        levels=tuple(levels),
        steps=steps,
        priorities=priorities,
        default_priority=matrix.default_priority,
        sla=dict(flow.sla),
        calendars=calendars,
        contacts=contacts,
        spec=flow,
    )


def _version_source(flow: FlowDoc, matrix: MatrixDoc, contacts: set[str]) -> str:
    """The canonical text of one flow version: the flow and the part of the matrix it uses.

    It is a complete definition (see :func:`compile_source`), so a store can keep it and
    rebuild the exact flow a running ticket started on. Key order, layout and comments of
    the YAML files do not reach it; its sha256 is the flow's digest.
    """
    notified = {
        r.notify
        for level in (*flow.levels, *flow.teams)
        for step in level.all_steps()
        for r in step.responses
        if isinstance(r, NotifyAction)
    }
    notified |= set(flow.sla_notify)
    used = {k: v for k, v in matrix.contacts.items() if k in contacts | notified}
    calendars = {flow.calendar, matrix.calendar}
    calendars |= {level.window.calendar for level in (*flow.levels, *flow.teams)}
    calendars |= {c.calendar for c in used.values()}
    subset = MatrixDoc(
        escflow=1,
        kind="matrix",
        name="flow version",
        calendar=matrix.calendar,
        contacts=used,
        calendars={k: v for k, v in matrix.calendars.items() if k in calendars},
        priorities=matrix.priorities,
        default_priority=matrix.default_priority,
        issue_types={k: v for k, v in matrix.issue_types.items() if k == flow.issue_type},
    )
    canonical = {
        "format": FORMAT_VERSION,
        "matrix": subset.model_dump(mode="json", by_alias=True),
        # The SLA's warning share and listeners are left out while they keep their
        # defaults: the versions stored before they existed keep their digests.
        "flow": flow.model_dump(mode="json", by_alias=True, exclude=_defaults_kept(flow)),
    }
    return json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _defaults_kept(flow: FlowDoc) -> set[str]:
    """The flow's newer fields that hold their defaults (left out of its canonical text)."""
    kept = set()
    if flow.sla_warning == SLA_WARNING:
        kept.add("sla_warning")
    if not flow.sla_notify:
        kept.add("sla_notify")
    return kept


def compile_source(source: str) -> CompiledFlow:
    """Rebuild a flow version from the canonical text a :class:`CompiledFlow` carries.

    Raises :class:`~escflow.errors.DefinitionError` when the text is not a flow version.
    """
    try:
        data = json.loads(source)
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {data.get('format')!r} is not {FORMAT_VERSION}")
        matrix = MatrixDoc.model_validate(data["matrix"])
        flow = FlowDoc.model_validate(data["flow"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DefinitionError(
            [Problem("E122", "error", f"not a stored flow version: {exc}", "<flow version>")]
        ) from None
    return compile_flow(matrix, flow, file=f"<flow version {flow.id}>")
