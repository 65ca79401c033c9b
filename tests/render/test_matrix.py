"""The matrix overview: every category across the levels, with contacts and windows."""

from __future__ import annotations

from escflow import Matrix
from escflow.render import matrix_source, render_matrix
from escflow.render._text import escape
from escflow.views import matrix_table
from tests.render.dotgraph import parse


def test_the_overview_holds_every_row_and_cell_of_the_table(matrix: Matrix) -> None:
    graph = parse(matrix_source(matrix))
    table = graph.nodes["matrix."]["label"]
    view = matrix_table(matrix)
    for number in view.levels:
        assert f"<b>Level {number}</b>" in table
    for row in view.rows:
        assert f"<b>{escape(row.issue_type)}</b>" in table
        assert escape(row.flow_id) in table
        for cell in row.cells.values():
            # Long names are wrapped: look for their first word and the window's words.
            assert escape(cell.contact.split()[0]) in table
            assert f"{cell.kind} ·" in table
    assert "<b>Functional teams</b>" in table
    assert "Accounts &amp; billing" in table
    assert "30 minutes - 1 hour" in table
    assert "1-2 business days" in table
    assert matrix.doc.name in graph.attrs["label"]


def test_categories_keep_the_matrix_order(matrix: Matrix) -> None:
    table = parse(matrix_source(matrix)).nodes["matrix."]["label"]
    names = [issue.name for issue in matrix.doc.issue_types.values()]
    positions = [table.index(f"<b>{escape(name)}</b>") for name in names]
    assert positions == sorted(positions)


def test_the_overview_renders_to_svg(matrix: Matrix) -> None:
    svg = render_matrix(matrix, "svg")
    assert svg.startswith(b"<?xml")
    assert b"Account manager" in svg
