"""Views of a matrix as plain data, for the CLI, exports and diagrams."""

from __future__ import annotations

from dataclasses import dataclass

from escflow.compile import CompiledFlow, CompiledLevel, Matrix


@dataclass(frozen=True)
class Cell:
    """One level of one flow: who, and how long they have."""

    contact: str
    kind: str
    window: str


@dataclass(frozen=True)
class MatrixRow:
    """One flow (issue category) across the level numbers."""

    issue_type: str
    flow_id: str
    flow_name: str
    cells: dict[int, Cell]
    teams: tuple[str, ...]


@dataclass(frozen=True)
class MatrixTable:
    """The article's table: categories down, levels across."""

    levels: tuple[int, ...]
    rows: tuple[MatrixRow, ...]


def _cell(level: CompiledLevel) -> Cell:
    return Cell(level.name, level.contact.kind, str(level.window))


def matrix_table(matrix: Matrix) -> MatrixTable:
    """Every flow as a row, grouped by issue type in the matrix's order."""
    order = list(matrix.doc.issue_types)
    flows: list[CompiledFlow] = sorted(
        matrix.flows.values(), key=lambda f: (order.index(f.issue_type), f.id)
    )
    numbers = sorted({level.number for f in flows for level in f.ladder})
    rows = tuple(
        MatrixRow(
            issue_type=matrix.doc.issue_types[f.issue_type].name,
            flow_id=f.id,
            flow_name=f.name,
            cells={level.number: _cell(level) for level in f.ladder},
            teams=tuple(f"{t.name} ({t.window})" for t in f.teams),
        )
        for f in flows
    )
    return MatrixTable(tuple(numbers), rows)


__all__ = [
    "Cell",
    "MatrixRow",
    "MatrixTable",
    "matrix_table",
]
