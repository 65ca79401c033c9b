"""The matrix overview: every category across the levels, the article's table as a picture.

One HTML-like table in one node: Graphviz then only has to size it, so the grid stays a
grid (clusters would let dot move cells around) and the picture prints like the table
trainers know from the spreadsheet.
"""

from __future__ import annotations

from typing import Any

import graphviz

from escflow.compile import Matrix
from escflow.render._text import FONT, INK, MUTED, TEAM_FILL, escape, wrapped
from escflow.views import Cell, MatrixRow, matrix_table

CELL_WIDTH = 20  # columns per cell line: keeps ten columns inside an A4 landscape page
# Lanes darken as the levels rise, the way seniority rises in the article's table.
_LEVEL_FILLS = ("#f5f8fc", "#ebf1f8", "#e1eaf4", "#d7e3f0", "#cddcec", "#c3d5e8", "#b9cee4")
_HEAD_FILL = "#1f4e79"
_GROUP_FILL = "#dfe5ec"


def _fill(position: int) -> str:
    return _LEVEL_FILLS[min(position, len(_LEVEL_FILLS) - 1)]


def _cell(cell: Cell | None, fill: str) -> str:
    if cell is None:
        return f'<td bgcolor="{fill}"><font color="{MUTED}">–</font></td>'
    return (
        f'<td bgcolor="{fill}" align="left" balign="left" valign="top">'
        f"<b>{wrapped(cell.contact, CELL_WIDTH, 'left')}</b>"
        f'<font point-size="9"><font color="{MUTED}">{escape(cell.kind)} ·</font>'
        f" {wrapped(cell.window, CELL_WIDTH, 'left')}</font></td>"
    )


def _row(row: MatrixRow, levels: tuple[int, ...], teams: bool) -> str:
    cells = [
        f'<td align="left" balign="left" valign="top"><b>{wrapped(row.flow_name, 26, "left")}</b>'
        f'<font point-size="8" color="{MUTED}">{escape(row.flow_id)}</font><br align="left"/></td>'
    ]
    cells.extend(_cell(row.cells.get(n), _fill(i)) for i, n in enumerate(levels))
    if teams:
        body = "".join(wrapped(t, CELL_WIDTH, "left") for t in row.teams) or "–"
        cells.append(
            f'<td bgcolor="{TEAM_FILL}" align="left" balign="left" valign="top">{body}</td>'
        )
    return f"<tr>{''.join(cells)}</tr>"


def _table(matrix: Matrix) -> str:
    table = matrix_table(matrix)
    teams = any(row.teams for row in table.rows)
    width = 1 + len(table.levels) + teams
    titles = ["Category", *(f"Level {n}" for n in table.levels)]
    if teams:
        titles.append("Functional teams")
    head = "".join(
        f'<td bgcolor="{_HEAD_FILL}" align="left"><font color="white"><b>{t}</b></font></td>'
        for t in titles
    )
    rows = [f"<tr>{head}</tr>"]
    current = None
    for row in table.rows:
        if row.issue_type != current:
            current = row.issue_type
            rows.append(
                f'<tr><td colspan="{width}" align="left" bgcolor="{_GROUP_FILL}">'
                f"<b>{escape(row.issue_type)}</b></td></tr>"
            )
        rows.append(_row(row, table.levels, teams))
    return (
        '<<table border="0" cellborder="1" cellspacing="0" cellpadding="4" color="#b0b8c4">'
        f"{''.join(rows)}</table>>"
    )


def matrix_source(matrix: Matrix) -> str:
    """The matrix overview as DOT: issue categories down, levels across, with each
    level's contact point (team or person) and window; functional teams at the end."""
    graph: Any = graphviz.Digraph(name="matrix")
    count = len(matrix.flows)
    graph.attr(
        "graph",
        fontname=FONT,
        fontcolor=INK,
        label=(
            f'<<font point-size="18"><b>{escape(matrix.doc.name)}</b></font><br/>'
            f'<font point-size="11" color="{MUTED}">{count} flow{"s" if count != 1 else ""}:'
            " who handles a ticket at each level, and the window before it moves on</font>"
            "<br/> >"
        ),
        labelloc="t",
        pad="0.3",
    )
    graph.node(
        "matrix.",
        label=_table(matrix),
        shape="plain",
        fontname=FONT,
        fontsize="10",
        fontcolor=INK,
        id="matrix",
    )
    text: str = graph.source
    return text
