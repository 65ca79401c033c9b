"""A matrix that runs without its broken flow files, and which flows those files concern.

One flow file with a YAML syntax error or a failed check must not stop the tickets of
every other flow: the flows that checked clean still run, and the running tickets of the
broken one go on on the versions the store keeps. Only new tickets of the flows a broken
file concerns are refused; this module decides which those are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from escflow.compile._compiled import BrokenFile, CompiledFlow, Matrix
from escflow.problems import Problem
from escflow.spec._models import MatrixDoc

# A flow's own id is a top-level key: at the start of a line, where a level's or a
# trigger's id (indented, or inside braces) never is. Read from the bytes, as a file YAML
# cannot parse still says which flow it is.
_FLOW_ID = re.compile(rb"^id[ \t]*:[ \t]*[\"']?([a-z0-9]+(?:[-_][a-z0-9]+)*)", re.MULTILINE)
_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def partial_matrix(
    doc: MatrixDoc,
    matrix_file: str,
    compiled: Mapping[str, CompiledFlow],
    problems: Sequence[Problem],
    max_bytes: int,
) -> Matrix:
    """The matrix of the ``compiled`` flows, and each file with errors as a
    :class:`BrokenFile`.

    The matrix document must be sound (the caller has made sure): every file with an
    error is then a flow's. It concerns the flow ids it declares and the id its name
    gives, except those a sound document defines: a flow that checked clean always runs,
    as it would once the broken file is taken away, so that a half-edited copy of a flow
    (its id not yet changed) does not stop the flow it was copied from. (Once the copy
    reads, ``validate`` names the duplicate id.)
    """
    errors: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.severity == "error":
            errors.setdefault(problem.file, []).append(problem)
    broken: list[BrokenFile] = []
    for file, found in errors.items():
        named = Path(file).stem
        ids = [*_declared(Path(file), max_bytes), *([named] if _ID.fullmatch(named) else [])]
        concerned = (flow_id for flow_id in dict.fromkeys(ids) if flow_id not in compiled)
        broken.append(BrokenFile(file, tuple(found), tuple(concerned)))
    warnings = tuple(p for p in problems if p.severity == "warning")
    return Matrix(doc, matrix_file, dict(compiled), warnings, tuple(broken))


def _declared(path: Path, max_bytes: int) -> list[str]:
    """The flow ids the top-level ``id:`` lines of a file declare, in order."""
    try:
        with path.open("rb") as handle:
            text = handle.read(max_bytes)
    except OSError:
        return []  # unreadable (its problem says so): its name is all there is to go by
    found = (m.group(1).decode("ascii") for m in _FLOW_ID.finditer(text))
    return list(dict.fromkeys(found))
